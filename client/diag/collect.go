package diag

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/profile"
)

// agentPart names what the agent gives, in the manifest's Missing.
const agentPart = "agent (status, log, events, headend certificate chain)"

// maxProfile bounds a profile copied into the bundle.
const maxProfile = 1 << 20

type collector struct {
	src     Sources
	opt     Options
	ids     *identities
	parts   []part
	missing []Missing
}

func (c *collector) add(name, what, text string) {
	c.parts = append(c.parts, part{name: name, what: what, text: text})
}

func (c *collector) miss(what string, why error) {
	c.missing = append(c.missing, Missing{What: what, Why: why.Error()})
}

func (c *collector) collect(ctx context.Context) {
	if c.src.User != "" && c.src.User != "root" {
		c.ids.add("user", c.src.User)
	}
	if c.src.Version != "" {
		c.add("version.txt", "vpnc-go's version and build information", c.src.Version)
	} else {
		c.missing = append(c.missing, Missing{"version", "no build information"})
	}
	d := c.agent(ctx)
	c.profiles()
	c.os(d)
	c.network(ctx)
	c.journal()
}

// agent collects the agent's status, log, events and headend chain.
func (c *collector) agent(ctx context.Context) *agent.DiagResult {
	if c.src.Agent == nil {
		c.missing = append(c.missing, Missing{agentPart, "no agent to ask"})
		return nil
	}
	d, err := c.src.Agent(ctx)
	if err != nil {
		c.miss(agentPart, err)
		return nil
	}
	if st := d.Status; st != nil {
		c.ids.add("user", st.User)
		c.ids.add("headend", st.Host)
		c.ids.add("headend", st.Server)
		b, _ := json.MarshalIndent(st, "", "  ")
		c.add("agent/status.json", "the agent's status: state, host, user, the tunnel's settings (address, DNS, routes, suites), counters, last error", string(b)+"\n")
	}
	var log strings.Builder
	for _, l := range d.Log {
		fmt.Fprintf(&log, "%s %-5s %s\n", l.Time.Format(time.RFC3339Nano), l.Level, l.Text)
	}
	c.add("agent/log.txt", "the agent's recent log, debug lines included (UTC)", log.String())
	var ev strings.Builder
	for _, e := range d.Events {
		b, _ := json.Marshal(e)
		ev.Write(b)
		ev.WriteByte('\n')
	}
	c.add("agent/events.jsonl", "the recent sessions' events with times: stages, errors, suites, the headend's address, the assigned settings", ev.String())
	if t := d.ServerTrust; t != nil {
		c.ids.add("headend", t.Name)
		c.trust(t)
	} else {
		c.missing = append(c.missing, Missing{"headend certificate chain", "no session has received one since the agent started"})
	}
	return d
}

// trust describes the headend's chain and the verdict; the PEM goes in
// too unless identities are to be removed (certificates name the host).
func (c *collector) trust(t *agent.ServerTrust) {
	var b strings.Builder
	fmt.Fprintf(&b, "checked for: %s\nat: %s\ntrusted: %v\nby pin: %v\n", t.Name, t.Time.Format(time.RFC3339), t.Trusted, t.ByPin)
	for _, p := range t.Problems {
		fmt.Fprintf(&b, "problem: %s\n", p)
	}
	for i, p := range t.Chain {
		blk, _ := pem.Decode([]byte(p))
		if blk == nil {
			fmt.Fprintf(&b, "\ncertificate %d: not PEM\n", i)
			continue
		}
		fmt.Fprintf(&b, "\ncertificate %d:\n", i)
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			fmt.Fprintf(&b, "  unparsable: %v\n", err)
			continue
		}
		sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
		fmt.Fprintf(&b, "  subject: %s\n  issuer: %s\n  serial: %s\n  valid: %s to %s\n  DNS names: %s\n  IP addresses: %v\n  key: %s, pin-sha256:%s\n  signature: %s\n",
			cert.Subject, cert.Issuer, cert.SerialNumber, cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339),
			strings.Join(cert.DNSNames, ", "), cert.IPAddresses, cert.PublicKeyAlgorithm, base64.StdEncoding.EncodeToString(sum[:]), cert.SignatureAlgorithm)
		if i == 0 { // the headend's own names; a CA's are not identities
			for _, n := range cert.DNSNames {
				c.ids.add("headend", n)
			}
			c.ids.add("headend", cert.Subject.CommonName)
		}
	}
	c.add("headend/trust.txt", "the headend's certificate chain as received (public parts) and the trust decision", b.String())
	if c.opt.RedactIdentities {
		// The certificates name the headend, in DER no placeholder can
		// reach.
		c.missing = append(c.missing, Missing{"headend/chain.pem", "left out: the certificates name the headend, and identities are to be removed"})
		return
	}
	c.add("headend/chain.pem", "the headend's certificate chain as received, PEM, leaf first (public certificates only)", strings.Join(t.Chain, ""))
}

