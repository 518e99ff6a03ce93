package ikev2

import (
	"testing"
	"time"
)

// benchmarkHandshake measures complete connections (IKE_SA_INIT, IKE_AUTH
// with EAP-MSCHAPv2, CHILD SA), client and headend in one process. The
// headend-handshakes/s metric counts only the time spent in the headend's
// handlers: what one core of a headend could sustain.
func benchmarkHandshake(b *testing.B, ike string, ecdsaHeadend bool) {
	o := alice
	o.ike, o.serverIKE, o.ecdsaHeadend, o.quiet = ike, ike, ecdsaHeadend, true
	getPKI(b)
	b.ReportAllocs()
	var serverTime time.Duration
	for b.Loop() {
		n := newTestNet(b, o)
		n.start()
		n.run(time.Minute, func() bool { return n.established() != nil })
		if n.established() == nil {
			b.Fatal("not established")
		}
		serverTime += n.serverTime
	}
	b.ReportMetric(float64(b.N)/serverTime.Seconds(), "headend-handshakes/s")
}

func BenchmarkHandshakeX25519RSA(b *testing.B) {
	benchmarkHandshake(b, "aes256gcm16-prfsha256-curve25519", false)
}

func BenchmarkHandshakeX25519ECDSA(b *testing.B) {
	benchmarkHandshake(b, "aes256gcm16-prfsha256-curve25519", true)
}

func BenchmarkHandshakeMODP2048RSA(b *testing.B) {
	benchmarkHandshake(b, "aes256-sha256-modp2048", false)
}
