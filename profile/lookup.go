package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors returned by Lookup, to test with errors.Is.
var (
	ErrNoSuchHost  = errors.New("no such host")
	ErrUnsupported = errors.New("host not supported")
	ErrAmbiguous   = errors.New("ambiguous host")
)

// Target is a resolved host: everything the connection code needs from the
// profiles to connect to it.
type Target struct {
	// Name is the HostName (display name), or what the user typed for a
	// manual host.
	Name string `json:"name"`
	// Address is the headend to connect to first. Its Port is the one
	// written in the profile (0 if none); IKE itself starts on UDP 500.
	Address Address `json:"address"`
	// Backups are tried in order when Address fails: the entry's own
	// BackupServerList, then ClientInitialization's, without duplicates.
	Backups []Address `json:"backups,omitempty"`
	// LoadBalancing is the entry's LoadBalancingServerList (informational).
	LoadBalancing []Address `json:"load_balancing,omitempty"`
	// UserGroup is the tunnel group to send in the EAP-AnyConnect XML
	// (group-access / group-select): the entry's UserGroup, else the
	// group-URL path of its address (GroupFromPath); empty when neither.
	UserGroup     string `json:"user_group,omitempty"`
	GroupFromPath bool   `json:"group_from_path,omitempty"`
	// Protocol is the profile's PrimaryProtocol (ProtocolSet false: the
	// schema default). vpnc-go speaks IKEv2 whatever it says; Note says
	// so for SSL hosts.
	Protocol    Protocol `json:"protocol"`
	ProtocolSet bool     `json:"protocol_set"`
	// Note is one line to show before connecting, empty when there is
	// nothing to say (IPsec hosts).
	Note string `json:"note,omitempty"`
	// AuthMethod is EAP-AnyConnect for ASA-style entries
	// (StandardAuthenticationOnly false), else the profile's
	// AuthMethodDuringIKENegotiation (default EAP-GTC).
	AuthMethod       AuthMethod `json:"auth_method"`
	StandardAuthOnly bool       `json:"standard_auth_only"`
	// IKEIdentity replaces the default IDi when non-empty; it is only set
	// for StandardAuthOnly entries.
	IKEIdentity string `json:"ike_identity,omitempty"`

	AutoReconnect                  bool              `json:"auto_reconnect"`
	AutoReconnectBehavior          string            `json:"auto_reconnect_behavior"`
	LocalLanAccess                 bool              `json:"local_lan_access"`
	LocalLanAccessUserControllable bool              `json:"local_lan_access_user_controllable"`
	AutomaticCertSelection         bool              `json:"automatic_cert_selection"`
	CertificateMatch               *CertificateMatch `json:"certificate_match,omitempty"`
	AuthenticationTimeout          time.Duration     `json:"-"`
	// IPProtocolSupport lists "IPv4"/"IPv6" in order of preference for
	// resolving and reaching the headend.
	IPProtocolSupport             []string `json:"ip_protocol_support"`
	DisableCaptivePortalDetection bool     `json:"disable_captive_portal_detection"`
	// CertificatePinning says whether the headend's certificate chain must
	// match one of Pins (the profile-wide pins, then the entry's).
	CertificatePinning bool               `json:"certificate_pinning"`
	Pins               []Pin              `json:"pins,omitempty"`
	AutomaticVPNPolicy AutomaticVPNPolicy `json:"-"`

	// Source is the profile file, empty for a manual host with no
	// profile. Class is its precedence class.
	Source string `json:"source,omitempty"`
	Class  Class  `json:"class"`
	// Manual is true when the host was typed in rather than taken from a
	// profile entry.
	Manual bool `json:"manual"`
}

// ManualHostInputAllowed reports whether hosts not in any profile may be
// used. The schema default is true; any used profile that sets
// AllowManualHostInput to false forbids it, because an administrator's
// restriction must not be undone by loading another file.
func (c *Catalog) ManualHostInputAllowed() (bool, string) {
	for _, f := range c.Files {
		if f.Used && !f.Profile.Client.AllowManualHostInput {
			return false, f.Path
		}
	}
	return true, ""
}