// profiles lists the profiles in effect and copies each XML file read.
func (c *collector) profiles() {
	if c.src.Profiles == nil {
		c.missing = append(c.missing, Missing{"profiles", "no profile discovery"})
		return
	}
	cat := c.src.Profiles()
	for _, e := range cat.Entries {
		c.ids.add("headend", e.Name)
		c.ids.add("headend", e.Address.Host)
		for _, a := range append(append([]profile.Address{}, e.Backup...), e.LoadBalancing...) {
			c.ids.add("headend", a.Host)
		}
	}
	var b strings.Builder
	b.WriteString("Profiles in effect, in precedence order (explicit: --profile; system: managed folders; pushed: by a headend; user: the user's folder)\n\n")
	for _, f := range cat.Files {
		fmt.Fprintf(&b, "%-8s %s used=%v\n", f.Class, f.Path, f.Used)
		for _, p := range f.Problems {
			fmt.Fprintf(&b, "         %s\n", p)
		}
	}
	if len(cat.Files) == 0 {
		b.WriteString("(no profile files found)\n")
	}
	b.WriteString("\nHosts:\n")
	for _, e := range cat.Entries {
		fmt.Fprintf(&b, "  %q %s group=%q from %s (%s) supported=%v %s %s\n", e.Name, e.Address, e.UserGroup, e.Source, e.Class, e.Supported, e.Reason, e.Note)
	}
	for _, s := range cat.Shadowed {
		fmt.Fprintf(&b, "  shadowed: %q in %s (the one in %s wins)\n", s.Name, s.Source, s.WinnerIn)
	}
	c.add("profiles/summary.txt", "the profiles found, where each came from, their validation result, and their hosts", b.String())
	if js, err := json.MarshalIndent(cat, "", "  "); err == nil {
		c.add("profiles/catalog.json", "the same as JSON", string(js)+"\n")
	}
	if c.src.ReadFile == nil {
		return
	}
	for i, f := range cat.Files {
		if !strings.EqualFold(filepath.Ext(f.Path), ".xml") {
			continue
		}
		b, err := c.src.ReadFile(f.Path)
		if err != nil {
			c.miss("profile "+f.Path, err)
			continue
		}
		t, ok := text(b)
		if !ok || len(b) > maxProfile {
			c.missing = append(c.missing, Missing{"profile " + f.Path, "not a text file of at most 1 MiB"})
			continue
		}
		c.add(fmt.Sprintf("profiles/%02d-%s-%s", i+1, f.Class, filepath.Base(f.Path)), "a copy of the profile "+f.Path, t)
	}
}

// os describes the system: kernel, distribution, resolver services, the
// TUN driver and device.
func (c *collector) os(d *agent.DiagResult) {
	var b strings.Builder
	fmt.Fprintf(&b, "os: %s\n", c.src.GOOS)
	read := func(label, path string) {
		if c.src.ReadFile == nil {
			return
		}
		if v, err := c.src.ReadFile(path); err == nil {
			fmt.Fprintf(&b, "%s: %s\n", label, strings.TrimSpace(string(v)))
		} else {
			fmt.Fprintf(&b, "%s: unknown (%v)\n", label, err)
		}
	}
	if c.src.GOOS != "linux" {
		c.add("os.txt", "the operating system", b.String())
		return
	}
	read("kernel", "/proc/sys/kernel/osrelease")
	read("kernel version", "/proc/sys/kernel/version")
	if c.src.ReadFile != nil {
		if v, err := c.src.ReadFile("/etc/os-release"); err == nil {
			fmt.Fprintf(&b, "distribution: %s\n", osRelease(string(v)))
		} else {
			fmt.Fprintf(&b, "distribution: unknown (%v)\n", err)
		}
	}
	device := "vpnc0"
	if d != nil && d.Status != nil && d.Status.Settings != nil && d.Status.Settings.Device != "" {
		device = d.Status.Settings.Device
	}
	if c.src.Exists != nil {
		fmt.Fprintf(&b, "systemd-resolved running: %v (/run/systemd/resolve/io.systemd.Resolve)\n", c.src.Exists("/run/systemd/resolve/io.systemd.Resolve"))
		fmt.Fprintf(&b, "NetworkManager running: %v (/run/NetworkManager/NetworkManager.pid)\n", c.src.Exists("/run/NetworkManager/NetworkManager.pid"))
		fmt.Fprintf(&b, "TUN driver: %v (/dev/net/tun)\n", c.src.Exists("/dev/net/tun"))
		fmt.Fprintf(&b, "tunnel device %s present: %v\n", device, c.src.Exists("/sys/class/net/"+device))
		fmt.Fprintf(&b, "agent socket present: %v (%s)\n", c.src.Exists(agent.DefaultSocket), agent.DefaultSocket)
	}
	c.add("os.txt", "the operating system: kernel, distribution, systemd-resolved and NetworkManager running, the TUN driver and device", b.String())
}

