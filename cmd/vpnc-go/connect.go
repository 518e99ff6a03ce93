package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/profile"
)

type connectFlags struct {
	profiles       profilesFlags
	user, group    string
	passwdOnStdin  bool
	cafile         string
	servercert     []string
	auth           string
	ike, esp       string
	noDNS, noRoute bool
	keylog         string
	verbose        bool
	cert, key      string
	certPassword   string
	iface          string
	mtu            int
	dnsMode        string
	stateFile      string
	identity       string
	noReconnect    bool
	csdWrapper     string
	childLifetime  time.Duration
	ikeLifetime    time.Duration
	dpd            time.Duration
	wait           bool
	savePassword   bool
	remember       bool
	foreground     bool
	socket         string
}

func newConnectCmd() *cobra.Command {
	f := &connectFlags{}
	cmd := &cobra.Command{
		Use:   "connect [flags] [HOST]",
		Short: "Connect to a headend and keep the tunnel up until interrupted",
		Long: `Connect to a headend: HOST is a host name from an AnyConnect profile, or an
address or name when the profiles allow manual host input (they do unless one
forbids it). Without HOST, the profiles must hold exactly one host whose
PrimaryProtocol is IPsec, or else exactly one host.

vpnc-go speaks IKEv2 only. A host whose profile names SSL (or no
PrimaryProtocol: SSL is the schema's default) is tried over IKEv2 on UDP 500,
as the profile's IPsec hosts are; when such a headend does not answer or
refuses IKEv2, it most likely accepts only AnyConnect's SSL/DTLS variant, and
the error says so.

vpnc-go prints one line per stage and a summary once the tunnel is up, then
keeps it up until interrupted (Ctrl-C, SIGTERM), reconnecting when the headend
stops answering. Routes, DNS and the TUN device are restored on exit.

A password stored in the OS keyring (--save-password) for the headend, tunnel
group and user (--user, else the last user who saved one there) is used
without asking; when the headend refuses it, the password is asked again.
With no keyring reachable the password is asked each time; it is never kept
in a file.
When the vpnc-go agent's socket answers, connect drives the agent (which
owns the tunnel): forms are asked here, the keyring is read here as the user,
and connect returns once the tunnel is up; vpnc-go status and disconnect
follow it. Otherwise, as root, this process runs the tunnel until
interrupted (--foreground forces this). The mode is printed first. Without
an agent and without root, connect says what to do and exits with status 2.
The foreground mode needs root (or CAP_NET_ADMIN) for the TUN device and
routes.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runConnect(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.profiles.files, "profile", nil, "AnyConnect profile `FILE` (repeatable)")
	fl.StringArrayVar(&f.profiles.dirs, "profile-dir", nil, "read managed profiles from `DIR` instead of the system folders")
	fl.StringVarP(&f.user, "user", "u", "", "user name")
	fl.StringVarP(&f.group, "group", "g", "", "tunnel group (overrides the profile's UserGroup)")
	fl.BoolVar(&f.passwdOnStdin, "passwd-on-stdin", false, "read the password from the first line of standard input")
	fl.StringVar(&f.cafile, "cafile", "", "trust the CAs in `FILE` (PEM) besides the system roots")
	fl.StringArrayVar(&f.servercert, "servercert", nil, "trust the headend key with this `pin-sha256:...` (repeatable)")
	fl.StringVar(&f.auth, "auth", "", "authentication `METHOD`: EAP-AnyConnect, EAP-MSCHAPv2, EAP-MD5, EAP-GTC, IKE-RSA or IKE-ECDSA")
	fl.StringVar(&f.ike, "ike", "", "IKE `PROPOSALS`, e.g. aes256gcm16-prfsha384-ecp384,aes192-sha1-modp1024 (weak suites only when named)")
	fl.StringVar(&f.esp, "esp", "", "ESP `PROPOSALS`, e.g. aes256gcm16,aes256-sha1")
	fl.BoolVar(&f.remember, "remember", false, "once connected, keep --ike/--esp for this host (in the user's hosts.json; vpnc-go forget --proposals HOST removes it)")
	fl.BoolVar(&f.noDNS, "no-dns", false, "leave DNS alone")
	fl.BoolVar(&f.noRoute, "no-routes", false, "leave routes alone (address and DNS are still set)")
	fl.StringVar(&f.keylog, "keylog", "", "write IKE and ESP keys to `FILE` in Wireshark's formats (debugging only: it defeats the encryption)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "print debug lines")
	fl.StringVar(&f.cert, "cert", "", "client certificate `FILE` (PEM or PKCS#12) for IKE-RSA/IKE-ECDSA or a certificate request in EAP")
	fl.StringVar(&f.key, "key", "", "private key `FILE` (PEM) when not inside --cert")
	fl.StringVar(&f.certPassword, "cert-password", "", "password of a PKCS#12 --cert (other users can read command lines: prefer $VPNC_GO_CERT_PASSWORD)")
	fl.StringVar(&f.iface, "interface", "vpnc0", "TUN device `NAME`")
	fl.IntVar(&f.mtu, "mtu", 0, "tunnel MTU (default: the path's MTU less the ESP-in-UDP overhead of the negotiated suite)")
	fl.StringVar(&f.dnsMode, "dns", "auto", "how to set DNS: auto, resolved, file or none")
	fl.StringVar(&f.stateFile, "state-file", netcfg.DefaultStateFile, "where changes to the system are recorded for crash recovery")
	fl.StringVar(&f.identity, "ike-identity", "", "send this IDi (KEY_ID) instead of the AnyConnect identity (standards-only headends)")
	fl.BoolVar(&f.noReconnect, "no-reconnect", false, "exit when the headend stops answering instead of reconnecting")
	fl.BoolVar(&f.wait, "wait", false, "keep trying a headend that never answers on the first connect (by default: give up after every address had the authentication timeout)")
	fl.StringVar(&f.csdWrapper, "csd-wrapper", "", "run `PROGRAM` when the headend demands a host scan (OpenConnect's --csd-wrapper convention); without it such headends are refused")
	fl.DurationVar(&f.childLifetime, "child-lifetime", 0, "rekey the CHILD SA after this `DURATION` (default 7h50m)")
	fl.DurationVar(&f.ikeLifetime, "ike-lifetime", 0, "rekey the IKE SA after this `DURATION` (default 23h40m)")
	fl.DurationVar(&f.dpd, "dpd", 0, "check that the headend is alive after this `DURATION` of silence (default 30s)")
	fl.BoolVar(&f.foreground, "foreground", false, "run the tunnel in this process (as root) even when an agent is running")
	fl.StringVar(&f.socket, "socket", agent.DefaultSocket, "the agent's socket `PATH`")
	fl.BoolVar(&f.savePassword, "save-password", false, "after a successful login, store the password in the OS keyring (keyed by headend, group and user; vpnc-go forget removes it)")
	return cmd
}

// target resolves HOST through the profiles.
func (f *connectFlags) target(host string) (*profile.Target, error) {
	cat := f.profiles.discover()
	for _, p := range cat.Problems() {
		fmt.Fprintln(os.Stderr, "profile:", p)
	}
	if host == "" {
		name, err := cat.OnlyHost()
		if err != nil {
			return nil, fmt.Errorf("name the headend: %w", err)
		}
		host = name
	}
	return cat.Lookup(host)
}

// explainNoIKEv2 adds to a failure in which the headend did not take up
// IKEv2 what that most likely means for this target.
func explainNoIKEv2(err error, t *profile.Target) error {
	var ne *client.NoIKEv2Error
	if !errors.As(err, &ne) {
		return err
	}
	if hint := t.NoIKEv2Hint(); hint != "" {
		return fmt.Errorf("%w\n%s", err, hint)
	}
	return err
}

// options builds the session options from the profile target and flags.
func (f *connectFlags) options(t *profile.Target) (client.Options, error) {
	o := client.Options{
		Server:        addressString(t.Address),
		Group:         t.UserGroup,
		Auth:          t.AuthMethod,
		AutoReconnect: t.AutoReconnect && !f.noReconnect,
		LocalLAN:      t.LocalLanAccess,
		AuthTimeout:   t.AuthenticationTimeout,
		Username:      f.user,
		CAFile:        f.cafile,
		Pins:          f.servercert,
		IKEProposals:  f.ike,
		ESPProposals:  f.esp,
		NoDNS:         f.noDNS || f.dnsMode == "none",
		NoRoutes:      f.noRoute,
		Timers:        client.Timers{ChildRekey: f.childLifetime, IKERekey: f.ikeLifetime, DPD: f.dpd},
		// Profiles the headend pushes go where the next discovery
		// finds them (profile.PushedDir documents the folder).
		PushedProfileDir: profile.PushedDir(),
	}
	if t.Manual {
		o.AutoReconnect = !f.noReconnect
	}
	o.WaitForHeadend = f.wait
	for _, b := range t.Backups {
		o.Backups = append(o.Backups, addressString(b))
	}
	if f.group != "" {
		o.Group = f.group
	}
	if f.auth != "" {
		m, err := profile.ParseAuthMethod(f.auth)
		if err != nil {
			return o, fmt.Errorf("--auth: %w", err)
		}
		o.Auth = m
	}
	o.Identity = t.IKEIdentity
	if f.identity != "" {
		o.Identity = f.identity
	}
	if f.csdWrapper != "" {
		o.HostScan = client.HostScanWrapper(f.csdWrapper, 2*time.Minute)
	}
	switch {
	case f.cert != "":
		password := f.certPassword
		if password == "" {
			password = os.Getenv("VPNC_GO_CERT_PASSWORD")
		}
		cred, err := client.LoadCertificate(f.cert, f.key, password)
		if err != nil {
			return o, err
		}
		o.ClientCert = cred
	case o.Auth.UsesCertificate() || t.CertificateMatch != nil:
		// No --cert: the certificate folders, filtered by the profile's
		// CertificateMatch (also for a certificate request inside
		// EAP-AnyConnect, where a missing one is no error yet).
		cred, err := client.SelectCertificate(client.CertDirs(), t.CertificateMatch, time.Now())
		if err != nil && o.Auth != profile.AuthEAPAnyConnect {
			return o, err
		}
		o.ClientCert = cred
	}
	return o, nil
}

func addressString(a profile.Address) string {
	if strings.Contains(a.Host, ":") {
		return a.Host // an IPv6 literal: IKE port 500
	}
	return a.Host
}

func runConnect(cmd *cobra.Command, f *connectFlags, args []string) error {
	out := cmd.OutOrStdout()
	host := ""
	if len(args) == 1 {
		host = args[0]
	}
	ac, err := f.chooseMode(cmd)
	if err != nil {
		return err
	}
	if ac != nil {
		defer ac.Close()
		return runConnectAgent(cmd, f, ac, host)
	}
	t, err := f.target(host)
	if err != nil {
		return err
	}
	o, err := f.options(t)
	if err != nil {
		return err
	}
	if f.passwdOnStdin {
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password from standard input: %w", err)
		}
		o.Password = strings.TrimRight(line, "\r\n")
	}
	if f.verbose {
		o.Log = func(format string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "debug: "+format+"\n", a...) }
	}
	if f.keylog != "" {
		kl, err := os.OpenFile(f.keylog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer kl.Close()
		o.KeyLog = kl
		fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: writing IKE and ESP keys to %s: anyone who reads it can decrypt this session\n", f.keylog)
	}
	if os.Geteuid() != 0 {
		return &exitError{exitNoAgent, errors.New("connect needs root (or CAP_NET_ADMIN) to create the TUN device and set routes; run it with sudo, or start the vpnc-go agent")}
	}
	dnsMode, err := netcfg.ParseDNSMode(f.dnsMode)
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	ncOpts := netcfg.Options{StateFile: f.stateFile, DNS: dnsMode, NoRoutes: f.noRoute, Logger: logger}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := netcfg.Recover(ctx, ncOpts); err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning: undoing what a previous run left:", err)
	}
	nc, err := netcfg.NewLinux(ncOpts)
	if err != nil {
		return err
	}
	o.MTU = f.mtu
	remember, err := f.hostProposals(&o, t.Address.Host, out)
	if err != nil {
		return err
	}
	sl := loadStoredLogin(&o, t.Address.Host, f.savePassword, f.verbose, out, cmd.ErrOrStderr())
	if t.Note != "" {
		fmt.Fprintln(out, t.Note)
	}
	err = runSessions(ctx, cmd, t.Name, o, sl, client.Deps{NetConfig: nc, NewDataPlane: client.TunDataPlane(f.iface, f.mtu), PathMTU: client.PathMTU, Paths: client.NetlinkPaths()}, remember)
	if _, refused := client.RefusedProposals(err); refused {
		return proposalHint(err, host, t.Name)
	}
	return explainNoIKEv2(err, t)
}

// hostProposals applies the proposals remembered for host when no flag
// names any, and returns what to do once connected: store the flags'
// proposals for host when --remember asks for it.
func (f *connectFlags) hostProposals(o *client.Options, host string, out io.Writer) (func(), error) {
	if f.remember && f.ike == "" && f.esp == "" {
		return nil, errors.New("--remember keeps the proposals of --ike and --esp: name at least one")
	}
	if _, err := client.CheckProposals(f.ike, f.esp); err != nil {
		return nil, err
	}
	store, err := client.DefaultHostStore()
	if err != nil {
		if f.remember {
			return nil, fmt.Errorf("--remember: %w", err)
		}
		return nil, nil
	}
	if f.remember {
		stored := false
		return func() {
			if stored {
				return
			}
			stored = true
			if err := store.Set(host, client.HostSetting{IKE: f.ike, ESP: f.esp}); err != nil {
				fmt.Fprintln(out, "warning: could not remember the proposals:", err)
				return
			}
			fmt.Fprintf(out, "remembered for %s in %s (vpnc-go forget --proposals %s removes it)\n", host, store.Path, host)
		}, nil
	}
	hs, ok, err := store.Get(host)
	if err != nil || !ok {
		return nil, err
	}
	// A flag wins over the remembered setting of its protocol.
	used := ""
	if f.ike == "" && hs.IKE != "" {
		o.IKEProposals = hs.IKE
		used += " IKE " + hs.IKE
	}
	if f.esp == "" && hs.ESP != "" {
		o.ESPProposals = hs.ESP
		used += " ESP " + hs.ESP
	}
	if used != "" {
		fmt.Fprintf(out, "using the proposals remembered for %s (%s):%s\n", host, store.Path, used)
	}
	return nil, nil
}

// proposalHint adds to a NO_PROPOSAL_CHOSEN failure what the user can do.
// There is no automatic fallback to weaker suites: the refusal is
// unauthenticated, and an attacker could forge it to force a downgrade.
func proposalHint(err error, host, name string) error {
	proto, ok := client.RefusedProposals(err)
	if !ok {
		return err
	}
	if host == "" {
		host = name
	}
	if proto == "IKE" {
		return fmt.Errorf("%w\nthe headend accepts none of the IKE suites offered, and vpnc-go does not fall back to weaker ones by itself.\n"+
			"Run `vpnc-go probe %s` to see which it accepts, then name one with --ike (and --remember to keep it for this host)", err, host)
	}
	return fmt.Errorf("%w\nthe headend accepts none of the ESP suites offered (default %s); name its ipsec-proposal with --esp (and --remember to keep it for this host)",
		err, client.DefaultESPProposals)
}

// runSessions runs the session and prints its events; when the keyring's
// password is refused before any login succeeded, it runs a new one that
// asks for the password.
// onConnected functions (nil ones are skipped) run after the first
// ConnectedEvent of each session.
func runSessions(ctx context.Context, cmd *cobra.Command, name string, o client.Options, sl *storedLogin, deps client.Deps, onConnected ...func()) error {
	for {
		s, err := client.New(o, deps)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "connecting to %s (%s, %s)\n", name, o.Server, o.Auth)
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		err = printEvents(cmd, s, done, func() {
			sl.connected(s)
			for _, f := range onConnected {
				if f != nil {
					f()
				}
			}
		})
		if ctx.Err() == nil && sl.retryWithoutStored(&o, err) {
			continue
		}
		return err
	}
}

// printEvents prints a line per event and asks forms on the terminal;
// onConnected (when not nil) runs after each ConnectedEvent is printed.
func printEvents(cmd *cobra.Command, s *client.Session, done <-chan error, onConnected func()) error {
	out := cmd.OutOrStdout()
	var last client.StageEvent
	var unanswered error // a form nobody could fill in ends the session as a failure
	for e := range s.Events() {
		switch e := e.(type) {
		case client.StageEvent:
			if e == last {
				continue // one line per stage, not per EAP round
			}
			last = e
			if e.Detail != "" {
				fmt.Fprintf(out, "%s: %s\n", e.Stage, e.Detail)
			} else {
				fmt.Fprintf(out, "%s\n", e.Stage)
			}
		case client.FormEvent:
			for {
				a, err := askForm(cmd, e.Form)
				if err != nil {
					unanswered = fmt.Errorf("no answer to the headend's form (%v)", err)
					if e.Form.Error != "" {
						unanswered = fmt.Errorf("authentication failed: %s; %w", e.Form.Error, unanswered)
					}
					s.Disconnect()
					break
				}
				if err := s.Answer(a); err != nil {
					fmt.Fprintln(out, "  ", err)
					continue
				}
				break
			}
		case client.ConnectedEvent:
			printSettings(out, e.Settings)
			if w := client.WeakSuiteWarning(e.Settings); w != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			if onConnected != nil {
				onConnected()
			}
		case client.ProfileEvent:
			if e.Updated {
				fmt.Fprintf(out, "profile from the headend stored in %s\n", e.Path)
			} else {
				fmt.Fprintf(out, "profile from the headend unchanged: %s\n", e.Path)
			}
		case client.ErrorEvent:
			var pe *client.ProfileError
			if errors.As(e.Err, &pe) {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", e.Err)
				break
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "error:", e.Err)
		case client.DisconnectedEvent:
			if e.Err != nil {
				fmt.Fprintln(out, "disconnected:", e.Err)
			} else {
				fmt.Fprintln(out, "disconnected")
			}
		}
	}
	if err := <-done; err != nil {
		return err
	}
	return unanswered
}

func printSettings(w io.Writer, st client.Settings) {
	fmt.Fprintf(w, "tunnel up in %s\n", st.SetupTime.Round(time.Millisecond))
	fmt.Fprintf(w, "  headend   %s\n", st.Headend)
	fmt.Fprintf(w, "  device    %s (MTU %d)\n", st.Device, st.MTU)
	if st.Address4.IsValid() {
		fmt.Fprintf(w, "  address   %s\n", st.Address4)
	}
	if st.Address6.IsValid() {
		fmt.Fprintf(w, "  address   %s\n", st.Address6)
	}
	fmt.Fprintf(w, "  routes    %s\n", joinAny(st.Routes))
	if len(st.Exclude) > 0 {
		fmt.Fprintf(w, "  excluded  %s\n", joinAny(st.Exclude))
	}
	if len(st.DNS) > 0 {
		fmt.Fprintf(w, "  DNS       %s (domains %s)\n", joinAny(st.DNS), strings.Join(st.Domains, " "))
	}
	fmt.Fprintf(w, "  IKE       %s\n  ESP       %s\n", st.IKESuite, st.ESPSuite)
	if st.Banner != "" {
		fmt.Fprintf(w, "banner:\n%s\n", st.Banner)
	}
}

func joinAny[T fmt.Stringer](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = x.String()
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, " ")
}

// askForm asks each visible field on the terminal; passwords without echo.
func askForm(cmd *cobra.Command, form *client.Form) (client.FormAnswer, error) {
	out := cmd.OutOrStdout()
	for _, s := range []string{form.Title, form.Banner, form.Message} {
		if s != "" {
			fmt.Fprintln(out, s)
		}
	}
	if form.Error != "" {
		fmt.Fprintln(out, "error:", form.Error)
	}
	in := bufio.NewReader(cmd.InOrStdin())
	a := client.FormAnswer{}
	for _, fl := range form.Fields {
		label := fl.Label
		if label == "" {
			label = fl.Name
		}
		switch fl.Kind {
		case client.FieldHidden:
			continue
		case client.FieldSelect:
			for i, o := range fl.Options {
				fmt.Fprintf(out, "  %d) %s\n", i+1, o.Label)
			}
		}
		if fl.Value != "" && fl.Kind != client.FieldPassword {
			label += " [" + fl.Value + "]"
		}
		fmt.Fprintf(out, "%s: ", strings.TrimSuffix(label, ":"))
		var v string
		if fl.Kind == client.FieldPassword && cmd.InOrStdin() == io.Reader(os.Stdin) && term.IsTerminal(int(os.Stdin.Fd())) {
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			fmt.Fprintln(out)
			if err != nil {
				return nil, err
			}
			v = string(b)
		} else {
			line, err := in.ReadString('\n')
			if err != nil && line == "" {
				return nil, fmt.Errorf("reading %s: %w", label, err)
			}
			v = strings.TrimRight(line, "\r\n")
		}
		if fl.Kind == client.FieldSelect {
			var n int
			if _, err := fmt.Sscan(v, &n); err == nil && n >= 1 && n <= len(fl.Options) {
				v = fl.Options[n-1].Value
			}
		}
		if v == "" {
			v = fl.Value
		}
		a[fl.Name] = v
	}
	return a, nil
}
