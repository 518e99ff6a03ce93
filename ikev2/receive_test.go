package ikev2

import (
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// TestDecodeOncePerDatagram counts decodes: every datagram either side
// receives is decoded exactly once per delivery, duplicates, fragments and
// retransmitted requests included; the only other decodes are of whole
// messages joined from Cisco fragments.
func TestDecodeOncePerDatagram(t *testing.T) {
	for _, cisco := range []bool{false, true} {
		decoded := map[string]int{}
		decodeMessage = func(b []byte) (*wire.Message, error) {
			decoded[string(b)]++
			return wire.Decode(b)
		}
		o := alice
		o.cisco = cisco
		o.fragSize = 600 // the headend's certificate chain needs several fragments
		n := newTestNet(t, o)
		delivered := map[string]int{}
		fragments := map[iana.PayloadType]int{}
		sent := 0
		n.drop = func(d datagram) bool {
			delivered[string(d.data)]++
			fragments[iana.PayloadType(d.data[16])]++
			return false
		}
		n.dup = func(d datagram) bool {
			sent++
			if sent%3 == 0 {
				delivered[string(d.data)]++
				return true
			}
			return false
		}
		n.start()
		n.run(time.Minute, func() bool { return n.established() != nil || n.closed(false) != nil })
		if n.established() == nil {
			t.Fatalf("cisco=%v: %v", cisco, n.closed(false))
		}
		n.handle(false, n.client.RekeyChild(n.now))
		n.run(time.Minute, func() bool { return false })
		n.handle(false, n.client.Close(n.now))
		n.run(time.Minute, func() bool { return n.closed(false) != nil && len(n.queue) == 0 })
		decodeMessage = wire.Decode
		for _, d := range n.queue {
			delivered[string(d.data)]--
		}

		joined := 0
		for b, got := range decoded {
			if want := delivered[b]; want > 0 {
				if got != want {
					t.Errorf("cisco=%v: a datagram delivered %d times was decoded %d times", cisco, want, got)
				}
				continue
			}
			if !cisco || iana.PayloadType(b[16]) != iana.PayloadSK {
				t.Errorf("cisco=%v: decoded %d bytes that were never delivered", cisco, len(b))
			}
			joined += got
		}
		want := iana.PayloadSKF
		if cisco {
			want = iana.PayloadCiscoFragment
			if joined == 0 {
				t.Errorf("no Cisco-fragmented message was joined")
			}
		}
		if fragments[want] < 3 {
			t.Fatalf("cisco=%v: too few fragments to prove anything: %v", cisco, fragments)
		}
	}
}