// osRelease picks the distribution's name from /etc/os-release.
func osRelease(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return "unknown (no PRETTY_NAME)"
}

// command is one command whose output goes into a file.
type command struct {
	file, what string
	argv       [][]string
}

func commands(goos string) []command {
	switch goos {
	case "linux":
		return []command{
			{"network/addresses.txt", "every link and its addresses, the tunnel device included", [][]string{{"ip", "-d", "address", "show"}}},
			{"network/routes.txt", "every routing table, IPv4 and IPv6", [][]string{{"ip", "-4", "route", "show", "table", "all"}, {"ip", "-6", "route", "show", "table", "all"}}},
			{"network/rules.txt", "the routing policy rules, IPv4 and IPv6", [][]string{{"ip", "-4", "rule", "show"}, {"ip", "-6", "rule", "show"}}},
			{"network/dns.txt", "the DNS configuration per link (systemd-resolved)", [][]string{{"resolvectl", "status"}}},
		}
	case "darwin":
		return []command{
			{"network/addresses.txt", "every interface and its addresses", [][]string{{"ifconfig", "-a"}}},
			{"network/routes.txt", "the routing tables", [][]string{{"netstat", "-rn"}}},
			{"network/dns.txt", "the DNS configuration per resolver", [][]string{{"scutil", "--dns"}}},
		}
	case "windows":
		return []command{
			{"network/addresses.txt", "every interface, its addresses and DNS servers", [][]string{{"ipconfig", "/all"}}},
			{"network/routes.txt", "the routing tables", [][]string{{"route", "print"}}},
		}
	}
	return nil
}

// network runs the commands that show the network configuration, and
// copies resolv.conf.
func (c *collector) network(ctx context.Context) {
	if c.src.Run == nil {
		c.missing = append(c.missing, Missing{"network configuration", "no way to run commands"})
	}
	for _, cmd := range commands(c.src.GOOS) {
		if c.src.Run == nil {
			break
		}
		var b strings.Builder
		var failed []string
		output := false
		for _, argv := range cmd.argv {
			out, err := c.src.Run(ctx, argv[0], argv[1:]...)
			output = output || len(out) > 0
			fmt.Fprintf(&b, "$ %s\n", strings.Join(argv, " "))
			t, ok := text(out)
			if !ok {
				t = "(output is not text)\n"
			}
			b.WriteString(t)
			if err != nil {
				fmt.Fprintf(&b, "(%v)\n", err)
				failed = append(failed, fmt.Sprintf("%s: %v", argv[0], err))
			}
			b.WriteString("\n")
		}
		if len(failed) == len(cmd.argv) && !output {
			c.missing = append(c.missing, Missing{cmd.file + " (" + cmd.what + ")", strings.Join(failed, "; ")})
			continue
		}
		c.add(cmd.file, cmd.what, b.String())
	}
	if c.src.GOOS == "linux" || c.src.GOOS == "darwin" {
		if c.src.ReadFile == nil {
			return
		}
		if b, err := c.src.ReadFile("/etc/resolv.conf"); err == nil {
			t, _ := text(b)
			c.add("network/resolv.conf", "/etc/resolv.conf", t)
		} else {
			c.miss("/etc/resolv.conf", err)
		}
	}
}

// journal copies the netcfg journal: what vpnc-go changed in the system
// and has not undone yet.
func (c *collector) journal() {
	if c.src.StateFile == "" || c.src.ReadFile == nil {
		return
	}
	b, err := c.src.ReadFile(c.src.StateFile)
	switch {
	case err == nil:
		t, _ := text(b)
		c.add("network/netcfg-journal.json", "the netcfg journal ("+c.src.StateFile+"): the changes vpnc-go made to the system and has not undone", t)
	case c.src.Exists != nil && !c.src.Exists(c.src.StateFile):
		c.add("network/netcfg-journal.json", "the netcfg journal ("+c.src.StateFile+"): absent, so no change of vpnc-go is in effect", "")
	default:
		c.miss("netcfg journal "+c.src.StateFile, err)
	}
}
