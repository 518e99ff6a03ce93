package ikev2

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

var alice = testOptions{method: "mschapv2", user: "alice", pass: "correct horse"}

// TestLossyNetwork loses, duplicates and reorders datagrams: retransmission
// and cached responses (RFC 7296 section 2.1) must still bring the tunnel
// up, with matching keys on both sides.
func TestLossyNetwork(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		n := newTestNet(t, alice)
		n.drop = func(datagram) bool { return r.IntN(6) == 0 }
		n.dup = func(datagram) bool { return r.IntN(5) == 0 }
		n.start()
		for steps := 0; steps < 10000 && n.established() == nil && n.closed(false) == nil; steps++ {
			if len(n.queue) > 1 && r.IntN(3) == 0 {
				i := r.IntN(len(n.queue))
				n.queue[0], n.queue[i] = n.queue[i], n.queue[0] // reorder
			}
			n.run(time.Minute, func() bool { return true }) // one timer round
			if len(n.queue) > 0 {
				n.run(time.Minute, func() bool { return len(n.queue) == 0 || r.IntN(2) == 0 })
			} else {
				n.run(time.Minute, func() bool { return len(n.queue) > 0 || n.established() != nil || n.closed(false) != nil })
			}
		}
		if n.established() == nil {
			t.Fatalf("seed %d: not established: %v", seed, n.closed(false))
		}
		// Let the headend finish too (its last answer may have been lost:
		// then the client's retransmission is answered from the cache).
		n.drop, n.dup = nil, nil
		n.run(time.Minute, func() bool { return findEvent[Established](n.serverEvents) != nil })
		checkChildPair(t, n)
	}
}

func TestDuplicateRequestAnsweredFromCache(t *testing.T) {
	n := newTestNet(t, alice)
	n.dup = func(d datagram) bool { return d.toServer }
	n.start()
	n.run(time.Minute, func() bool { return n.established() != nil })
	if n.established() == nil {
		t.Fatal("not established")
	}
	if n.server.Sessions() != 1 {
		t.Fatalf("%d sessions for one client", n.server.Sessions())
	}
}

func TestDPD(t *testing.T) {
	timers := Timers{DPD: 10 * time.Second, Retransmit: time.Second, RetransmitTries: 3}
	o := alice
	o.timers = timers
	n := connect(t, o)
	// An idle but healthy tunnel: liveness checks are answered.
	n.run(time.Minute, func() bool { return false })
	if n.closed(false) != nil || n.closed(true) != nil {
		t.Fatalf("healthy tunnel closed: %v %v", n.closed(false), n.closed(true))
	}
	// The headend vanishes: the client declares it dead.
	n.drop = func(d datagram) bool { return d.toServer }
	n.run(time.Minute, func() bool { return n.closed(false) != nil })
	if c := n.closed(false); c == nil || !errors.Is(c.Err, ErrPeerDead) {
		t.Fatalf("got %v", c)
	}
	if len(installed(n.clientEvents)) != 0 {
		t.Fatal("CHILD SA left installed after DPD failure")
	}
}

func TestHeadendDetectsDeadClient(t *testing.T) {
	o := alice
	o.timers = Timers{DPD: 10 * time.Second, Retransmit: time.Second, RetransmitTries: 3}
	n := connect(t, o)
	n.drop = func(d datagram) bool { return !d.toServer }
	n.run(time.Minute, func() bool { return n.closed(true) != nil })
	if c := n.closed(true); c == nil || !errors.Is(c.Err, ErrPeerDead) || n.server.Sessions() != 0 {
		t.Fatalf("got %v with %d sessions", c, n.server.Sessions())
	}
}

