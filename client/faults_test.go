package client_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// The fault tests run on the bubble's fake clock: the figures they log
// are exact, and the bounds they check are the goals, not margins for a
// loaded machine.

// within reads events until one satisfies f within d of the bubble's
// clock, and returns how long it took.
func (hs *harness) within(t *testing.T, d time.Duration, what string, f func(client.Event) bool) time.Duration {
	t.Helper()
	begin := time.Now()
	timeout := time.After(d)
	for {
		select {
		case e, ok := <-hs.s.Events():
			if !ok {
				t.Fatalf("events ended while waiting for %s (%v)", what, hs.events)
			}
			hs.events = append(hs.events, e)
			if f(e) {
				return time.Since(begin)
			}
		case <-timeout:
			t.Fatalf("no %s within %s; events: %v", what, d, hs.events)
		}
	}
}

// count returns how many of the events read so far satisfy f.
func (hs *harness) count(f func(client.Event) bool) int {
	n := 0
	for _, e := range hs.events {
		if f(e) {
			n++
		}
	}
	return n
}

func isDisconnected(e client.Event) bool { _, ok := e.(client.DisconnectedEvent); return ok }

// TestReconnectAfterHeadendRestart: the headend loses its state; with DPD
// 5 s the tunnel is up again within 3 DPD intervals plus a setup.
func TestReconnectAfterHeadendRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := alice
		o.AutoReconnect = true
		hs := start(t, o, ikev2.Timers{DPD: 5 * time.Second}, vpnHost)
		hs.waitFor(t, "tunnel", isConnected)
		if err := hs.h.Restart(); err != nil {
			t.Fatal(err)
		}
		d := hs.within(t, time.Minute, "tunnel again", isConnected)
		t.Logf("tunnel again %s after the headend restarted (DPD 5 s)", d)
		if d > 15*time.Second {
			t.Fatalf("took %s, more than 3 DPD intervals", d)
		}
		hs.disconnect(t)
	})
}

// TestNeverGivesUpOnSilentHeadend: a headend silent for ten minutes is
// waited for with a capped backoff, and the tunnel comes back soon after.
func TestNeverGivesUpOnSilentHeadend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := alice
		o.AutoReconnect = true
		hs := start(t, o, ikev2.Timers{DPD: 5 * time.Second}, vpnHost)
		hs.waitFor(t, "tunnel", isConnected)
		hs.h.SetSilent(true)
		go func() {
			time.Sleep(10 * time.Minute)
			hs.h.SetSilent(false)
		}()
		d := hs.within(t, 12*time.Minute, "tunnel again", isConnected)
		if n := hs.count(isDisconnected); n != 0 {
			t.Fatal("the session ended")
		}
		tries := hs.count(isStage(client.StageReconnecting))
		t.Logf("tunnel again %s after the headend went silent for 10 min, after %d retries", d, tries)
		if d > 10*time.Minute+45*time.Second {
			t.Fatalf("tunnel again only %s after the headend came back", d-10*time.Minute)
		}
		hs.disconnect(t)
	})
}

// TestFirstConnectGivesUpOnNeverAnswering: a headend that never answered
// on the first connect ends the session with *NoIKEv2Error (front ends
// tell the user it may be SSL-only) ...
func TestFirstConnectGivesUpOnNeverAnswering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := alice
		o.AuthTimeout = 5 * time.Second
		hs := start(t, o, ikev2.Timers{}, vpnHost)
		hs.h.SetSilent(true)
		var ne *client.NoIKEv2Error
		if err := hs.wait(); !errors.As(err, &ne) || !errors.Is(err, client.ErrNoAnswer) {
			t.Fatalf("got %v", err)
		}
	})
}

