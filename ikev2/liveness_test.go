package ikev2

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestSetupUnderHeavyLoss loses 30% of the datagrams each way: with setup
// retransmissions derived from the measured round trip, at least 9 in 10
// connections must come up within the 30 s half-open limit common
// headends apply (the fake clock makes the figures exact and repeatable).
func TestSetupUnderHeavyLoss(t *testing.T) {
	const tries = 50
	var times []time.Duration
	ok := 0
	for seed := uint64(1); seed <= tries; seed++ {
		r := rand.New(rand.NewPCG(seed, 30))
		o := alice
		o.quiet = true
		n := newTestNet(t, o)
		n.drop = func(datagram) bool { return r.IntN(100) < 30 }
		start := n.now
		n.start()
		n.run(5*time.Minute, func() bool { return n.established() != nil || n.closed(false) != nil })
		if n.established() == nil {
			t.Logf("seed %d: not established: %v", seed, n.closed(false))
			continue
		}
		d := n.now.Sub(start)
		times = append(times, d)
		if d <= 30*time.Second {
			ok++
		}
	}
	slices.Sort(times)
	if len(times) == 0 {
		t.Fatal("no connection came up")
	}
	t.Logf("30%% loss both ways: %d/%d up within 30 s; median %s, worst %s", ok, tries, times[len(times)/2], times[len(times)-1])
	if ok < tries*9/10 {
		t.Fatalf("only %d of %d connections came up within 30 s", ok, tries)
	}
}

// TestSetupRetransmissionBounded: a silent headend gets IKE_SA_INIT at
// backed-off intervals, and the attempt ends after the time the
// conservative schedule takes, not earlier or later.
func TestSetupRetransmissionBounded(t *testing.T) {
	n := newTestNet(t, alice)
	n.drop = func(d datagram) bool { return d.toServer }
	start := n.now
	n.start()
	n.run(time.Hour, func() bool { return n.closed(false) != nil })
	c := n.closed(false)
	if c == nil || !errors.Is(c.Err, ErrPeerDead) {
		t.Fatalf("got %v", c)
	}
	tm := DefaultTimers
	want := tm.Retransmit * (1<<tm.RetransmitTries - 1)
	if got := n.now.Sub(start); got != want {
		t.Fatalf("gave up after %s, want %s", got, want)
	}
	// 0, 1, 3, 5, ... 61 s: the timeout doubles up to 2 s.
	if wantSends := 2 + int((want-tm.Retransmit-1)/(2*tm.Retransmit)); n.sent[0] != wantSends {
		t.Fatalf("sent %d times, want %d", n.sent[0], wantSends)
	}
}

// deadAfter drops everything the client sends from now on and returns how
// long the client takes to declare the headend dead.
func deadAfter(t *testing.T, n *testNet, kick func()) time.Duration {
	t.Helper()
	n.drop = func(d datagram) bool { return d.toServer }
	start := n.now
	if kick != nil {
		kick()
	}
	n.run(time.Hour, func() bool { return n.closed(false) != nil })
	c := n.closed(false)
	if c == nil || !errors.Is(c.Err, ErrPeerDead) {
		t.Fatalf("got %v", c)
	}
	return n.now.Sub(start)
}

// TestDPDDeclaresDeadWithinThreeIntervals: with DPD 5 s, an idle tunnel
// whose headend vanished is declared dead 2.5 intervals after it was last
// heard (check at 5 s, retries 0.5, 1, 2 s apart, dead 4 s later).
func TestDPDDeclaresDeadWithinThreeIntervals(t *testing.T) {
	o := alice
	o.timers = Timers{DPD: 5 * time.Second}
	n := connect(t, o)
	got := deadAfter(t, n, nil)
	t.Logf("dead %s after the headend went silent (DPD 5 s)", got)
	if got != 12500*time.Millisecond {
		t.Fatalf("dead after %s, want 12.5 s", got)
	}
	if len(installed(n.clientEvents)) != 0 {
		t.Fatal("CHILD SA left installed")
	}
}

// TestCheckLiveness: a check on a healthy tunnel is answered; on a dead
// path it ends the SA on the DPD schedule, long before the next DPD.
func TestCheckLiveness(t *testing.T) {
	o := alice
	o.timers = Timers{DPD: time.Hour, DPDRetransmit: 500 * time.Millisecond, DPDTries: 3}
	n := connect(t, o)
	before := n.sent[0]
	n.handle(false, n.client.CheckLiveness(n.now, "test"))
	n.handle(false, n.client.CheckLiveness(n.now, "test again")) // one in flight: nothing more
	if n.sent[0] != before+1 {
		t.Fatalf("sent %d datagrams for two checks, want 1", n.sent[0]-before)
	}
	n.run(time.Minute, func() bool { return false })
	if c := n.closed(false); c != nil {
		t.Fatalf("healthy tunnel closed: %v", c.Err)
	}
	got := deadAfter(t, n, func() { n.handle(false, n.client.CheckLiveness(n.now, "test")) })
	if got != 3500*time.Millisecond { // 0.5 + 1 + 2
		t.Fatalf("dead after %s, want 3.5 s", got)
	}
}

// TestCheckLivenessTakesOverRekey: a rekey in flight on the conservative
// schedule becomes the liveness check when one is asked for.
func TestCheckLivenessTakesOverRekey(t *testing.T) {
	o := alice
	o.timers = Timers{DPD: time.Hour, DPDRetransmit: 500 * time.Millisecond, DPDTries: 3}
	n := connect(t, o)
	got := deadAfter(t, n, func() {
		n.handle(false, n.client.RekeyChild(n.now))
		n.now = n.now.Add(time.Second / 2)
		n.handle(false, n.client.CheckLiveness(n.now, "test"))
	})
	if got != 4*time.Second { // 0.5 s, then 0.5 + 1 + 2
		t.Fatalf("dead after %s, want 4 s", got)
	}
}

// TestRestartedHeadendAnswersInvalidSPI: a headend that lost its state
// (restarted) answers the client's rekey with INVALID_IKE_SPI; the client
// does not believe the unprotected answer (RFC 7296 section 2.4) but
// checks liveness at once, and so finds the headend gone on the DPD
// schedule instead of the rekey's 63 s.
func TestRestartedHeadendAnswersInvalidSPI(t *testing.T) {
	o := alice
	o.timers = Timers{DPD: time.Hour, DPDRetransmit: 500 * time.Millisecond, DPDTries: 3}
	n := connect(t, o)
	restarted := newTestNet(t, o).server
	n.server = restarted
	start := n.now
	n.handle(false, n.client.RekeyChild(n.now))
	n.run(time.Hour, func() bool { return n.closed(false) != nil })
	c := n.closed(false)
	if c == nil || !errors.Is(c.Err, ErrPeerDead) {
		t.Fatalf("got %v", c)
	}
	if got := n.now.Sub(start); got != 3500*time.Millisecond {
		t.Fatalf("dead after %s, want 3.5 s", got)
	}
	if n.sent[1] == 0 {
		t.Fatal("the restarted headend answered nothing")
	}
}