// childTraffic checks the installed SAs pair up and returns how many there are.
func TestChildRekeyBothDirections(t *testing.T) {
	for _, byServer := range []bool{false, true} {
		o := alice
		o.esp = "aes256gcm16-ecp256" // with PFS
		o.serverESP = "aes256gcm16-ecp256,aes256gcm16"
		n := connect(t, o)
		old := n.established().Child
		var acts []Action
		if byServer {
			for sess := range n.server.sessions {
				for _, c := range sess.lineage.children {
					c.rekeyAt = n.now
				}
			}
			acts = n.server.HandleTimeout(n.now)
			n.handle(true, acts)
		} else {
			n.handle(false, n.client.RekeyChild(n.now))
		}
		n.run(time.Minute, func() bool { return len(n.queue) == 0 })
		cli := installed(n.clientEvents)
		if len(cli) != 1 || cli[old.InSPI] != nil {
			t.Fatalf("byServer=%v: after rekey the client has %d SAs (old still there: %v)", byServer, len(cli), cli[old.InSPI] != nil)
		}
		checkChildPair(t, n)
		for _, c := range cli {
			if string(c.Out.Encr) == string(old.Out.Encr) {
				t.Fatal("rekeyed SA has the old keys")
			}
		}
	}
}

func TestSimultaneousChildRekey(t *testing.T) {
	for seed := 0; seed < 8; seed++ {
		n := connect(t, alice)
		for sess := range n.server.sessions {
			for _, c := range sess.lineage.children {
				c.rekeyAt = n.now
			}
		}
		// Both start at once; their requests cross.
		n.handle(false, n.client.RekeyChild(n.now))
		n.handle(true, n.server.HandleTimeout(n.now))
		if seed%2 == 1 {
			n.queue[0], n.queue[1] = n.queue[1], n.queue[0]
		}
		n.run(time.Minute, func() bool { return false })
		if n.closed(false) != nil || n.closed(true) != nil {
			t.Fatalf("closed: %v %v", n.closed(false), n.closed(true))
		}
		// Exactly one SA pair survives, the same on both sides.
		checkChildPair(t, n)
	}
}

func TestIKERekeyBothDirections(t *testing.T) {
	for _, byServer := range []bool{false, true} {
		n := connect(t, alice)
		oldSPI := n.client.lineage.current().spiI
		if byServer {
			for sess := range n.server.sessions {
				sess.lineage.current().rekeyAt = n.now
			}
			n.handle(true, n.server.HandleTimeout(n.now))
		} else {
			n.handle(false, n.client.RekeyIKE(n.now))
		}
		n.run(time.Minute, func() bool { return false })
		if n.closed(false) != nil || n.closed(true) != nil {
			t.Fatalf("byServer=%v: closed: %v %v", byServer, n.closed(false), n.closed(true))
		}
		cur := n.client.lineage.current()
		if cur.spiI == oldSPI || len(n.client.lineage.sas) != 1 {
			t.Fatalf("byServer=%v: client has %d IKE SAs, current SPIi %x (old %x)", byServer, len(n.client.lineage.sas), cur.spiI, oldSPI)
		}
		for sess := range n.server.sessions {
			if len(sess.lineage.sas) != 1 || sess.lineage.current().spiI != cur.spiI || sess.lineage.current().spiR != cur.spiR {
				t.Fatalf("byServer=%v: headend's IKE SAs do not match", byServer)
			}
		}
		checkChildPair(t, n)
		// The new IKE SA works: a CHILD rekey and a close over it.
		n.handle(false, n.client.RekeyChild(n.now))
		n.run(time.Minute, func() bool { return false })
		checkChildPair(t, n)
		n.handle(false, n.client.Close(n.now))
		n.run(time.Minute, func() bool { return n.closed(true) != nil && n.closed(false) != nil })
		if c := n.closed(false); c == nil || c.Err != nil {
			t.Fatalf("close after rekey: %v", c)
		}
	}
}

func TestSimultaneousIKERekey(t *testing.T) {
	for seed := 0; seed < 8; seed++ {
		n := connect(t, alice)
		for sess := range n.server.sessions {
			sess.lineage.current().rekeyAt = n.now
		}
		n.handle(false, n.client.RekeyIKE(n.now))
		n.handle(true, n.server.HandleTimeout(n.now))
		if seed%2 == 1 {
			n.queue[0], n.queue[1] = n.queue[1], n.queue[0]
		}
		n.run(5*time.Minute, func() bool { return false })
		if n.closed(false) != nil || n.closed(true) != nil {
			t.Fatalf("seed %d: closed: %v %v", seed, n.closed(false), n.closed(true))
		}
		cur := n.client.lineage.current()
		if len(n.client.lineage.sas) != 1 {
			t.Fatalf("seed %d: client keeps %d IKE SAs", seed, len(n.client.lineage.sas))
		}
		for sess := range n.server.sessions {
			if len(sess.lineage.sas) != 1 || sess.lineage.current().spiI != cur.spiI {
				t.Fatalf("seed %d: headend has %d IKE SAs, current differs", seed, len(sess.lineage.sas))
			}
		}
		checkChildPair(t, n)
	}
}

