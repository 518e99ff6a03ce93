package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/profile"
)

type probeFlags struct {
	profiles profilesFlags
	timeout  time.Duration
	verbose  bool
}

func newProbeCmd() *cobra.Command {
	f := &probeFlags{}
	cmd := &cobra.Command{
		Use:   "probe HOST",
		Short: "Ask a headend which IKE suites it accepts (no login)",
		Long: `Ask the headend HOST (a profile's host name, or an address or name, optionally
with :PORT) which IKE suites it accepts: one IKE_SA_INIT per family of suites
(the two default proposals, AES with weak DH groups, 3DES), with no
authentication and nothing sent anywhere but HOST. It prints what the headend
chose out of each family, how sound it is, and the --ike value that offers it.

Use it when connect reports NO_PROPOSAL_CHOSEN. vpnc-go never falls back to
weaker suites by itself: that answer is unauthenticated and could be forged to
force a downgrade. A weak suite is used only when named:
  vpnc-go connect --ike SUITE HOST             # this once
  vpnc-go connect --ike SUITE --remember HOST  # from now on, for this host only
ESP suites cannot be probed without logging in; connect names the ESP offer
when the headend refuses it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runProbe(cmd, f, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.profiles.files, "profile", nil, "AnyConnect profile `FILE` (repeatable)")
	fl.StringArrayVar(&f.profiles.dirs, "profile-dir", nil, "read managed profiles from `DIR` instead of the system folders")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Second, "how long to wait for each answer")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "print debug lines")
	return cmd
}

// probeHost finds the address to probe: a profile entry's HostAddress (on
// the IKE port; a profile's port is AnyConnect's TLS one), or HOST itself.
func probeHost(f *probeFlags, host string) (string, error) {
	t, err := f.profiles.discover().Lookup(host)
	switch {
	case err != nil:
		if _, perr := profile.ParseAddress(host); perr != nil {
			return "", err
		}
		return host, nil
	case t.Manual:
		return host, nil
	}
	return t.Address.Host, nil
}

func runProbe(cmd *cobra.Command, f *probeFlags, host string) error {
	addr, err := probeHost(f, host)
	if err != nil {
		return err
	}
	opts := client.ProbeOptions{Timeout: f.timeout}
	if f.verbose {
		opts.Log = func(format string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "debug: "+format+"\n", a...) }
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(cmd.OutOrStdout(), "probing %s: one IKE_SA_INIT per family, no authentication\n", addr)
	rs, err := client.Probe(ctx, addr, opts)
	printProbe(cmd.OutOrStdout(), host, rs)
	return err
}

// printProbe prints one line per family and what to do next.
func printProbe(w io.Writer, host string, rs []client.ProbeResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defaultOK := false
	var weak []client.ProbeResult
	for _, r := range rs {
		answer := "refused (" + r.Refused + ")"
		rating, value := "", ""
		if r.Accepted {
			answer = "accepts " + r.Suite
			rating, value = "ok", "--ike "+r.IKE
			if len(r.Weak) > 0 {
				rating = "WEAK: " + strings.Join(r.Weak, "; ")
				weak = append(weak, r)
			} else if strings.Contains(client.DefaultIKEProposals, r.Offered) {
				defaultOK = true
			}
		}
		if len(r.AskedGroups) > 0 {
			answer += " (asked for " + strings.Join(r.AskedGroups, ", ") + ")"
		}
		if r.Accepted {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Family, answer, value, rating)
		} else {
			fmt.Fprintf(tw, "  %s\t%s\n", r.Family, answer)
		}
	}
	tw.Flush()
	switch {
	case defaultOK:
		fmt.Fprintf(w, "the default offer is accepted: vpnc-go connect %s needs no --ike\n", host)
	case len(weak) > 0:
		fmt.Fprintf(w, "the headend accepts only weak IKE suites; to connect anyway (you will be warned each time):\n")
		fmt.Fprintf(w, "  vpnc-go connect --ike %s %s\n", weak[0].IKE, host)
		fmt.Fprintf(w, "add --remember to keep that choice for %s only\n", host)
	case len(rs) > 0:
		fmt.Fprintf(w, "the headend accepted none of the suites vpnc-go implements\n")
	}
}
