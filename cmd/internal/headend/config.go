// Package headend is vpnc-go's headend emulator: an ASA-like IKEv2
// gateway for tests and demos. This file reads its configuration, which is
// TOML shaped after an ASA's concepts: tunnel groups, group policies,
// address pools and a local user list. testdata/headend/asa-seed.toml is an
// annotated example.
package headend

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is a headend configuration file.
type Config struct {
	// Listen is the address for IKE (UDP 500 and 4500) and ESP in UDP.
	Listen   string `toml:"listen"`
	IKEPort  int    `toml:"ike-port"`
	NATTPort int    `toml:"natt-port"`
	// Identity is the IDr: an FQDN; the certificate subject when empty.
	Identity    string `toml:"identity"`
	Certificate string `toml:"certificate"` // PEM chain, leaf first
	Key         string `toml:"key"`         // PEM private key
	// ClientCA verifies client certificates (IKE-RSA/ECDSA and the
	// certificate path of EAP-AnyConnect).
	ClientCA string `toml:"client-ca"`
	// ClientServicesPort is the TCP port of the headend's HTTPS client
	// services (ASA: crypto ikev2 enable outside client-services port
	// N), where pushed profiles are served; announced as <csport>. 443
	// when zero.
	ClientServicesPort int `toml:"client-services-port"`
	// DefaultTunnelGroup serves clients that name no group: every
	// standard EAP client, and AnyConnect clients without group-access.
	DefaultTunnelGroup string `toml:"default-tunnel-group"`

	Crypto        Crypto                  `toml:"crypto"`
	Pools         map[string]Pool         `toml:"pool"`
	GroupPolicies map[string]GroupPolicy  `toml:"group-policy"`
	TunnelGroups  map[string]*TunnelGroup `toml:"tunnel-group"`
	Users         []User                  `toml:"user"`
	Tunnel        Tunnel                  `toml:"tunnel"`

	dir string // the file's folder: relative paths start there
}

// Crypto holds proposals and timers.
type Crypto struct {
	IKE []string `toml:"ike"` // proposal strings, in order of preference
	ESP []string `toml:"esp"`
	// ChildLifetime and IKELifetime are when SAs are rekeyed.
	ChildLifetime Duration `toml:"child-lifetime"`
	IKELifetime   Duration `toml:"ike-lifetime"`
	DPD           Duration `toml:"dpd"`
	// Fragmentation: "auto" (Cisco style for AnyConnect clients, RFC 7383
	// for others), "rfc7383", "cisco" or "off".
	Fragmentation string `toml:"fragmentation"`
	FragmentSize  int    `toml:"fragment-size"`
	// ForceEncap makes clients move to UDP 4500 even without NAT, as a
	// userspace ESP peer needs.
	ForceEncap bool `toml:"force-encap"`
}

// Pool is an address pool (ASA: ip local pool NAME FIRST-LAST mask M),
// optionally with IPv6 addresses beside (ipv6 local pool NAME PREFIX N):
// each client then gets one address of each.
type Pool struct {
	Range string `toml:"range"` // "10.2.2.1-10.2.2.10"
	Mask  string `toml:"mask"`  // "255.255.255.0"
	// IPv6 is a network to hand out single IPv6 addresses from, such as
	// "2001:db8:2::/64"; empty: IPv4 only.
	IPv6 string `toml:"ipv6"`

	first, last netip.Addr
	bits        int
	v6          netip.Prefix
}

// GroupPolicy is what a client gets after login (ASA: group-policy).
type GroupPolicy struct {
	DNS           []string `toml:"dns"`
	DefaultDomain string   `toml:"default-domain"`
	SplitDNS      []string `toml:"split-dns"`
	// SplitInclude lists the networks tunnelled; empty means a full tunnel.
	SplitInclude []string `toml:"split-include"`
	SplitExclude []string `toml:"split-exclude"`
	Banner       string   `toml:"banner"`
	// Profile is an AnyConnect XML profile pushed to the group's
	// EAP-AnyConnect clients (ASA: anyconnect profiles value NAME type
	// user): announced in complete with its SHA-1, served on the client
	// services port.
	Profile string `toml:"profile"`

	dns     []netip.Addr
	include []netip.Prefix
	exclude []netip.Prefix
}