// Lookup resolves what the user asked for: a HostName (case-insensitive),
// else a HostAddress of some entry, else, when manual host input is
// allowed, a bare host[:port][/path]. Entries that name SSL are usable
// (vpnc-go tries IKEv2 with them; Target.Note says so); an entry without
// an address is found but returns an error wrapping ErrUnsupported. An
// address shared by several entries selects the one whose profile names
// IPsec, that profile's preferred protocol for the headend; several of
// the same kind return ErrAmbiguous (select by HostName then).
func (c *Catalog) Lookup(name string) (*Target, error) {
	q := strings.TrimSpace(name)
	if q == "" {
		return nil, fmt.Errorf("%w: empty name", ErrNoSuchHost)
	}
	for i := range c.Entries {
		e := &c.Entries[i]
		if strings.EqualFold(e.Name, q) {
			return c.target(e)
		}
	}
	if addr, err := ParseAddress(q); err == nil {
		var hits []*Entry
		for i := range c.Entries {
			if sameAddress(c.Entries[i].Address, addr) {
				hits = append(hits, &c.Entries[i])
			}
		}
		usable := preferred(hits, addr)
		switch {
		case len(usable) == 1:
			return c.target(usable[0])
		case len(usable) > 1:
			names := make([]string, len(usable))
			for i, e := range usable {
				names[i] = fmt.Sprintf("%q", e.Name)
			}
			return nil, fmt.Errorf("%w: address %s belongs to %s; choose one by HostName", ErrAmbiguous, q, strings.Join(names, ", "))
		case len(hits) > 0:
			return c.target(hits[0])
		}
	}
	return c.manual(q)
}

