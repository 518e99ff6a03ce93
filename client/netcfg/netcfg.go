// Package netcfg applies and undoes the operating system side of a VPN
// connection: the tunnel interface's MTU and addresses, the routes that send
// traffic into the tunnel or keep it out, and the DNS settings.
//
// Every change is recorded in a state file before and after it is made, so
// that Revert removes exactly what Apply added (never routes or addresses that
// existed before) and Recover can undo what a crashed process left behind.
//
// The Linux implementation (NewLinux) uses netlink for links, addresses and
// routes, and systemd-resolved over D-Bus or a direct /etc/resolv.conf rewrite
// for DNS. Fake records calls for tests of the code that drives a Manager.
package netcfg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
)

// Config is what one connection needs from the operating system.
type Config struct {
	// Interface is the tunnel device's name. The caller creates it; Apply
	// brings it up if it is down.
	Interface string
	// MTU of the tunnel device; 0 leaves it unchanged.
	MTU int
	// Addresses are the tunnel addresses with their prefix lengths.
	Addresses []netip.Prefix
	// Include lists the networks routed through the tunnel. 0.0.0.0/0 or
	// ::/0 make a full tunnel for that family: the default route is never
	// replaced, two half routes (0.0.0.0/1 and 128.0.0.0/1, ::/1 and
	// 8000::/1) cover it instead.
	Include []netip.Prefix
	// Exclude lists networks kept off the tunnel (split exclude, local LAN
	// access). They are routed along the path the kernel used for them
	// before Apply.
	Exclude []netip.Prefix
	// Headend must stay reachable outside the tunnel. When the tunnel covers
	// it (full tunnel, or an Include network that contains it), Apply adds a
	// host route along the path the kernel used for it before Apply.
	Headend netip.Addr
	// DNS servers reached through the tunnel.
	DNS []netip.Addr
	// Domains are the search or split-DNS domains from the headend.
	Domains []string
	// SplitDNS sends only names under Domains to the tunnel's DNS servers;
	// otherwise the tunnel's servers answer every name.
	SplitDNS bool
}

// Manager applies one Config and undoes it.
type Manager interface {
	// Apply makes every change the Config needs. It is all or nothing: on
	// error, what it had done is undone before it returns.
	Apply(ctx context.Context, cfg Config) error
	// Revert undoes everything Apply did. It is idempotent: without applied
	// changes it returns nil.
	Revert(ctx context.Context) error
}

// DNSMode selects how DNS settings are made.
type DNSMode string

const (
	// DNSAuto picks systemd-resolved when it is on the system bus and is
	// the system's resolver, else a direct resolv.conf rewrite, else none.
	DNSAuto DNSMode = "auto"
	// DNSResolved uses systemd-resolved's per-link settings over D-Bus.
	DNSResolved DNSMode = "resolved"
	// DNSFile rewrites resolv.conf and restores it on Revert.
	DNSFile DNSMode = "file"
	// DNSNone leaves DNS alone.
	DNSNone DNSMode = "none"
)

// ParseDNSMode accepts auto, resolved, file (or its alias resolvconf) and
// none; the empty string means auto.
func ParseDNSMode(s string) (DNSMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return DNSAuto, nil
	case "resolved", "systemd-resolved":
		return DNSResolved, nil
	case "file", "resolvconf", "resolv.conf":
		return DNSFile, nil
	case "none", "off":
		return DNSNone, nil
	}
	return "", fmt.Errorf("netcfg: unknown DNS mode %q (want auto, resolved, file or none)", s)
}

// Defaults for Options.
const (
	DefaultStateFile  = "/run/vpnc-go/netcfg.json"
	DefaultResolvConf = "/etc/resolv.conf"
)

