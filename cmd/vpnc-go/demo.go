//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
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
	// clientFlags are added to the client's command line (the fault tests).
	clientFlags []string
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

// tunnelLab is the demo's network with the headend running and the client
// connected: the demo, the end-to-end tests and the benchmark build on it.
type tunnelLab struct {
	*lab.Lab
	headend, client *lab.Proc
	dns             *lab.DNSServer
	before          string // the client namespace's state before connecting
	connect         time.Duration
	clientArgs      []string
	headendArgs     []string
}

func (t *tunnelLab) close() error {
	if t.dns != nil {
		t.dns.Close()
	}
	return t.Lab.Close()
}

// startTunnel builds the namespaces, starts the headend with the seed
// configuration and connects the client. On error what was built is
// removed again.
func startTunnel(o demoOptions) (t *tunnelLab, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("this needs root: it creates network namespaces and TUN devices (try it with sudo)")
	}
	exe := o.exe
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	l, err := lab.New(fmt.Sprintf("vpncgo%d", os.Getpid()))
	if err != nil {
		return nil, err
	}
	if o.verbose {
		l.Verbose = o.out
	}
	t = &tunnelLab{Lab: l}
	defer func() {
		if err != nil {
			t.close()
			t = nil
		}
	}()
	step := func(format string, args ...any) { fmt.Fprintf(o.out, "== "+format+"\n", args...) }

	step("building namespaces %s-{client,headend,inside}", l.Prefix)
	for _, ns := range []string{"client", "headend", "inside"} {
		if err := l.AddNS(ns); err != nil {
			return t, err
		}
	}
	if err := l.Link("client", lab.ClientAddr+"/24", "headend", lab.HeadendAddr+"/24"); err != nil {
		return t, err
	}
	if err := l.Link("headend", lab.HeadendIn+"/24", "inside", lab.InsideAddr+"/24"); err != nil {
		return t, err
	}
	if err := l.Route("inside", "10.2.2.0/24", lab.HeadendIn); err != nil {
		return t, err
	}
	// IPv6 on the inside network too, for the seed pool's IPv6 addresses.
	if err := l.AddAddr("headend", lab.HeadendIn6+"/64", "to-inside"); err != nil {
		return t, err
	}
	if err := l.AddAddr("inside", lab.InsideAddr6+"/64", "to-headend"); err != nil {
		return t, err
	}
	if err := l.Route("inside", "2001:db8:2::/64", lab.HeadendIn6); err != nil {
		return t, err
	}
	// The group policy's DNS server, on the inside network: reachable only
	// through the tunnel.
	if _, err := l.Exec("inside", "ip", "addr", "add", lab.InsideDNS+"/24", "dev", "to-headend"); err != nil {
		return t, err
	}
	if t.dns, err = l.ServeDNS("inside", lab.InsideDNS+":53", map[string]netip.Addr{"intranet.corp.example": netip.MustParseAddr(lab.InsideAddr)}); err != nil {
		return t, err
	}
	if t.before, err = clientState(l); err != nil {
		return t, err
	}

	step("starting the headend (seed ASA configuration, tunnel group ASA-IKEV2)")
	if err := headend.GeneratePKI(l.Dir, lab.HeadendAddr, "alice"); err != nil {
		return t, err
	}
	cfgPath := filepath.Join(l.Dir, "headend.toml")
	if err := os.WriteFile(cfgPath, headend.SeedConfig, 0o600); err != nil {
		return t, err
	}
	t.headendArgs = []string{exe, "responder", "--config", cfgPath}
	if t.headend, err = l.Start("headend", "headend", "", t.headendArgs...); err != nil {
		return t, err
	}
	if _, err := t.headend.WaitFor("headend listening", 10*time.Second); err != nil {
		return t, err
	}

	step("connecting the client (%s, ESP %s)", o.auth, o.esp)
	profilePath := filepath.Join(l.Dir, "demo.xml")
	if err := os.WriteFile(profilePath, []byte(demoProfile), 0o644); err != nil {
		return t, err
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
	t.clientArgs = append(append(args, o.clientFlags...), "Demo ASA")
	return t, t.startClient()
}

// startClient starts the client and waits for the tunnel.
func (t *tunnelLab) startClient() (err error) {
	if t.client, err = t.Start("client", "client", "correct horse\n", t.clientArgs...); err != nil {
		return err
	}
	line, err := t.client.WaitFor("tunnel up in", 30*time.Second)
	if err != nil {
		return fmt.Errorf("%w\nheadend:\n%s", err, t.headend.Output())
	}
	if m := tunnelUpRE.FindStringSubmatch(line); m != nil {
		t.connect, _ = time.ParseDuration(m[1])
	}
	_, err = t.client.WaitFor("ESP", 5*time.Second)
	return err
}

// disconnect stops the client and checks it restored its namespace.
func (t *tunnelLab) disconnect() error {
	if err := t.client.Stop(10 * time.Second); err != nil {
		return fmt.Errorf("client: %w\n%s", err, t.client.Output())
	}
	after, err := clientState(t.Lab)
	if err != nil {
		return err
	}
	if after != t.before {
		return fmt.Errorf("the client left changes behind:\nbefore:\n%s\nafter:\n%s", t.before, after)
	}
	return nil
}

// runDemo runs the whole demo; the end-to-end tests reuse it.
func runDemo(ctx context.Context, o demoOptions) (res demoResult, err error) {
	t, err := startTunnel(o)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := t.close(); cerr != nil && err == nil {
			err = cerr
		}
		fmt.Fprintln(o.out, "removed the namespaces")
	}()
	l := t.Lab
	step := func(format string, args ...any) { fmt.Fprintf(o.out, "== "+format+"\n", args...) }
	res.Connect = t.connect
	fmt.Fprintln(o.out, indent(t.client.Output()))

	step("ping %s (the inside host) through the tunnel", lab.InsideAddr)
	if _, err := exec.LookPath("ping"); err != nil {
		// A minimal system may lack it; the transfer below proves the
		// path as well.
		fmt.Fprintln(o.out, "   ping is not installed (Debian package iputils-ping): skipped")
	} else {
		out, err := l.Exec("client", "ping", "-c", "3", "-i", "0.2", "-W", "2", lab.InsideAddr)
		if err != nil {
			return res, err
		}
		fmt.Fprintln(o.out, indent(lastLines(out, 2)))
	}

	step("IPv6 through the tunnel: %s", lab.InsideAddr6)
	res6, err := l.Transfer(ctx, "client", "inside", "["+lab.InsideAddr6+"]:5202", 1<<20)
	if err != nil {
		return res, fmt.Errorf("IPv6: %w", err)
	}
	fmt.Fprintf(o.out, "   %d bytes over IPv6, checksum matches\n", res6.Bytes)

	step("resolving intranet.corp.example with the headend's DNS server")
	out, err := l.Exec("client", "getent", "ahostsv4", "intranet.corp.example")
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
	if err := t.disconnect(); err != nil {
		return res, err
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
