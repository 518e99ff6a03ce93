package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
)

// demoProfile is the AnyConnect profile the demo's client uses: the
// headend by address, the seed's tunnel group, IPsec.
const demoProfile = `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ClientInitialization>
    <AutoReconnect>true</AutoReconnect>
  </ClientInitialization>
  <ServerList>
    <HostEntry>
      <HostName>Demo ASA</HostName>
      <HostAddress>192.0.2.1</HostAddress>
      <UserGroup>ASA-IKEV2</UserGroup>
      <PrimaryProtocol>IPsec</PrimaryProtocol>
    </HostEntry>
  </ServerList>
</AnyConnectProfile>
`

type demoOptions struct {
	sizeMB  int
	auth    string
	esp     string
	ike     string
	verbose bool
	out     io.Writer
	exe     string // the vpnc-go binary to run in the namespaces; this one when empty
}

func newDemoCmd() *cobra.Command {
	o := demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a headend and a client in network namespaces and send traffic through the tunnel",
		Long: `Build three network namespaces (a client, a headend and an inside host behind
it, on documentation addresses that never leave this machine), start the
headend emulator with the seed ASA's configuration and the client with an
AnyConnect profile, ping the inside host and send data to it through the
tunnel, print the time to connect and the throughput, and remove everything
again (also on failure or Ctrl-C). Needs root.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.out = cmd.OutOrStdout()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			_, err := runDemo(ctx, o)
			return err
		},
	}
	cmd.Flags().IntVar(&o.sizeMB, "size", 50, "`MB` to send through the tunnel")
	cmd.Flags().StringVar(&o.auth, "auth", "EAP-AnyConnect", "client authentication: EAP-AnyConnect, EAP-MSCHAPv2 or IKE-ECDSA")
	cmd.Flags().StringVar(&o.esp, "esp", "aes256gcm16", "ESP proposal of the client")
	cmd.Flags().StringVar(&o.ike, "ike", "", "IKE proposal of the client (default: vpnc-go's)")
	cmd.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "show every command and the processes' output")
	return cmd
}

// demoResult is what a demo run measured.
type demoResult struct {
	Connect  time.Duration
	Transfer lab.TransferResult
}

var tunnelUpRE = regexp.MustCompile(`tunnel up in (\S+)`)

// runDemo runs the whole demo; the e2e tests and the benchmark reuse it.
func runDemo(ctx context.Context, o demoOptions) (res demoResult, err error) {
	if os.Geteuid() != 0 {
		return res, errors.New("the demo needs root: it creates network namespaces and TUN devices (try: sudo vpnc-go demo)")
	}
	exe := o.exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return res, err
		}
	}
	l, err := lab.New(fmt.Sprintf("vpncgo%d", os.Getpid()))
	if err != nil {
		return res, err
	}
	if o.verbose {
		l.Verbose = o.out
	}
	defer func() {
		if cerr := l.Close(); cerr != nil && err == nil {
			err = cerr
		}
		fmt.Fprintln(o.out, "removed the namespaces")
	}()
	step := func(format string, args ...any) { fmt.Fprintf(o.out, "== "+format+"\n", args...) }

	step("building namespaces %s-{client,headend,inside}", l.Prefix)
	for _, ns := range []string{"client", "headend", "inside"} {
		if err := l.AddNS(ns); err != nil {
			return res, err
		}
	}
	if err := l.Link("client", lab.ClientAddr+"/24", "headend", lab.HeadendAddr+"/24"); err != nil {
		return res, err
	}
	if err := l.Link("headend", lab.HeadendIn+"/24", "inside", lab.InsideAddr+"/24"); err != nil {
		return res, err
	}
	if err := l.Route("inside", "10.2.2.0/24", lab.HeadendIn); err != nil {
		return res, err
	}
	// The group policy's DNS server, on the inside network: reachable only
	// through the tunnel.
	if _, err := l.Exec("inside", "ip", "addr", "add", lab.InsideDNS+"/24", "dev", "to-headend"); err != nil {
		return res, err
	}
	dns, err := l.ServeDNS("inside", lab.InsideDNS+":53", map[string]netip.Addr{"intranet.corp.example": netip.MustParseAddr(lab.InsideAddr)})
	if err != nil {
		return res, err
	}
	defer dns.Close()
	before, err := clientState(l)
	if err != nil {
		return res, err
	}

	step("starting the headend (seed ASA configuration, tunnel group ASA-IKEV2)")
	if err := headend.GeneratePKI(l.Dir, lab.HeadendAddr, "alice"); err != nil {
		return res, err
	}
	cfgPath := filepath.Join(l.Dir, "headend.toml")
	if err := os.WriteFile(cfgPath, headend.SeedConfig, 0o600); err != nil {
		return res, err
	}
	hp, err := l.Start("headend", "headend", "", exe, "responder", "--config", cfgPath)
	if err != nil {
		return res, err
	}
	if _, err := hp.WaitFor("headend listening", 10*time.Second); err != nil {
		return res, err
	}

	step("connecting the client (%s, ESP %s)", o.auth, o.esp)
	profilePath := filepath.Join(l.Dir, "demo.xml")
	if err := os.WriteFile(profilePath, []byte(demoProfile), 0o644); err != nil {
		return res, err
	}
	empty := filepath.Join(l.Dir, "no-profiles")
	os.Mkdir(empty, 0o755)
	args := []string{"env", "VPNC_GO_USER_PROFILE_DIR=" + empty, exe, "connect", "--profile", profilePath, "--profile-dir", empty,
		"--cafile", filepath.Join(l.Dir, headend.CAFile), "--user", "alice", "--passwd-on-stdin",
		"--state-file", filepath.Join(l.Dir, "netcfg.json"), "--esp", o.esp, "--auth", o.auth}
	if o.ike != "" {
		args = append(args, "--ike", o.ike)
	}
	if strings.HasPrefix(o.auth, "IKE-") {
		args = append(args, "--cert", filepath.Join(l.Dir, headend.ClientCertFile), "--key", filepath.Join(l.Dir, headend.ClientKeyFile))
	}
	args = append(args, "Demo ASA")
	cp, err := l.Start("client", "client", "correct horse\n", args...)
	if err != nil {
		return res, err
	}
	line, err := cp.WaitFor("tunnel up in", 30*time.Second)
	if err != nil {
		return res, fmt.Errorf("%w\nheadend:\n%s", err, hp.Output())
	}
	if m := tunnelUpRE.FindStringSubmatch(line); m != nil {
		res.Connect, _ = time.ParseDuration(m[1])
	}
	if _, err := cp.WaitFor("ESP", 5*time.Second); err != nil {
		return res, err
	}
	fmt.Fprintln(o.out, indent(cp.Output()))

	step("ping %s (the inside host) through the tunnel", lab.InsideAddr)
	out, err := l.Exec("client", "ping", "-c", "3", "-i", "0.2", "-W", "2", lab.InsideAddr)
	if err != nil {
		return res, err
	}
	fmt.Fprintln(o.out, indent(lastLines(out, 2)))

	step("resolving intranet.corp.example with the headend's DNS server")
	out, err = l.Exec("client", "getent", "ahostsv4", "intranet.corp.example")
	if err != nil || !strings.Contains(out, lab.InsideAddr) {
		return res, fmt.Errorf("the tunnel's DNS did not answer: %v\n%s", err, out)
	}
	fmt.Fprintln(o.out, indent(lastLines(out, 1)))

	step("sending %d MB to %s:5201 through the tunnel", o.sizeMB, lab.InsideAddr)
	tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res.Transfer, err = l.Transfer(tctx, "client", "inside", lab.InsideAddr+":5201", int64(o.sizeMB)<<20)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(o.out, "   %d bytes in %s, checksum matches\n", res.Transfer.Bytes, res.Transfer.Duration.Round(time.Millisecond))

	step("disconnecting")
	if err := cp.Stop(10 * time.Second); err != nil {
		return res, fmt.Errorf("client: %w\n%s", err, cp.Output())
	}
	after, err := clientState(l)
	if err != nil {
		return res, err
	}
	if after != before {
		return res, fmt.Errorf("the client left changes behind:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	fmt.Fprintln(o.out, "   links, addresses, routes, rules and resolv.conf are as before")
	fmt.Fprintf(o.out, "\ntime to connect: %s\nthroughput:      %.2f Gbit/s (%s, one TCP stream, %d MB)\n",
		res.Connect, res.Transfer.Gbits(), o.esp, o.sizeMB)
	return res, nil
}

// clientState is what the client may change in its namespace: links,
// addresses, routes, policy rules and resolv.conf. IPv6 link-local lines
// are left out: the kernel adds them on its own once duplicate address
// detection ends, whenever that is.
func clientState(l *lab.Lab) (string, error) {
	var b strings.Builder
	for _, c := range [][]string{
		{"ip", "-brief", "link"}, {"ip", "-brief", "addr"}, {"ip", "route", "show", "table", "all"},
		{"ip", "-6", "route", "show", "table", "all"}, {"ip", "rule"}, {"cat", "/etc/resolv.conf"},
	} {
		out, err := l.Exec("client", c...)
		if err != nil {
			return "", err
		}
		for _, line := range strings.SplitAfter(out, "\n") {
			if !strings.Contains(line, "fe80::") {
				b.WriteString(line)
			}
		}
	}
	return b.String(), nil
}

func indent(s string) string {
	return "   " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n   ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