// Options configure a Linux Manager and Recover.
type Options struct {
	// StateFile records the changes made; DefaultStateFile when empty.
	StateFile string
	// DNS selects the DNS method; DNSAuto when empty.
	DNS DNSMode
	// NoRoutes leaves routes alone (addresses, MTU and DNS are still set).
	NoRoutes bool
	// ResolvConf is the file rewritten in DNSFile mode; DefaultResolvConf
	// when empty.
	ResolvConf string
	// DBusAddress is the system bus address; when empty,
	// DBUS_SYSTEM_BUS_ADDRESS or the standard socket.
	DBusAddress string
	// NetNS is the path of a network namespace to configure (such as
	// /run/netns/NAME); the caller's namespace when empty.
	NetNS string
	// Logger receives notes on odd cases (a changed resolv.conf that is
	// left alone, a route that already existed); slog.Default when nil.
	Logger *slog.Logger

	// probes replace the checks of the running system in tests.
	//lint:ignore U1000 only the Linux Manager chooses a DNS method.
	probes *dnsProbes
}

// ErrApplied is returned by Apply when changes from an earlier Apply (of this
// or a crashed process) are still recorded in the state file: call Revert or
// Recover first.
var ErrApplied = errors.New("netcfg: changes of an earlier Apply are still in place (Revert or Recover first)")

// Validate checks a Config for mistakes that would make Apply fail halfway.
func (c Config) Validate() error {
	var errs []error
	if c.Interface == "" {
		errs = append(errs, errors.New("no interface"))
	}
	if c.MTU < 0 || (c.MTU > 0 && c.MTU < 576) || c.MTU > 65535 {
		errs = append(errs, fmt.Errorf("MTU %d out of range", c.MTU))
	}
	for _, p := range c.Addresses {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("invalid address %v", p))
		}
	}
	for _, l := range [][]netip.Prefix{c.Include, c.Exclude} {
		for _, p := range l {
			if !p.IsValid() {
				errs = append(errs, fmt.Errorf("invalid network %v", p))
			}
		}
	}
	for _, a := range c.DNS {
		if !a.IsValid() {
			errs = append(errs, fmt.Errorf("invalid DNS server %v", a))
		}
	}
	for _, d := range c.Domains {
		if normDomain(d) == "" || strings.ContainsAny(d, " \t\r\n~") {
			errs = append(errs, fmt.Errorf("invalid domain %q", d))
		}
	}
	if c.Headend.IsValid() && c.Headend.Zone() != "" {
		errs = append(errs, fmt.Errorf("headend %v has a zone", c.Headend))
	}
	if len(errs) > 0 {
		return fmt.Errorf("netcfg: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

func normDomain(d string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(d), "."), ".")
}

// routePlan is the route part of a Config, worked out without touching the
// system: the networks to send into the tunnel and the destinations whose
// pre-Apply path must be pinned.
type routePlan struct {
	tunnel []netip.Prefix // via the tunnel device
	bypass []netip.Prefix // via the path the kernel used before Apply
}

var (
	v4Halves = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/1"), netip.MustParsePrefix("128.0.0.0/1")}
	v6Halves = []netip.Prefix{netip.MustParsePrefix("::/1"), netip.MustParsePrefix("8000::/1")}
)

func planRoutes(c Config) routePlan {
	var p routePlan
	seen := map[netip.Prefix]bool{}
	addT := func(x netip.Prefix) {
		x = x.Masked()
		if !seen[x] {
			seen[x] = true
			p.tunnel = append(p.tunnel, x)
		}
	}
	for _, in := range c.Include {
		switch {
		case in.Bits() == 0 && in.Addr().Is4():
			for _, h := range v4Halves {
				addT(h)
			}
		case in.Bits() == 0:
			for _, h := range v6Halves {
				addT(h)
			}
		default:
			addT(in)
		}
	}
	if c.Headend.IsValid() {
		h := c.Headend.Unmap()
		for _, t := range p.tunnel {
			if t.Contains(h) {
				hp := netip.PrefixFrom(h, h.BitLen())
				seen[hp] = true
				p.bypass = append(p.bypass, hp)
				break
			}
		}
	}
	for _, ex := range c.Exclude {
		ex = ex.Masked()
		if !seen[ex] {
			seen[ex] = true
			p.bypass = append(p.bypass, ex)
		}
	}
	return p
}
