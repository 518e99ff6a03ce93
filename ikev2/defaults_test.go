package ikev2

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// TestDefaultsCoverRFCLevels checks the rule behind the default offers:
// every implemented algorithm RFC 8247 and RFC 8221 rate MUST, SHOULD+,
// SHOULD or MUST- (and the common MAY ones), no weak one, AEAD first, and
// the key exchange in ECP-256.
func TestDefaultsCoverRFCLevels(t *testing.T) {
	ike := mustParse(t, DefaultIKEProposals, iana.ProtoIKE)
	esp := mustParse(t, DefaultESPProposals, iana.ProtoESP)
	has := func(ps []wire.Proposal, name string) bool {
		a := algorithms[name]
		for _, p := range ps {
			if slices.ContainsFunc(p.Transforms, func(t wire.Transform) bool {
				return t.Type == a.typ && t.ID == a.id && t.KeyLength == a.keyBits
			}) {
				return true
			}
		}
		return false
	}
	for _, name := range []string{"aes256gcm16", "aes128gcm16", "aes256", "aes192", "aes128",
		"sha512", "sha384", "sha256", "sha1", "prfsha512", "prfsha384", "prfsha256", "prfsha1",
		"ecp256", "ecp384", "ecp521", "curve25519", "modp3072", "modp2048"} {
		if !has(ike, name) {
			t.Errorf("default IKE offer lacks %s", name)
		}
	}
	for _, name := range []string{"aes256gcm16", "aes128gcm16", "aes256", "aes192", "aes128", "sha256", "sha384", "sha512", "sha1"} {
		if !has(esp, name) {
			t.Errorf("default ESP offer lacks %s", name)
		}
	}
	for _, name := range []string{"3des", "modp1024", "modp1536"} {
		if has(ike, name) || has(esp, name) {
			t.Errorf("a default offer has %s, which only the user may name", name)
		}
	}
	if w := WeakAlgorithms(append(ike, esp...)); len(w) != 0 {
		t.Errorf("weak algorithms in the defaults: %v", w)
	}
	if len(ike) != 2 || !isAEAD(iana.EncrID(ike[0].Transforms[0].ID)) || isAEAD(iana.EncrID(ike[1].Transforms[0].ID)) {
		t.Errorf("want two IKE proposals, AEAD first: %v", ike)
	}
	if g := firstGroup(ike); g != iana.DH_ECP256 {
		t.Errorf("KEi group %d, want ECP-256", g)
	}
}

// TestDefaultIKESAInitSize measures the first message with the default
// offer and every vendor ID an AnyConnect client sends: it must travel
// unfragmented over any path, with room to spare, even in the largest form
// we may send (a cookie echoed and KEi redone in MODP-3072 after
// INVALID_KE_PAYLOAD).
func TestDefaultIKESAInitSize(t *testing.T) {
	ini, err := NewInitiator(InitiatorConfig{
		Local: netip.MustParseAddrPort("[2001:db8::2]:500"), Remote: netip.MustParseAddrPort("[2001:db8::1]:500"),
		EAP: &anyconnect.Peer{}, Config: Config{CiscoVendorIDs: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := func(acts []Action) []byte {
		t.Helper()
		s := findEvent[Send](acts)
		if s == nil || len(s.Datagrams) != 1 {
			t.Fatalf("want one datagram, got %v", acts)
		}
		return s.Datagrams[0]
	}
	now := time.Unix(1_700_000_000, 0)
	first := sent(ini.Start(now))
	const ipv6UDP = 40 + 8
	t.Logf("IKE_SA_INIT with the default offer: %d bytes (%d as an IPv6 packet)", len(first), len(first)+ipv6UDP)
	if len(first)+ipv6UDP > 1280 {
		t.Errorf("IKE_SA_INIT is %d bytes, over the 1280-byte minimum MTU", len(first))
	}
	h, _ := wire.DecodeHeader(first)
	reply := func(n *wire.Notify) []byte {
		m := &wire.Message{Header: wire.Header{SPIi: h.SPIi, Version: wire.Version2, Exchange: iana.IKE_SA_INIT, Flags: wire.FlagResponse},
			Payloads: []wire.Payload{n}}
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	from := netip.MustParseAddrPort("[2001:db8::1]:500")
	sent(ini.HandleDatagram(now, from, false, reply(&wire.Notify{NotifyType: iana.COOKIE, Data: make([]byte, 64)})))
	largest := sent(ini.HandleDatagram(now, from, false, reply(invalidKE(iana.DH_MODP3072))))
	t.Logf("with a 64-byte cookie and KEi in MODP-3072: %d bytes", len(largest))
	if len(largest)+ipv6UDP > 1280 {
		t.Errorf("the largest IKE_SA_INIT is %d bytes, over the 1280-byte minimum MTU", len(largest))
	}
}
