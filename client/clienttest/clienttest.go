// Package clienttest connects a client.Session to an in-process IKEv2
// headend, without sockets or a TUN device, in the spirit of
// net/http/httptest.
//
// What the session sends, the headend handles at once; what the headend
// sends (answers, and requests from its own timers) reaches the session
// through the data plane's OnIKE. The data plane carries no packets: it
// records the CHILD SAs the session installs and reports the usage a test
// sets. All of it runs inside a testing/synctest bubble when created there,
// so the session's and the headend's timers run on the bubble's clock.
package clienttest

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// The addresses of the two ends: the headend answers from HeadendAddr
// (port 500, or 4500 with UDP encapsulation), and the session sees itself
// as ClientAddr.
var (
	HeadendAddr = netip.MustParseAddr("192.0.2.1")
	ClientAddr  = netip.MustParseAddrPort("192.0.2.2:40000")
)

// Headend is an in-process IKEv2 responder at HeadendAddr that sessions
// reach through the data planes its NewDataPlane makes; what they send to
// any other address is lost. It serves one session at a time: the newest
// data plane receives what the headend sends.
type Headend struct {
	mu     sync.Mutex
	cfg    ikev2.ServerConfig
	srv    *ikev2.Server
	plane  *Plane
	silent bool          // drop everything in both directions
	wake   chan struct{} // the next deadline may have moved
}

// NewHeadend starts a headend with cfg, its Local address set to
// HeadendAddr port 500, and runs its timers until the test ends.
func NewHeadend(t testing.TB, cfg ikev2.ServerConfig) *Headend {
	t.Helper()
	cfg.Local = netip.AddrPortFrom(HeadendAddr, 500)
	srv, err := ikev2.NewServer(cfg)
	if err != nil {
		t.Fatalf("clienttest: the headend's configuration: %v", err)
	}
	h := &Headend{cfg: cfg, srv: srv, wake: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.runTimers(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return h
}

// SetSilent makes the headend drop every datagram, as if it vanished from
// the network, or (false) come back.
func (h *Headend) SetSilent(silent bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.silent = silent
}

// Restart replaces the headend by a fresh one with the same configuration,
// as after a crash and restart: it forgets every client's SAs.
func (h *Headend) Restart() error {
	srv, err := ikev2.NewServer(h.cfg)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.srv = srv
	return nil
}

// NewDataPlane is a client.Deps.NewDataPlane that connects the session to h.
func (h *Headend) NewDataPlane(c client.DataPlaneConfig) (client.DataPlane, error) {
	p := &Plane{h: h, onIKE: c.OnIKE, sas: map[uint32]bool{}}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.plane = p
	return p, nil
}

// Plane returns the newest data plane NewDataPlane made, nil before the
// first.
func (h *Headend) Plane() *Plane {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.plane
}

// handle passes datagrams from the session to the responder.
func (h *Headend) handle(to netip.AddrPort, encap bool, msgs [][]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.silent || to.Addr() != HeadendAddr {
		return
	}
	for _, m := range msgs {
		h.deliver(h.srv.HandleDatagram(time.Now(), ClientAddr, encap, m))
	}
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// deliver passes the responder's datagrams to the newest data plane; h.mu
// is held. Other actions concern the headend's own data plane, which has
// no part here.
func (h *Headend) deliver(acts []ikev2.Action) {
	for _, a := range acts {
		send, ok := a.(ikev2.Send)
		if !ok || h.silent || h.plane == nil {
			continue
		}
		from := netip.AddrPortFrom(HeadendAddr, 500)
		if send.Encap {
			from = netip.AddrPortFrom(HeadendAddr, 4500)
		}
		for _, d := range send.Datagrams {
			h.plane.onIKE(from, send.Encap, d) // the session copies it and never blocks
		}
	}
}

// runTimers calls the responder's HandleTimeout at each deadline
// (retransmissions, dead peer detection, rekeys) until ctx ends.
func (h *Headend) runTimers(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		h.mu.Lock()
		next := h.srv.NextDeadline()
		h.mu.Unlock()
		var fire <-chan time.Time
		if !next.IsZero() {
			timer.Reset(max(time.Until(next), 0))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		case <-fire:
			h.mu.Lock()
			h.deliver(h.srv.HandleTimeout(time.Now()))
			h.mu.Unlock()
		}
		timer.Stop()
	}
}

// Plane is the data plane of one session: IKE goes to the headend, CHILD
// SAs are recorded, no packets flow.
type Plane struct {
	h     *Headend
	onIKE func(netip.AddrPort, bool, []byte)

	mu        sync.Mutex
	sas       map[uint32]bool // installed CHILD SAs by inbound SPI
	bytes     uint64
	exhausted bool
	stats     client.Stats
	closed    bool
}

// LocalAddr implements client.DataPlane.
func (p *Plane) LocalAddr(netip.AddrPort) (netip.AddrPort, error) { return ClientAddr, nil }

// SendIKE implements client.DataPlane: the headend handles msgs at once.
func (p *Plane) SendIKE(to netip.AddrPort, encap bool, msgs [][]byte) error {
	p.h.handle(to, encap, msgs)
	return nil
}

// Install implements client.DataPlane.
func (p *Plane) Install(c *ikev2.ChildSA, _ []netip.Prefix) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sas[c.InSPI] = true
	return nil
}

// Remove implements client.DataPlane.
func (p *Plane) Remove(c *ikev2.ChildSA) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.sas, c.InSPI)
}

// Device implements client.DataPlane.
func (p *Plane) Device() (string, int) { return "vpnc0", 1400 }

// Usage implements client.DataPlane with what SetUsage set, for every
// installed CHILD SA.
func (p *Plane) Usage(inSPI uint32) (uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.sas[inSPI] {
		return 0, false
	}
	return p.bytes, p.exhausted
}

// Stats implements client.DataPlane with what SetStats set.
func (p *Plane) Stats() client.Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close implements client.DataPlane.
func (p *Plane) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}

// SetUsage sets what Usage reports for the installed CHILD SAs: the bytes
// they carried and whether their sequence numbers near their end.
func (p *Plane) SetUsage(bytes uint64, exhausted bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bytes, p.exhausted = bytes, exhausted
}

// SetStats sets the counters Stats reports.
func (p *Plane) SetStats(s client.Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats = s
}

// SAs lists the inbound SPIs of the installed CHILD SAs, in order.
func (p *Plane) SAs() []uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Sorted(maps.Keys(p.sas))
}

// Closed reports whether the session closed the data plane.
func (p *Plane) Closed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}
