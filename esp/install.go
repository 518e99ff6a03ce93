package esp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"
)

// SAPair is a CHILD SA: both directions, where ESP goes and which inner
// addresses it carries.
type SAPair struct {
	In  *InboundSA
	Out *OutboundSA
	// Peer is the ESP-in-UDP destination (the headend's or the client's
	// address and NAT-T port).
	Peer netip.AddrPort
	// Inner are the networks this SA carries: the destinations of outbound
	// packets (longest prefix match over all pairs) and the allowed sources
	// of inbound ones. A client: 0.0.0.0/0 and ::/0, or its split networks;
	// a headend: the client's assigned address(es).
	Inner []netip.Prefix
	// SendNow says that the peer has installed this pair's inbound SA
	// already: we initiated the CREATE_CHILD_SA exchange and have its
	// response. Outbound then moves to this pair at once instead of waiting
	// for its first inbound packet (see Install).
	SendNow bool
}

// pairState is an installed SAPair.
type pairState struct {
	SAPair
	spi   uint32 // In.SPI()
	order uint64 // install order
	// promoted: a packet was received on In; from then on Out may replace
	// older pairs' outbound SAs for the same prefixes.
	promoted atomic.Bool
	// waiting: some prefix of Inner still routes to an older pair; the
	// first inbound packet then rebuilds the routes.
	waiting atomic.Bool
	sent    atomic.Bool // something was sent to Peer since the last keepalive tick
	// peer is where ESP goes: SAPair.Peer at first, moved by SetPeer when
	// the peer's NAT mapping changes.
	peer atomic.Pointer[netip.AddrPort]
}

// dst returns the pair's current ESP destination.
func (p *pairState) dst() netip.AddrPort { return *p.peer.Load() }

// Install adds a CHILD SA pair. Its inbound SA receives at once. Its
// outbound SA carries the pair's Inner prefixes, except where an older
// installed pair carries the same prefix: then (make-before-break rekey)
// the older pair keeps sending until a packet has been received on the new
// inbound SA, or the older pair is removed, or at once with SendNow;
// inbound, both decrypt meanwhile. This way the peer has surely installed
// the new inbound SA before we use it, and no packet is lost or reordered
// across the switch.
//
// In an IKEv2 rekey the responder of CREATE_CHILD_SA installs the new pair
// without SendNow (the initiator may not have the response yet); the
// initiator installs it with SendNow, so its packets on the new SA move the
// responder over too. Without SendNow on either side, both switch when the
// old pair is deleted.
func (t *Tunnel) Install(p SAPair) error {
	if p.In == nil || p.Out == nil {
		return errors.New("esp: SA pair needs both SAs")
	}
	if !p.Peer.IsValid() || p.Peer.Port() == 0 {
		return fmt.Errorf("esp: SA pair peer %v is not an address and port", p.Peer)
	}
	if len(p.Inner) == 0 {
		return errors.New("esp: SA pair carries no inner prefixes")
	}
	inner := make([]netip.Prefix, 0, len(p.Inner))
	for _, pf := range p.Inner {
		if !pf.IsValid() {
			return fmt.Errorf("esp: bad inner prefix %v", pf)
		}
		pf = pf.Masked()
		if !slices.Contains(inner, pf) {
			inner = append(inner, pf)
		}
	}
	p.Inner = inner
	p.Peer = unmapAddrPort(p.Peer)
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.tbl.Load()
	spi := p.In.SPI()
	if old.bySPI[spi] != nil {
		return fmt.Errorf("esp: inbound SPI %#08x is installed already", spi)
	}
	t.order++
	ps := &pairState{SAPair: p, spi: spi, order: t.order}
	ps.peer.Store(&p.Peer)
	ps.promoted.Store(p.SendNow)
	t.tbl.Store(build(append(slices.Clone(old.pairs), ps)))
	return nil
}

// SetPeer moves where the pair with inbound SPI inSPI sends ESP, after the
// peer's address or port changed behind a NAT (RFC 7296 section 2.23);
// unknown SPIs are ignored.
func (t *Tunnel) SetPeer(inSPI uint32, peer netip.AddrPort) {
	if p := t.tbl.Load().bySPI[inSPI]; p != nil {
		peer = unmapAddrPort(peer)
		p.peer.Store(&peer)
	}
}

// Remove uninstalls the pair whose inbound SA has SPI inSPI; unknown SPIs
// are ignored. Its packets are dropped from then on; prefixes that another
// pair carries move to that pair.
func (t *Tunnel) Remove(inSPI uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.tbl.Load()
	if old.bySPI[inSPI] == nil {
		return
	}
	pairs := slices.DeleteFunc(slices.Clone(old.pairs), func(p *pairState) bool { return p.spi == inSPI })
	t.tbl.Store(build(pairs))
}

// promote records the first packet received on p and, if p was waiting
// for it, lets its outbound SA take over.
func (t *Tunnel) promote(p *pairState) {
	if !p.promoted.CompareAndSwap(false, true) || !p.waiting.Load() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.tbl.Load()
	if cur.bySPI[p.spi] != p {
		return
	}
	t.tbl.Store(build(cur.pairs))
	t.logf("esp: outbound moves to the SA of inbound SPI %#08x", p.spi)
}
