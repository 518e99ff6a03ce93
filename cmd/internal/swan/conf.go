//go:build linux

package swan

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Headend describes a remote-access connection of a charon headend.
type Headend struct {
	IKE, ESP string // proposals, e.g. "aes192-sha1-modp1024", "aes256-sha1"
	// RemoteAuth is how clients authenticate: eap-mschapv2, eap-md5,
	// eap-gtc or pubkey.
	RemoteAuth string
	LocalID    string // the headend's IDr (must be in its certificate)
	LocalTS    string // "198.51.100.0/24" (split) or "0.0.0.0/0" (full)
	Pool       string // "10.2.2.1-10.2.2.10"
	DNS        string
	Users      map[string]string // EAP secrets
	// Lifetimes: zero keeps strongSwan's defaults (4 h IKE, 1 h CHILD).
	IKERekey, ChildRekey, DPD time.Duration
}

func secs(d time.Duration) string { return fmt.Sprintf("%ds", int(d.Seconds())) }

// Conf is the swanctl.conf for h; the server certificate is server.pem.
func (h Headend) Conf() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# written by vpnc-go's interop tests")
	w("connections {")
	w("  rw {")
	w("    version = 2")
	w("    proposals = %s", h.IKE)
	w("    pools = pool")
	w("    fragmentation = yes")
	w("    send_cert = always")
	w("    unique = never")
	if h.IKERekey > 0 {
		w("    rekey_time = %s", secs(h.IKERekey))
		w("    over_time = %s", secs(h.IKERekey/4))
		w("    rand_time = 0s")
	}
	if h.DPD > 0 {
		w("    dpd_delay = %s", secs(h.DPD))
	}
	w("    local {")
	w("      auth = pubkey")
	w("      certs = server.pem")
	w("      id = %s", h.LocalID)
	w("    }")
	w("    remote {")
	w("      auth = %s", h.RemoteAuth)
	w("      id = %%any")
	if strings.HasPrefix(h.RemoteAuth, "eap") {
		// Ask for the user name with EAP-Identity: IDi is the AnyConnect
		// identity, not a user.
		w("      eap_id = %%any")
	}
	w("    }")
	w("    children {")
	w("      net {")
	w("        local_ts = %s", h.LocalTS)
	w("        esp_proposals = %s", h.ESP)
	if h.ChildRekey > 0 {
		w("        rekey_time = %s", secs(h.ChildRekey))
		w("        life_time = %s", secs(h.ChildRekey*3/2))
		w("        rand_time = 0s")
	}
	w("        dpd_action = clear")
	w("      }")
	w("    }")
	w("  }")
	w("}")
	w("pools {")
	w("  pool {")
	w("    addrs = %s", h.Pool)
	if h.DNS != "" {
		w("    dns = %s", h.DNS)
	}
	w("  }")
	w("}")
	w("secrets {")
	names := make([]string, 0, len(h.Users))
	for n := range h.Users {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		w("  eap-%d {", i)
		w("    id = %s", quote(n))
		w("    secret = %s", quote(h.Users[n]))
		w("  }")
	}
	w("}")
	return b.String()
}

// Client describes a road-warrior connection of a client charon.
type Client struct {
	Remote   string // the headend's address
	RemoteID string // what the headend's certificate must name
	IKE, ESP string
	// Auth: eap-mschapv2 (EAPID and Password) or pubkey (Cert in x509,
	// its key in private).
	Auth     string
	LocalID  string
	EAPID    string
	Password string
	Cert     string
	RemoteTS string // "198.51.100.0/24"
	// DPD, when set, checks the headend's liveness after this much
	// silence and restarts the connection when it is gone.
	DPD time.Duration
}

// Conf is the swanctl.conf for c: one connection "home" with child "net".
func (c Client) Conf() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# written by vpnc-go's interop tests")
	w("connections {")
	w("  home {")
	w("    version = 2")
	w("    remote_addrs = %s", c.Remote)
	w("    vips = 0.0.0.0")
	w("    proposals = %s", c.IKE)
	w("    fragmentation = yes")
	if c.DPD > 0 {
		w("    dpd_delay = %s", secs(c.DPD))
	}
	w("    local {")
	w("      auth = %s", c.Auth)
	if c.LocalID != "" {
		w("      id = %s", quote(c.LocalID))
	}
	if c.EAPID != "" {
		w("      eap_id = %s", quote(c.EAPID))
	}
	if c.Cert != "" {
		w("      certs = %s", c.Cert)
	}
	w("    }")
	w("    remote {")
	w("      auth = pubkey")
	w("      id = %s", quote(c.RemoteID))
	w("    }")
	w("    children {")
	w("      net {")
	w("        remote_ts = %s", c.RemoteTS)
	w("        esp_proposals = %s", c.ESP)
	if c.DPD > 0 {
		w("        dpd_action = restart")
	}
	w("      }")
	w("    }")
	w("  }")
	w("}")
	if c.Password != "" {
		w("secrets {")
		w("  eap-0 {")
		w("    id = %s", quote(c.EAPID))
		w("    secret = %s", quote(c.Password))
		w("  }")
		w("}")
	}
	return b.String()
}

// quote writes a swanctl string value in double quotes (identities with
// $ or *, passwords with spaces).
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