// preferred narrows the entries found by a typed address to the usable
// ones the user most likely means: those whose profile names IPsec (the
// profile's own choice for IKEv2 to that headend), else all usable ones;
// among these, the ones whose address is exactly what was typed, when
// there are any (vpn.example.edu rather than vpn.example.edu/staff).
func preferred(hits []*Entry, typed Address) []*Entry {
	var ipsec, usable []*Entry
	for _, e := range hits {
		if !e.Supported {
			continue
		}
		usable = append(usable, e)
		if e.Protocol == ProtocolIPsec {
			ipsec = append(ipsec, e)
		}
	}
	if len(ipsec) > 0 {
		usable = ipsec
	}
	var exact []*Entry
	for _, e := range usable {
		if strings.EqualFold(e.Address.String(), typed.String()) {
			exact = append(exact, e)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return usable
}

// sameAddress compares an entry's address with a typed one: hosts
// case-insensitively; port and path only when the typed one has them.
func sameAddress(entry, typed Address) bool {
	if !strings.EqualFold(entry.Host, typed.Host) {
		return false
	}
	if typed.Port != 0 && typed.Port != entry.Port {
		return false
	}
	if typed.Path != "" && !strings.EqualFold(typed.Path, entry.Path) {
		return false
	}
	return true
}

func (c *Catalog) manual(q string) (*Target, error) {
	if ok, src := c.ManualHostInputAllowed(); !ok {
		return nil, fmt.Errorf("%w: %q is not a host in the profiles, and %s forbids other hosts (AllowManualHostInput is false)", ErrNoSuchHost, q, src)
	}
	addr, err := ParseAddress(q)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a host in the profiles nor a host address: %v", ErrNoSuchHost, q, err)
	}
	ci := DefaultClientInitialization()
	src, class := "", ClassUser
	for _, f := range c.Files {
		if f.Used {
			ci, src, class = f.Profile.Client, f.Path, f.Class
			break
		}
	}
	h := HostEntry{Name: q, Address: addr, Protocol: ProtocolIPsec, ProtocolSet: true, AuthMethod: AuthEAPAnyConnect}
	t := build(h, ci, src, class)
	t.Manual = true
	return t, nil
}

func (c *Catalog) target(e *Entry) (*Target, error) {
	if !e.Supported {
		return nil, fmt.Errorf("%w: %q in %s: %s", ErrUnsupported, e.Name, e.Source, e.Reason)
	}
	ci := DefaultClientInitialization()
	if e.Profile != nil {
		ci = e.Profile.Client
	}
	return build(e.HostEntry, ci, e.Source, e.Class), nil
}

func build(h HostEntry, ci ClientInitialization, src string, class Class) *Target {
	t := &Target{
		Name:                           h.Name,
		Address:                        h.Address,
		LoadBalancing:                  h.LoadBalancing,
		UserGroup:                      h.UserGroup,
		Protocol:                       h.Protocol,
		ProtocolSet:                    h.ProtocolSet,
		Note:                           sslNote(h),
		AuthMethod:                     h.AuthMethod,
		StandardAuthOnly:               h.StandardAuthOnly,
		IKEIdentity:                    h.IKEIdentity,
		AutoReconnect:                  ci.AutoReconnect,
		AutoReconnectBehavior:          ci.AutoReconnectBehavior,
		LocalLanAccess:                 ci.LocalLanAccess,
		LocalLanAccessUserControllable: ci.LocalLanAccessUserControllable,
		AutomaticCertSelection:         ci.AutomaticCertSelection,
		CertificateMatch:               ci.CertificateMatch,
		AuthenticationTimeout:          ci.AuthenticationTimeout,
		IPProtocolSupport:              ci.IPProtocolSupport,
		DisableCaptivePortalDetection:  ci.DisableCaptivePortalDetection,
		CertificatePinning:             ci.CertificatePinning,
		AutomaticVPNPolicy:             ci.AutomaticVPNPolicy,
		Source:                         src,
		Class:                          class,
	}
	t.UserGroup, t.GroupFromPath = h.TunnelGroup()
	t.Pins = append(append([]Pin(nil), ci.Pins...), h.Pins...)
	seen := map[string]bool{strings.ToLower(h.Address.String()): true}
	for _, a := range append(append([]Address(nil), h.Backup...), ci.BackupServers...) {
		k := strings.ToLower(a.String())
		if seen[k] {
			continue
		}
		seen[k] = true
		t.Backups = append(t.Backups, a)
	}
	return t
}

// MarshalJSON adds the authentication timeout in seconds to the fields.
func (t Target) MarshalJSON() ([]byte, error) {
	type plain Target
	return json.Marshal(struct {
		plain
		AuthenticationTimeout int `json:"authentication_timeout_seconds"`
	}{plain(t), int(t.AuthenticationTimeout / time.Second)})
}

// TunnelGroup is the tunnel group vpnc-go asks for: UserGroup, else the
// path of the address (fromPath). A path is an SSL group URL
// (https://host/path); on an ASA it names a tunnel group's group-url and
// is usually also its group-alias, which the headend accepts in the
// EAP-AnyConnect group-access too. UserGroup wins because over IKEv2 it
// must be the tunnel group's exact name.
func (h HostEntry) TunnelGroup() (group string, fromPath bool) {
	if h.UserGroup != "" || h.Address.Path == "" {
		return h.UserGroup, false
	}
	return h.Address.Path, true
}

// OnlyHost names the host to use when the user names none: the only entry
// whose profile names IPsec, else the only usable entry. Any other count
// is an error listing the candidates.
func (c *Catalog) OnlyHost() (string, error) {
	var ipsec, usable []string
	for _, e := range c.Entries {
		if !e.Supported {
			continue
		}
		usable = append(usable, e.Name)
		if e.Protocol == ProtocolIPsec {
			ipsec = append(ipsec, e.Name)
		}
	}
	switch {
	case len(ipsec) == 1:
		return ipsec[0], nil
	case len(ipsec) == 0 && len(usable) == 1:
		return usable[0], nil
	case len(usable) == 0:
		return "", fmt.Errorf("%w: the profiles hold no usable host; name the headend", ErrNoSuchHost)
	}
	return "", fmt.Errorf("%w: the profiles hold %d hosts (%s); name one", ErrAmbiguous, len(usable), strings.Join(usable, ", "))
}

// NoIKEv2Hint says what it most likely means when the headend did not take
// up IKEv2 (no answer on UDP 500 within the timeout, or a refusal of
// IKE_SA_INIT); empty for hosts whose profile names IPsec, for which no
// such guess is better than another.
func (t *Target) NoIKEv2Hint() string {
	switch {
	case t.Protocol == ProtocolSSL:
		return "the profile names SSL for this host, and most likely the headend accepts only the SSL/DTLS variant of AnyConnect, " +
			"which vpnc-go does not speak; its administrator can enable IKEv2 remote access on it " +
			"(on an ASA: crypto ikev2 enable <interface> client-services, and ikev2 in the group policy's vpn-tunnel-protocol)"
	case t.Manual:
		return "if the headend accepts AnyConnect only over SSL/DTLS, vpnc-go cannot use it: vpnc-go speaks IKEv2 (UDP 500) only"
	}
	return ""
}
