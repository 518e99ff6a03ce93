package certs

import (
	"testing"

	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
)

// FuzzVerifyServer feeds arbitrary chains, hosts and pins: Verify must
// never panic, and must never accept a chain without a leaf pin here (no
// CA is trusted).
func FuzzVerifyServer(f *testing.F) {
	p := newTestPKI(f)
	leaf, _ := p.leaf(f, certgen.Spec{DNSNames: []string{"vpn.example.com"}})
	f.Add(leaf.Raw, p.inter.Raw, "vpn.example.com", "")
	f.Add(leaf.Raw, []byte{}, "192.0.2.1", PinOf(p.inter))
	f.Add([]byte{0x30, 0x80}, []byte{0x30}, "[::1]", "sha256:00")
	f.Fuzz(func(t *testing.T, a, b []byte, host, pin string) {
		cfg := TrustConfig{Host: host, Now: testNow}
		if pin != "" {
			cfg.Pins = []string{pin}
		}
		v, err := Verify([][]byte{a, b}, cfg)
		if err == nil && !v.ByPin {
			pinned := false
			for _, c := range v.Chain {
				if anyPinMatches(mustPins(cfg.Pins), c) {
					pinned = true
				}
			}
			if !pinned {
				t.Fatalf("accepted without a trusted CA or pin: %+v", v)
			}
		}
		if err != nil {
			_ = err.Error()
		}
	})
}

func mustPins(s []string) []Pin {
	p, err := ParsePins(s)
	if err != nil {
		panic(err)
	}
	return p
}

func FuzzParsePin(f *testing.F) {
	f.Add("pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	f.Add("sha256:E3:B0:C4")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePin(s)
		if err == nil && p.String() == "" {
			t.Fatal("accepted an empty pin")
		}
		_ = p.Matches(nil)
	})
}