// ... unless WaitForHeadend asks to keep trying.
func TestFirstConnectWaitsForHeadend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := alice
		o.AuthTimeout = 5 * time.Second
		o.WaitForHeadend = true
		hs := start(t, o, ikev2.Timers{}, vpnHost)
		hs.h.SetSilent(true)
		go func() {
			time.Sleep(3 * time.Minute)
			hs.h.SetSilent(false)
		}()
		d := hs.within(t, 5*time.Minute, "tunnel", isConnected)
		t.Logf("tunnel %s after the first try; the headend answered from 3 min", d)
		hs.disconnect(t)
	})
}

// TestBackoffCappedAndReset: 1 s doubling to 30 s; a tunnel that stayed up
// a minute starts over; waiting for a network path is not a try.
func TestBackoffCappedAndReset(t *testing.T) {
	var r client.Retrier
	var got []time.Duration
	for range 7 {
		d, _ := r.Next(ikev2.ErrPeerDead)
		got = append(got, d)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("delays %v", got)
		}
	}
	if _, try := r.Next(client.ErrNoPath); try != 8 {
		t.Fatalf("waiting for a path counted as a try: next is %d", try)
	}
	r.WentDown(10 * time.Second)
	if d, _ := r.Next(ikev2.ErrPeerDead); d != 30*time.Second {
		t.Fatalf("reset after a short tunnel: %s", d)
	}
	r.WentDown(2 * time.Minute)
	if d, try := r.Next(ikev2.ErrPeerDead); d != time.Second || try != 2 {
		t.Fatalf("after a stable tunnel: %s, try %d", d, try)
	}
}

// fakePaths is a PathMonitor the test drives.
type fakePaths struct {
	ch   chan client.PathChange
	mu   sync.Mutex
	down error
}

func newFakePaths() *fakePaths { return &fakePaths{ch: make(chan client.PathChange, 1)} }

func (p *fakePaths) Watch(context.Context) (<-chan client.PathChange, error) { return p.ch, nil }

func (p *fakePaths) Usable(netip.Addr) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

func (p *fakePaths) set(down error, what string) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
	p.ch <- client.PathChange{Link: "eth0", Detail: what}
}

var slowDPD = ikev2.Timers{DPD: time.Hour, DPDRetransmit: 500 * time.Millisecond, DPDTries: 3}

// TestNetworkChangeChecksLiveness: after a network change the headend is
// checked at once; a headend gone on the new path is found out on the
// DPD schedule (3.5 s here), not at the next DPD (an hour).
func TestNetworkChangeChecksLiveness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		paths := newFakePaths()
		o := alice
		o.AutoReconnect = true
		hs := startWith(t, o, slowDPD, vpnHost, func(d *client.Deps) { d.Paths = paths })
		hs.waitFor(t, "tunnel", isConnected)
		// A change with the headend still there: the check is answered.
		paths.set(nil, "address 192.0.2.3/24 added")
		time.Sleep(time.Minute)
		synctest.Wait()
		hs.h.SetSilent(true)
		paths.set(nil, "address 192.0.2.4/24 added")
		d := hs.within(t, time.Minute, "reconnecting", isStage(client.StageReconnecting))
		t.Logf("headend found gone %s after the network change", d)
		if d > 4*time.Second {
			t.Fatalf("took %s", d)
		}
		if n := hs.count(isStage(client.StageReconnecting)); n != 1 {
			t.Fatalf("%d reconnects; the first change should have been answered", n)
		}
		hs.disconnect(t)
	})
}

// TestLinkDownWaitsThenReconnectsAtOnce: with the link down the session
// waits without giving up; when the link returns it reconnects at once.
func TestLinkDownWaitsThenReconnectsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		paths := newFakePaths()
		o := alice
		o.AutoReconnect = true
		hs := startWith(t, o, ikev2.Timers{DPD: 5 * time.Second}, vpnHost, func(d *client.Deps) { d.Paths = paths })
		hs.waitFor(t, "tunnel", isConnected)
		hs.h.SetSilent(true)
		paths.set(errors.New("link eth0 is down"), "link eth0 down")
		go func() {
			time.Sleep(5 * time.Minute)
			hs.h.SetSilent(false)
			paths.set(nil, "link eth0 up")
		}()
		d := hs.within(t, 6*time.Minute, "tunnel again", isConnected)
		t.Logf("tunnel again %s after a 5 min link outage", d-5*time.Minute)
		if d > 5*time.Minute+2*time.Second {
			t.Fatalf("tunnel again %s after the link returned", d-5*time.Minute)
		}
		if hs.count(isDisconnected) != 0 {
			t.Fatal("the session ended")
		}
		hs.disconnect(t)
	})
}

