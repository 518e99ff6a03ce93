package ikev2

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

func mustParse(t *testing.T, s string, proto iana.ProtocolID) []wire.Proposal {
	t.Helper()
	ps, err := ParseProposals(s, proto)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return ps
}

func TestParseProposals(t *testing.T) {
	ps := mustParse(t, "aes192-sha1-modp1024, aes256gcm16-prfsha384-ecp384", iana.ProtoIKE)
	if len(ps) != 2 || ps[0].Number != 1 || ps[1].Number != 2 {
		t.Fatalf("got %v", ps)
	}
	if got := ps[0].String(); got != "IKE:ENCR_AES_CBC_192/PRF_HMAC_SHA1/INTEG_HMAC_SHA1_96/DH_MODP_1024" {
		t.Errorf("seed ASA proposal: %s", got)
	}
	if got := ps[1].String(); got != "IKE:ENCR_AES_GCM_16_256/PRF_HMAC_SHA2_384/DH_ECP_384" {
		t.Errorf("AEAD proposal: %s", got)
	}
	esp := mustParse(t, "aes256-sha1", iana.ProtoESP)
	if got := esp[0].String(); got != "ESP:ENCR_AES_CBC_256/INTEG_HMAC_SHA1_96/ESN_NO_ESN" {
		t.Errorf("ESP proposal: %s", got)
	}
	for _, s := range []string{DefaultIKEProposals} {
		mustParse(t, s, iana.ProtoIKE)
	}
	mustParse(t, DefaultESPProposals, iana.ProtoESP)
	if w := WeakAlgorithms(mustParse(t, DefaultIKEProposals, iana.ProtoIKE)); len(w) != 0 {
		t.Errorf("defaults contain weak algorithms: %v", w)
	}
	if w := WeakAlgorithms(ps); len(w) != 1 || !strings.Contains(w[0], "MODP-1024") {
		t.Errorf("weak: %v", w)
	}
}

func TestParseProposalErrors(t *testing.T) {
	for s, want := range map[string]string{
		"":                                   "empty proposal",
		"aes256-sha1-bogus":                  `unknown algorithm "bogus"`,
		"aes256gcm16-ecp256":                 "needs a prf",
		"aes256gcm16-sha256-ecp256":          "takes no integrity",
		"aes256-ecp256":                      "no integrity",
		"aes256-sha256":                      "no Diffie-Hellman",
		"aes256-aes256gcm16-sha256-modp2048": "separate proposals",
		"sha256-modp2048":                    "no encryption",
		"aes256-aes256-sha1-modp2048":        "given twice",
	} {
		_, err := ParseProposals(s, iana.ProtoIKE)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", s, err, want)
		}
	}
	if _, err := ParseProposals("aes256-sha1-prfsha1", iana.ProtoESP); err == nil {
		t.Error("prf in ESP accepted")
	}
}

func TestSelectAndCheck(t *testing.T) {
	offered := mustParse(t, "aes256gcm16-prfsha384-ecp384,aes128-aes256-sha256-sha1-modp2048-ecp256", iana.ProtoIKE)
	local := mustParse(t, "aes256-sha1-ecp256,aes192-sha1-modp1024", iana.ProtoIKE)
	chosen, err := selectProposal(offered, local)
	if err != nil {
		t.Fatal(err)
	}
	suite, err := checkChosen(offered, chosen)
	if err != nil {
		t.Fatal(err)
	}
	if chosen.Number != 2 || suite.String() != "aes256-sha1-prfsha1-ecp256" {
		t.Fatalf("chose %d %s", chosen.Number, suite)
	}
	if _, err := selectProposal(offered, mustParse(t, "aes192-sha1-modp1024", iana.ProtoIKE)); !errors.Is(err, errNoProposalChosen) {
		t.Fatalf("got %v", err)
	}
	// A responder that answers with something not offered is caught.
	bad := chosen
	bad.Transforms = append([]wire.Transform{{Type: iana.TransformENCR, ID: uint16(iana.ENCR_3DES)}}, chosen.Transforms[1:]...)
	if _, err := checkChosen(offered, bad); err == nil {
		t.Fatal("3DES was not offered but was accepted")
	}
	bad = chosen
	bad.Number = 9
	if _, err := checkChosen(offered, bad); err == nil {
		t.Fatal("unknown proposal number accepted")
	}
	bad = chosen
	bad.Transforms = chosen.Transforms[:len(chosen.Transforms)-1]
	if _, err := checkChosen(offered, bad); err == nil {
		t.Fatal("choice missing a transform type accepted")
	}
}

func TestSuiteProposalRoundTrip(t *testing.T) {
	for _, c := range []struct {
		s     string
		proto iana.ProtocolID
	}{
		{"aes256gcm16-prfsha384-ecp384", iana.ProtoIKE},
		{"aes192-sha1-prfsha1-modp1024", iana.ProtoIKE},
		{"aes256-sha256-ecp256-esn", iana.ProtoESP},
		{"aes128gcm16", iana.ProtoESP},
	} {
		p := mustParse(t, c.s, c.proto)[0]
		s, err := suiteOf(p)
		if err != nil {
			t.Fatal(err)
		}
		if s.String() != c.s {
			t.Errorf("suite string %q, want %q", s, c.s)
		}
		back, err := suiteOf(s.Proposal(1, c.proto, nil))
		if err != nil || back != s {
			t.Errorf("%s: proposal round trip gave %v %v", c.s, back, err)
		}
	}
}

func TestNarrow(t *testing.T) {
	ts := func(s ...string) []wire.TrafficSelector {
		var out []wire.TrafficSelector
		for _, p := range s {
			out = append(out, wire.PrefixTS(netip.MustParsePrefix(p)))
		}
		return out
	}
	ours := []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8:1::/64")}
	for _, c := range []struct {
		proposed []wire.TrafficSelector
		want     string
	}{
		{ts("0.0.0.0/0", "::/0"), "[198.51.100.0/24 2001:db8:1::/64]"},
		{ts("0.0.0.0/0"), "[198.51.100.0/24]"},                    // an IPv4-only peer gets no IPv6
		{ts("198.51.100.128/25"), "[198.51.100.128/25]"},          // a narrower proposal wins
		{ts("203.0.113.0/24"), "[]"},                              // nothing in common
		{ts("0.0.0.0/0", "198.51.100.0/24"), "[198.51.100.0/24]"}, // no duplicates
	} {
		var got []string
		for _, s := range narrow(ours, c.proposed) {
			got = append(got, s.String())
		}
		if s := "[" + strings.Join(got, " ") + "]"; s != c.want {
			t.Errorf("proposed %v: got %s want %s", c.proposed, s, c.want)
		}
	}
}