func TestRekeyTimersRun(t *testing.T) {
	o := alice
	o.timers = Timers{ChildRekey: 20 * time.Second, IKERekey: 40 * time.Second, DPD: 15 * time.Second}
	n := connect(t, o)
	n.run(3*time.Minute, func() bool { return false })
	if n.closed(false) != nil {
		t.Fatalf("closed: %v", n.closed(false))
	}
	if got := countEvents[InstallChild](n.clientEvents); got < 6 {
		t.Fatalf("%d CHILD SAs installed in 3 minutes with a 20 s rekey", got)
	}
	checkChildPair(t, n)
}

func TestFragmentation(t *testing.T) {
	for _, cisco := range []bool{false, true} {
		o := alice
		o.cisco = cisco
		// The headend's certificate chain needs several fragments; IKE_SA_INIT
		// (about 610 bytes with the default offer and Cisco vendor IDs) is
		// never fragmented (RFC 7383 section 2.5.2) and must pass.
		o.fragSize = 640
		n := newTestNet(t, o)
		kinds := map[iana.PayloadType]int{}
		n.drop = func(d datagram) bool {
			if h, err := wire.DecodeHeader(d.data); err == nil && !d.toServer {
				kinds[h.NextPayload]++
			}
			return len(d.data) > o.fragSize
		}
		n.start()
		n.run(time.Minute, func() bool { return n.established() != nil || n.closed(false) != nil })
		if n.established() == nil {
			t.Fatalf("cisco=%v: %v", cisco, n.closed(false))
		}
		want := iana.PayloadSKF
		if cisco {
			want = iana.PayloadCiscoFragment
		}
		if kinds[want] < 3 {
			t.Fatalf("cisco=%v: headend sent %v", cisco, kinds)
		}
		checkChildPair(t, n)
	}
}

func TestCookiesUnderLoad(t *testing.T) {
	n := newTestNet(t, alice)
	n.server.cfg.CookieThreshold = 0 // demand cookies from the first SA_INIT
	n.start()
	n.run(time.Minute, func() bool { return n.established() != nil || n.closed(false) != nil })
	if n.established() == nil {
		t.Fatalf("no tunnel with cookies: %v", n.closed(false))
	}
}

func TestHalfOpenLimit(t *testing.T) {
	n := newTestNet(t, alice)
	n.server.cfg.MaxHalfOpen = 3
	n.server.cfg.CookieThreshold = 100
	// Many IKE_SA_INIT requests that never continue.
	for i := range 10 {
		init := newTestNet(t, alice).client
		init.cfg.Local = n.cAddr
		acts := init.Start(n.now)
		for _, a := range acts {
			if s, ok := a.(Send); ok {
				n.server.HandleDatagram(n.now, n.cAddr, false, s.Datagrams[0])
			}
		}
		_ = i
	}
	if n.server.Sessions() != 3 {
		t.Fatalf("%d half-open sessions, limit 3", n.server.Sessions())
	}
	// They expire.
	n.now = n.now.Add(DefaultTimers.HalfOpen + time.Second)
	n.server.HandleTimeout(n.now)
	if n.server.Sessions() != 0 {
		t.Fatalf("%d half-open sessions after the timeout", n.server.Sessions())
	}
}

func TestUnknownCriticalPayloadAnswered(t *testing.T) {
	n := connect(t, alice)
	sa := n.client.lineage.current()
	sa.request(n.now, iana.INFORMATIONAL, []wire.Payload{&wire.Unknown{PType: 250, Critical: true, Data: []byte("x")}},
		func(_ time.Time, _ wire.Header, ps []wire.Payload) {
			if nt, ok := wire.FindNotify(ps, iana.UNSUPPORTED_CRITICAL_PAYLOAD); !ok || len(nt.Data) != 1 || nt.Data[0] != 250 {
				t.Errorf("answer %v", ps)
			}
		})
	n.handle(false, n.client.lineage.flush())
	n.run(time.Minute, func() bool { return len(n.queue) == 0 && sa.pending == nil })
	if n.closed(false) != nil || n.closed(true) != nil {
		t.Fatal("an unsupported critical payload closed the SA")
	}
}

