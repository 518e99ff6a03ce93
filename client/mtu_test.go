package client

import (
	"net/netip"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

func TestTunnelMTU(t *testing.T) {
	v4, v6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	gcm := ikev2.Suite{Encr: iana.ENCR_AES_GCM_16, KeyBits: 256}
	cbc := ikev2.Suite{Encr: iana.ENCR_AES_CBC, KeyBits: 256, Integ: iana.AUTH_HMAC_SHA1_96}
	for _, c := range []struct {
		path  int
		suite ikev2.Suite
		outer netip.Addr
		want  int
	}{
		{1500, gcm, v4, 1500 - 65},
		{1500, cbc, v4, 1500 - 81},
		{1500, cbc, v6, 1500 - 101},
		{600, cbc, v4, 576},
	} {
		if got := tunnelMTU(c.path, c.suite, c.outer); got != c.want {
			t.Errorf("path %d %s: got %d want %d", c.path, c.suite, got, c.want)
		}
	}
	// The largest inner packet that the MTU allows really fits: an
	// AES-CBC packet of that size, padded to the block, plus everything
	// around it stays within the path MTU.
	inner := tunnelMTU(1500, cbc, v4)
	padded := (inner + 2 + 15) / 16 * 16
	if total := 20 + 8 + 8 + 16 + padded + 12; total > 1500 {
		t.Fatalf("inner %d gives %d on the wire", inner, total)
	}
}
