package anyconnect

import (
	"encoding/hex"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// testRand is a deterministic random source for session ids and tokens.
func testRand() io.Reader { return rand.NewChaCha8([32]byte{}) }

// wire sends p through Encode and eap.Decode, as IKEv2 would.
func wire(t testing.TB, p *eap.Packet) *eap.Packet {
	t.Helper()
	b, err := p.Encode()
	if err == nil {
		p, err = eap.Decode(b)
	}
	if err != nil {
		t.Fatalf("%v on the wire: %v", p, err)
	}
	return p
}

// fromHex decodes hex written with spaces and line breaks.
func fromHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}