// TunnelGroup is a connection profile (ASA: tunnel-group).
type TunnelGroup struct {
	Aliases     []string `toml:"aliases"`
	GroupURLs   []string `toml:"group-urls"`
	Auth        string   `toml:"auth"` // eap-anyconnect, eap-mschapv2, eap-md5, eap-gtc, certificate
	GroupPolicy string   `toml:"group-policy"`
	Pool        string   `toml:"pool"`
	// Authentication is what an EAP-AnyConnect client proves, as an ASA's
	// tunnel-group webvpn-attributes say it: "aaa" (username and
	// password, the default), "certificate" (a client certificate inside
	// EAP and no password form) or "aaa certificate" (both, certificate
	// first).
	Authentication string `toml:"authentication"`
	// ClientCertificate is the older spelling of authentication = "aaa
	// certificate".
	ClientCertificate bool `toml:"client-certificate"`
	// HostScan demands a posture check token (EAP-AnyConnect).
	HostScan bool `toml:"host-scan"`
	// SecondFactor asks EAP-AnyConnect clients for a second password,
	// checked against the user's second-factor entry.
	SecondFactor bool   `toml:"second-factor"`
	Banner       string `toml:"banner"`
	MaxTries     int    `toml:"max-tries"`

	name string
}

// User is an entry of the local user database. PasswordHash (bcrypt)
// serves forms (EAP-AnyConnect, EAP-GTC); NTHash (MD4 of the UTF-16
// password, hex) serves EAP-MSCHAPv2; EAP-MD5 (CHAP) needs the password
// itself, which is why Password exists; prefer the hashes.
type User struct {
	Name         string   `toml:"name"`
	PasswordHash string   `toml:"password-hash"`
	NTHash       string   `toml:"nt-hash"`
	Password     string   `toml:"password"`
	SecondFactor string   `toml:"second-factor"` // bcrypt hash
	Groups       []string `toml:"groups"`        // tunnel groups allowed; all when empty
	Disabled     bool     `toml:"disabled"`
}

// Tunnel configures the data plane.
type Tunnel struct {
	Interface string `toml:"interface"` // TUN name, "vpnc-headend" when empty
	MTU       int    `toml:"mtu"`
	// Forward lets clients reach the networks behind the headend
	// (net.ipv4.ip_forward, set and restored).
	Forward bool `toml:"forward"`
}

// Duration is a time.Duration written as "8h", "30s".
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	d.Duration = v
	return nil
}

// Auth methods of tunnel groups.
var authMethods = []string{"eap-anyconnect", "eap-mschapv2", "eap-md5", "eap-gtc", "certificate"}

