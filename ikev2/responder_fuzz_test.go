package ikev2

import (
	"testing"
	"time"
)

// recordHandshake runs one connection and returns every datagram the
// client sent, as seeds for fuzzing the headend.
func recordHandshake(t testing.TB) [][]byte {
	o := alice
	o.quiet = true
	n := newTestNet(t, o)
	var sent [][]byte
	n.drop = func(d datagram) bool {
		if d.toServer {
			sent = append(sent, d.data)
		}
		return false
	}
	n.start()
	n.run(time.Minute, func() bool { return n.established() != nil })
	return sent
}

// FuzzServer feeds arbitrary datagrams to a headend that already has one
// client, after a real handshake of another. The headend must not panic,
// must not create a session for anything but a valid IKE_SA_INIT, and must
// keep its half-open count within its limit.
func FuzzServer(f *testing.F) {
	for _, d := range recordHandshake(f) {
		f.Add(d, false)
	}
	quiet := alice
	quiet.quiet = true // a fuzz target may not log through f
	n := newTestNet(f, quiet)
	n.server.cfg.MaxHalfOpen = 8
	f.Fuzz(func(t *testing.T, b []byte, encap bool) {
		before := n.server.Sessions()
		acts := n.server.HandleDatagram(n.now, n.cAddr, encap, b)
		for _, a := range acts {
			if s, ok := a.(Send); ok && len(s.Datagrams) > 64 {
				t.Fatalf("answered one datagram with %d", len(s.Datagrams))
			}
		}
		if n.server.Sessions() > before+1 || n.server.halfOpenCount() > 8 {
			t.Fatalf("sessions %d -> %d", before, n.server.Sessions())
		}
		n.now = n.now.Add(time.Second)
		n.server.HandleTimeout(n.now)
	})
}