// TestUnansweredESPChecksLiveness: ESP going out with nothing coming back
// starts a liveness check long before the next DPD.
func TestUnansweredESPChecksLiveness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := alice
		o.AutoReconnect = true
		hs := start(t, o, slowDPD, vpnHost)
		hs.waitFor(t, "tunnel", isConnected)
		hs.h.SetSilent(true)
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			for i := uint64(1); ; i++ {
				hs.h.Plane().SetStats(client.Stats{PacketsOut: i})
				select {
				case <-time.After(100 * time.Millisecond):
				case <-stop:
					return
				}
			}
		}()
		defer func() { close(stop); <-stopped }()
		d := hs.within(t, time.Minute, "reconnecting", isStage(client.StageReconnecting))
		t.Logf("headend found gone %s after it went silent under traffic", d)
		if d > 7*time.Second { // 2 s unanswered, a 1 s tick, 3.5 s of checks
			t.Fatalf("took %s", d)
		}
		hs.disconnect(t)
	})
}

// TestOwnDeviceChangesIgnored: the tunnel's own device changing (its
// addresses and routes, which the session sets) is no path change.
func TestOwnDeviceChangesIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		paths := newFakePaths()
		o := alice
		o.AutoReconnect = true
		hs := startWith(t, o, slowDPD, vpnHost, func(d *client.Deps) { d.Paths = paths })
		hs.waitFor(t, "tunnel", isConnected)
		hs.h.SetSilent(true)
		dev, _ := hs.h.Plane().Device()
		paths.ch <- client.PathChange{Link: dev, Detail: "address fe80::1/64 added on " + dev}
		time.Sleep(time.Minute)
		synctest.Wait()
		for _, e := range hs.pending() {
			if isStage(client.StageReconnecting)(e) {
				t.Fatal("a change of the tunnel's own device started a liveness check")
			}
		}
		hs.h.SetSilent(false)
		hs.disconnect(t)
	})
}

// pending returns the events queued so far without waiting.
func (hs *harness) pending() []client.Event {
	for {
		select {
		case e, ok := <-hs.s.Events():
			if !ok {
				return hs.events
			}
			hs.events = append(hs.events, e)
		default:
			return hs.events
		}
	}
}

// TestReconnectThroughResolverOutage: after the tunnel was up, a resolver
// that says the headend's name does not exist (offline) is waited out.
func TestReconnectThroughResolverOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		offline := false
		resolve := func(host string) ([]netip.Addr, error) {
			mu.Lock()
			defer mu.Unlock()
			if offline {
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			}
			return vpnHost[host], nil
		}
		o := alice
		o.AutoReconnect = true
		hs := startWith(t, o, ikev2.Timers{DPD: 5 * time.Second}, vpnHost, func(d *client.Deps) { d.Resolve = resolve })
		hs.waitFor(t, "tunnel", isConnected)
		mu.Lock()
		offline = true
		mu.Unlock()
		hs.h.SetSilent(true)
		go func() {
			time.Sleep(3 * time.Minute)
			mu.Lock()
			offline = false
			mu.Unlock()
			hs.h.SetSilent(false)
		}()
		hs.within(t, 5*time.Minute, "tunnel again", isConnected)
		if hs.count(isDisconnected) != 0 {
			t.Fatal("the session ended")
		}
		hs.disconnect(t)
	})
}