// TestForgedDatagramDoesNotMovePeer: only authenticated messages may move
// the headend's idea of where the client is (RFC 7296 section 2.23).
func TestForgedDatagramDoesNotMovePeer(t *testing.T) {
	n := connect(t, alice)
	var sess *clientSession
	for s := range n.server.sessions {
		sess = s
	}
	want := sess.sa.remote
	sa := n.client.lineage.current()
	forged := &wire.Message{Header: wire.Header{SPIi: sa.spiI, SPIr: sa.spiR, Exchange: iana.INFORMATIONAL,
		Flags: wire.FlagInitiator, MessageID: sa.nextID}, Payloads: []wire.Payload{&wire.Encrypted{Data: make([]byte, 64)}}}
	b, _ := forged.Encode()
	attacker := netip.MustParseAddrPort("203.0.113.66:4500")
	n.server.HandleDatagram(n.now, attacker, true, b)
	if sess.sa.remote != want {
		t.Fatalf("a forged datagram moved the client to %s", sess.sa.remote)
	}
	// An authenticated message from a new address (a NAT rebinding) does.
	moved := netip.MustParseAddrPort("192.0.2.77:34567")
	n.cAddr = moved
	n.handle(false, n.client.RekeyChild(n.now))
	n.run(time.Minute, func() bool { return false })
	if sess.sa.remote != moved {
		t.Fatalf("the client's new address was not followed: %s natt=%v", sess.sa.remote, sess.sa.natt)
	}
	// The data plane is told where the CHILD SA's ESP goes now.
	pm := findEvent[PeerMoved](n.serverEvents)
	if pm == nil || len(pm.Children) == 0 || pm.Children[0].Remote != moved {
		t.Fatalf("no PeerMoved to %s: %+v", moved, pm)
	}
}

// TestRekeyTrafficSelectorOrientation: in a CREATE_CHILD_SA, TSi is the
// side of whoever starts that exchange (RFC 7296 section 2.9), so a
// headend rekeying puts its own networks in TSi, not the IKE_AUTH's TSi.
func TestRekeyTrafficSelectorOrientation(t *testing.T) {
	n := connect(t, alice)
	var sess *clientSession
	for s := range n.server.sessions {
		sess = s
	}
	sess.lineage.children[0].rekeyAt = n.now
	n.handle(true, n.server.HandleTimeout(n.now))
	req := sess.sa.pending
	if req == nil || req.exchange != iana.CREATE_CHILD_SA {
		t.Fatal("the headend did not start a rekey")
	}
	tsi, tsr, ok := selectors(req.payloads)
	if !ok || fmt.Sprint(tsi[0].Prefixes()) != "[198.51.100.0/24]" || tsr[0].Prefixes()[0].Bits() != 32 {
		t.Fatalf("headend's rekey request: TSi %v TSr %v", tsi, tsr)
	}
	n.run(time.Minute, func() bool { return false })
	checkChildPair(t, n)
}

// TestForcedEncapsulation: a client that forces UDP encapsulation makes a
// headend that would see no NAT move to it as well (its NAT detection
// hash does not match), and both send on the NAT-T port.
func TestForcedEncapsulation(t *testing.T) {
	n := newTestNet(t, alice)
	n.client.cfg.ForceEncap = true
	n.start()
	n.run(time.Minute, func() bool { return n.established() != nil })
	if n.established() == nil {
		t.Fatal("not established")
	}
	for s := range n.server.sessions {
		if !s.sa.natt || s.sa.remote.Port() != 4500 {
			t.Fatalf("the headend did not move to NAT-T: natt=%v remote=%s", s.sa.natt, s.sa.remote)
		}
	}
	if sa := n.client.lineage.current(); !sa.natt || sa.remote.Port() != 4500 {
		t.Fatalf("the client did not move to NAT-T: %s", sa.remote)
	}
}