// Load reads and checks a configuration file. Errors name the file and,
// where the TOML parser knows it, the line.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse reads a configuration; name is used in errors and its folder for
// relative file names.
func Parse(name string, b []byte) (*Config, error) {
	c := &Config{dir: filepath.Dir(name)}
	md, err := toml.Decode(string(b), c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("%s: unknown setting %s", name, strings.Join(keys, ", "))
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Path resolves a file name of the configuration against its folder.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

func (c *Config) check() error {
	if c.Listen == "" {
		c.Listen = "0.0.0.0"
	}
	if _, err := netip.ParseAddr(c.Listen); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if c.IKEPort == 0 {
		c.IKEPort = 500
	}
	if c.NATTPort == 0 {
		c.NATTPort = 4500
	}
	if c.ClientServicesPort == 0 {
		c.ClientServicesPort = 443
	}
	if c.ClientServicesPort < 0 || c.ClientServicesPort > 65535 {
		return fmt.Errorf("client-services-port %d is not a TCP port", c.ClientServicesPort)
	}
	if c.Certificate == "" || c.Key == "" {
		return errors.New("certificate and key are required")
	}
	switch c.Crypto.Fragmentation {
	case "":
		c.Crypto.Fragmentation = "auto"
	case "auto", "rfc7383", "cisco", "off":
	default:
		return fmt.Errorf("crypto.fragmentation: %q is not auto, rfc7383, cisco or off", c.Crypto.Fragmentation)
	}
	for name, p := range c.Pools {
		if err := p.parse(); err != nil {
			return fmt.Errorf("pool %q: %w", name, err)
		}
		c.Pools[name] = p
	}
	for name, gp := range c.GroupPolicies {
		if err := gp.parse(); err != nil {
			return fmt.Errorf("group-policy %q: %w", name, err)
		}
		c.GroupPolicies[name] = gp
	}
	if len(c.TunnelGroups) == 0 {
		return errors.New("no tunnel-group")
	}
	for _, name := range c.groupNames() {
		g := c.TunnelGroups[name]
		g.name = name
		if !slices.Contains(authMethods, g.Auth) {
			return fmt.Errorf("tunnel-group %q: auth %q is not one of %s", name, g.Auth, strings.Join(authMethods, ", "))
		}
		if _, ok := c.GroupPolicies[g.GroupPolicy]; !ok {
			return fmt.Errorf("tunnel-group %q: group-policy %q is not defined", name, g.GroupPolicy)
		}
		if _, ok := c.Pools[g.Pool]; !ok {
			return fmt.Errorf("tunnel-group %q: pool %q is not defined", name, g.Pool)
		}
		if (g.ClientCertificate || g.HostScan || g.SecondFactor || g.Authentication != "") && g.Auth != "eap-anyconnect" {
			return fmt.Errorf("tunnel-group %q: authentication, client-certificate, host-scan and second-factor need auth eap-anyconnect", name)
		}
		if err := g.checkAuthentication(); err != nil {
			return fmt.Errorf("tunnel-group %q: %w", name, err)
		}
		if g.Auth == "certificate" || g.ClientCertificate {
			if c.ClientCA == "" {
				return fmt.Errorf("tunnel-group %q: certificate authentication needs client-ca", name)
			}
		}
	}
	if c.DefaultTunnelGroup == "" {
		c.DefaultTunnelGroup = c.groupNames()[0]
	}
	if _, ok := c.TunnelGroups[c.DefaultTunnelGroup]; !ok {
		return fmt.Errorf("default-tunnel-group %q is not defined", c.DefaultTunnelGroup)
	}
	seen := map[string]bool{}
	for i, u := range c.Users {
		switch {
		case u.Name == "":
			return fmt.Errorf("user %d has no name", i+1)
		case seen[u.Name]:
			return fmt.Errorf("user %q is listed twice", u.Name)
		case u.PasswordHash == "" && u.NTHash == "" && u.Password == "":
			return fmt.Errorf("user %q has no password-hash, nt-hash or password", u.Name)
		}
		if u.NTHash != "" {
			if _, err := ntHash(u.NTHash); err != nil {
				return fmt.Errorf("user %q: nt-hash: %w", u.Name, err)
			}
		}
		for _, g := range u.Groups {
			if _, ok := c.TunnelGroups[g]; !ok {
				return fmt.Errorf("user %q: tunnel group %q is not defined", u.Name, g)
			}
		}
		seen[u.Name] = true
	}
	return nil
}

// EAP-AnyConnect authentication kinds of a tunnel group (ASA:
// authentication aaa | certificate | aaa certificate).
const (
	authAAA         = "aaa"
	authCertificate = "certificate"
	authBoth        = "aaa certificate"
)

// checkAuthentication normalizes Authentication and ClientCertificate:
// afterwards ClientCertificate says whether a certificate is asked and
// password() whether a password is.
func (g *TunnelGroup) checkAuthentication() error {
	a := strings.Join(strings.Fields(g.Authentication), " ")
	switch {
	case g.Auth != "eap-anyconnect":
		return nil
	case a == "" && g.ClientCertificate:
		a = authBoth
	case a == "":
		a = authAAA
	case a == "certificate aaa":
		a = authBoth
	}
	switch a {
	case authAAA:
		if g.ClientCertificate {
			return errors.New(`authentication "aaa" contradicts client-certificate = true`)
		}
	case authCertificate, authBoth:
		g.ClientCertificate = true
	default:
		return fmt.Errorf("authentication %q is not \"aaa\", \"certificate\" or \"aaa certificate\"", g.Authentication)
	}
	if a == authCertificate && g.SecondFactor {
		return errors.New(`second-factor needs a password step: authentication "aaa" or "aaa certificate"`)
	}
	g.Authentication = a
	return nil
}

// password reports whether the group asks for a username and password.
func (g *TunnelGroup) password() bool { return g.Authentication != authCertificate }

// groupNames returns the tunnel group names in a stable order.
func (c *Config) groupNames() []string {
	names := make([]string, 0, len(c.TunnelGroups))
	for n := range c.TunnelGroups {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (p *Pool) parse() error {
	first, last, ok := strings.Cut(p.Range, "-")
	if !ok {
		return fmt.Errorf("range %q is not FIRST-LAST", p.Range)
	}
	var err error
	if p.first, err = netip.ParseAddr(strings.TrimSpace(first)); err != nil {
		return fmt.Errorf("range: %w", err)
	}
	if p.last, err = netip.ParseAddr(strings.TrimSpace(last)); err != nil {
		return fmt.Errorf("range: %w", err)
	}
	if !p.first.Is4() || !p.last.Is4() || p.last.Less(p.first) {
		return fmt.Errorf("range %q must go from a lower to a higher IPv4 address", p.Range)
	}
	if p.IPv6 != "" {
		v6, err := netip.ParsePrefix(p.IPv6)
		if err != nil || !v6.Addr().Is6() || v6.Bits() > 120 {
			return fmt.Errorf("ipv6 %q is not an IPv6 network of at least 256 addresses", p.IPv6)
		}
		p.v6 = v6.Masked()
	}
	p.bits = 32
	if p.Mask != "" {
		m, err := netip.ParseAddr(p.Mask)
		if err != nil || !m.Is4() {
			return fmt.Errorf("mask %q is not an IPv4 netmask", p.Mask)
		}
		b := m.As4()
		bits, ok := maskBits(b[:])
		if !ok {
			return fmt.Errorf("mask %q is not contiguous", p.Mask)
		}
		p.bits = bits
	}
	return nil
}

func maskBits(m []byte) (int, bool) {
	n, done := 0, false
	for _, c := range m {
		for i := 7; i >= 0; i-- {
			if c&(1<<i) != 0 {
				if done {
					return 0, false
				}
				n++
			} else {
				done = true
			}
		}
	}
	return n, true
}

func (gp *GroupPolicy) parse() error {
	for _, s := range gp.DNS {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("dns: %w", err)
		}
		gp.dns = append(gp.dns, a)
	}
	for _, list := range []struct {
		name string
		in   []string
		out  *[]netip.Prefix
	}{{"split-include", gp.SplitInclude, &gp.include}, {"split-exclude", gp.SplitExclude, &gp.exclude}} {
		for _, s := range list.in {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return fmt.Errorf("%s: %w", list.name, err)
			}
			*list.out = append(*list.out, p.Masked())
		}
	}
	return nil
}

func (c *Config) user(name string) *User {
	for i := range c.Users {
		if c.Users[i].Name == name {
			return &c.Users[i]
		}
	}
	return nil
}

// ntHash decodes an nt-hash entry: 32 hex digits.
func ntHash(s string) ([16]byte, error) {
	var h [16]byte
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 16 {
		return h, fmt.Errorf("%q is not 32 hex digits", s)
	}
	copy(h[:], b)
	return h, nil
}
