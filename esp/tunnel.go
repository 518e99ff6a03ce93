package esp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.zx2c4.com/wireguard/tun"
)

// The Tunnel's pipeline
//
// Outbound (TUN to network), per batch of up to BatchSize packets:
//
//	TUN reader:  tun.Read a batch -> route each packet (longest prefix match
//	             over the installed pairs' Inner prefixes) -> take its ESP
//	             sequence number, in the batch's order -> split the batch into
//	             chunks for the crypto workers, seal the first chunk itself ->
//	             queue the batch for the sender (FIFO)
//	workers:     seal chunks in place (Encap into the TUN read offset's room)
//	sender:      wait until the batch at the head of the queue is sealed ->
//	             coalesce runs of equal-sized packets to one peer (UDP GSO) ->
//	             sendmmsg
//
// Inbound (network to TUN), per socket:
//
//	socket reader: recvmmsg (split UDP GRO) -> RFC 3948 demux: IKE to OnIKE,
//	             keepalives dropped, ESP found by SPI -> chunks to workers
//	             (first chunk itself) -> queue the batch for the TUN writer
//	workers:     Decap in place, check the inner packet and its source
//	             against the SA's Inner prefixes, trim TFC padding
//	TUN writer:  wait until the batch at the head of its queue is done ->
//	             tun.Write the good packets (the tun package coalesces TCP
//	             segments back into super-packets) -> OnActivity per SA
//
// Each queue has one producer and one consumer, so the packets of a batch
// keep their order, and batches keep theirs: one SA's packets leave in the
// order they came. The crypto runs on as many goroutines as GOMAXPROCS.
// Buffers belong to batches, which go back to a free list: no allocation
// per packet.

const (
	// txOffset is where the TUN reader puts a packet in its buffer: room for
	// the virtio header of an offloading TUN (10) and for the ESP header
	// (HeaderRoom), so that Encap works in place.
	txOffset = 32
	// rxOffset is where a datagram is received. The inner packet then
	// starts at rxOffset+HeaderLen(), at least tunWriteOffset further.
	rxOffset = 16
	// tunWriteOffset is the offset for tun.Write: in front of the inner
	// packet, room for the virtio header.
	tunWriteOffset = 16
	// bufSize is the size of every packet buffer: a TUN write coalesces TCP
	// segments into the first packet's buffer, and a UDP send with GSO
	// coalesces ESP packets into one, up to 64 KiB.
	bufSize = txOffset + 65535 + TailRoom
	// sockBatch is the number of datagrams per recvmmsg/sendmmsg.
	sockBatch = 128
	// minChunk is the fewest packets worth handing to another goroutine.
	minChunk = 8
	// queueLen is the number of batches in flight per queue.
	queueLen = 4
)

// Socket is one UDP socket of a Tunnel.
type Socket struct {
	Conn *net.UDPConn
	// RawIKE marks a socket whose datagrams are all IKE messages without
	// the Non-ESP Marker (a headend's port 500). On the others datagrams
	// are sorted as RFC 3948 says: Non-ESP Marker -> IKE, a single 0xFF ->
	// NAT keepalive, else ESP.
	RawIKE bool
}

// TunnelConfig configures a Tunnel.
type TunnelConfig struct {
	// TUN is the device; the Tunnel owns it from NewTunnel on and closes it
	// when it stops.
	TUN tun.Device
	// Sockets: a client has one (an ephemeral port for IKE and ESP); a
	// headend two (500 with RawIKE, 4500). ESP leaves from the first socket
	// without RawIKE. The Tunnel owns them from NewTunnel on and closes them
	// when it stops.
	Sockets []Socket
	// PeerIKEPort: on sockets without RawIKE, datagrams from this source
	// port are raw IKE (a client talking to the headend's port 500 before
	// it moves to 4500). 0 = none.
	PeerIKEPort uint16
	// OnIKE receives each IKE message (without the marker); encap tells
	// whether it came with the Non-ESP Marker (NAT-T, port 4500). It runs on
	// a socket reader goroutine, which reads no datagrams meanwhile: return
	// quickly (hand the message to the IKE goroutine). msg is only valid
	// during the call: copy it to keep it. nil drops IKE messages.
	OnIKE func(from netip.AddrPort, encap bool, msg []byte)
	// OnActivity is called with the inbound SPI when authenticated ESP
	// arrived (at most once per SA per received batch), for dead peer
	// detection. It runs on the TUN writer goroutine: return quickly.
	// Optional.
	OnActivity func(spi uint32)
	// Keepalive is the NAT keepalive interval (RFC 3948 section 2.3): every
	// interval, each installed pair's peer that was sent nothing since the
	// last one gets a keepalive. 0 = off.
	Keepalive time.Duration
	// Log, if set, receives rare events (not per-packet ones).
	Log func(format string, args ...any)
}

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

// TunnelStats are the Tunnel's counters. Bytes are inner IP packet bytes.
type TunnelStats struct {
	TxPackets, TxBytes uint64 // sealed and handed to the socket
	RxPackets, RxBytes uint64 // decapsulated and handed to the TUN

	RxIKE        uint64 // IKE messages passed to OnIKE
	RxKeepalives uint64 // NAT keepalives received (and ignored)
	TxKeepalives uint64

	DropNoSA       uint64 // outbound packet with no matching SA (never sent in clear)
	DropNotIP      uint64 // outbound packet that is not IPv4 or IPv6
	DropSeq        uint64 // outbound SA's sequence numbers exhausted
	DropSend       uint64 // datagrams the kernel refused (no route, too big)
	DropInvalid    uint64 // datagram too short to be anything (RFC 3948 demux)
	DropUnknownSPI uint64 // ESP for no installed SA
	DropAuth       uint64 // ESP failing its ICV
	DropReplay     uint64 // replayed or too old ESP
	DropMalformed  uint64 // bad ESP length or padding
	DropInner      uint64 // decapsulated packet that is not a valid IP packet, or a dummy
	DropPolicy     uint64 // inner source outside the SA's Inner prefixes
	DropTUN        uint64 // packets the TUN refused
}

type tunnelCounters struct {
	txPackets, txBytes, rxPackets, rxBytes          atomic.Uint64
	rxIKE, rxKeepalives, txKeepalives               atomic.Uint64
	noSA, notIP, seq, send, invalid, unknownSPI     atomic.Uint64
	auth, replay, malformed, inner, policy, tunDrop atomic.Uint64
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

// tables is an immutable snapshot of the installed pairs, replaced as a whole.
type tables struct {
	pairs []*pairState
	bySPI map[uint32]*pairState
	v4    []routeLevel4
	v6    []routeLevel6
}

type routeLevel4 struct {
	mask uint32
	m    map[uint32]*pairState
}

type routeLevel6 struct {
	bits int
	m    map[[16]byte]*pairState
}

// route finds the pair carrying dst, the longest prefix first.
func (t *tables) route4(dst uint32) *pairState {
	for i := range t.v4 {
		if p := t.v4[i].m[dst&t.v4[i].mask]; p != nil {
			return p
		}
	}
	return nil
}

func (t *tables) route6(dst [16]byte) *pairState {
	for i := range t.v6 {
		l := &t.v6[i]
		k := maskBits(dst, l.bits)
		if p := l.m[k]; p != nil {
			return p
		}
	}
	return nil
}

func maskBits(a [16]byte, bits int) [16]byte {
	for i := range a {
		switch {
		case bits >= 8:
			bits -= 8
		case bits > 0:
			a[i] &= ^byte(0xff >> bits)
			bits = 0
		default:
			a[i] = 0
		}
	}
	return a
}

// build makes the routes of pairs: for each prefix, the newest promoted
// pair carrying it, else the oldest one (the incumbent).
func build(pairs []*pairState) *tables {
	t := &tables{pairs: pairs, bySPI: make(map[uint32]*pairState, len(pairs))}
	best := map[netip.Prefix]*pairState{}
	for _, p := range pairs {
		t.bySPI[p.spi] = p
		for _, pf := range p.Inner {
			cur := best[pf]
			switch {
			case cur == nil:
				best[pf] = p
			case p.promoted.Load() == cur.promoted.Load():
				if p.promoted.Load() == (p.order > cur.order) {
					best[pf] = p
				}
			case p.promoted.Load():
				best[pf] = p
			}
		}
	}
	for _, p := range pairs {
		w := false
		for _, pf := range p.Inner {
			w = w || best[pf] != p
		}
		p.waiting.Store(w)
	}
	l4 := map[int]map[uint32]*pairState{}
	l6 := map[int]map[[16]byte]*pairState{}
	for pf, p := range best {
		b := pf.Bits()
		if pf.Addr().Is4() {
			if l4[b] == nil {
				l4[b] = map[uint32]*pairState{}
			}
			a := pf.Addr().As4()
			l4[b][binary.BigEndian.Uint32(a[:])] = p
		} else {
			if l6[b] == nil {
				l6[b] = map[[16]byte]*pairState{}
			}
			l6[b][pf.Addr().As16()] = p
		}
	}
	for b, m := range l4 {
		mask := uint32(0)
		if b > 0 {
			mask = ^uint32(0) << (32 - b)
		}
		t.v4 = append(t.v4, routeLevel4{mask: mask, m: m})
	}
	slices.SortFunc(t.v4, func(a, b routeLevel4) int { return int(b.mask>>1) - int(a.mask>>1) })
	for b, m := range l6 {
		t.v6 = append(t.v6, routeLevel6{bits: b, m: m})
	}
	slices.SortFunc(t.v6, func(a, b routeLevel6) int { return b.bits - a.bits })
	return t
}

// Tunnel moves packets between a TUN device and ESP in UDP, and IKE
// datagrams between its sockets and the IKE layer. See TunnelConfig, and
// Install for the rekey rule.
type Tunnel struct {
	cfg     TunnelConfig
	socks   []*tsock
	espSock *tsock // ESP and encapsulated IKE leave here
	rawSock *tsock // IKE without marker leaves here
	batch   int    // TUN batch size
	workers int

	mu    sync.Mutex // serialises Install, Remove and promotions
	order uint64
	tbl   atomic.Pointer[tables]

	cnt tunnelCounters

	work    chan job
	sendQ   chan *batch
	tunQ    chan *batch
	freeOut chan *batch
	freeIn  chan *batch

	closeOnce sync.Once
	closing   atomic.Bool
	done      chan struct{}
	errMu     sync.Mutex
	err       error
	running   atomic.Bool
}

type tsock struct {
	Socket
	bc batchConn
}

// NewTunnel checks cfg and prepares a Tunnel; Run starts it.
func NewTunnel(cfg TunnelConfig) (*Tunnel, error) {
	if cfg.TUN == nil {
		return nil, errors.New("esp: tunnel needs a TUN device")
	}
	if len(cfg.Sockets) == 0 {
		return nil, errors.New("esp: tunnel needs a socket")
	}
	t := &Tunnel{cfg: cfg, done: make(chan struct{})}
	t.batch = max(1, cfg.TUN.BatchSize())
	for _, s := range cfg.Sockets {
		if s.Conn == nil {
			return nil, errors.New("esp: tunnel socket without a connection")
		}
		bc, err := newBatchConn(s.Conn, sockBatch)
		if err != nil {
			return nil, fmt.Errorf("esp: socket: %w", err)
		}
		ts := &tsock{Socket: s, bc: bc}
		t.socks = append(t.socks, ts)
		if !s.RawIKE && t.espSock == nil {
			t.espSock = ts
		}
		if s.RawIKE && t.rawSock == nil {
			t.rawSock = ts
		}
	}
	if t.espSock == nil {
		return nil, errors.New("esp: tunnel needs a socket without RawIKE for ESP")
	}
	if t.rawSock == nil {
		t.rawSock = t.espSock
	}
	t.tbl.Store(build(nil))
	return t, nil
}

func (t *Tunnel) logf(format string, args ...any) {
	if t.cfg.Log != nil {
		t.cfg.Log(format, args...)
	}
}

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

// Stats returns the Tunnel's counters.
func (t *Tunnel) Stats() TunnelStats {
	c := &t.cnt
	return TunnelStats{
		TxPackets: c.txPackets.Load(), TxBytes: c.txBytes.Load(),
		RxPackets: c.rxPackets.Load(), RxBytes: c.rxBytes.Load(),
		RxIKE: c.rxIKE.Load(), RxKeepalives: c.rxKeepalives.Load(), TxKeepalives: c.txKeepalives.Load(),
		DropNoSA: c.noSA.Load(), DropNotIP: c.notIP.Load(), DropSeq: c.seq.Load(),
		DropSend: c.send.Load(), DropInvalid: c.invalid.Load(), DropUnknownSPI: c.unknownSPI.Load(),
		DropAuth: c.auth.Load(), DropReplay: c.replay.Load(), DropMalformed: c.malformed.Load(),
		DropInner: c.inner.Load(), DropPolicy: c.policy.Load(), DropTUN: c.tunDrop.Load(),
	}
}

// SendIKE sends IKE messages to a peer: with encap, behind the Non-ESP
// Marker from the ESP socket (to the peer's NAT-T port); otherwise as they
// are, from the RawIKE socket if there is one (a headend's 500), else from
// the only socket (a client to the headend's 500). It may be called from
// any goroutine, also before Run.
func (t *Tunnel) SendIKE(to netip.AddrPort, encap bool, msgs [][]byte) error {
	s := t.rawSock
	if encap {
		s = t.espSock
	}
	var errs []error
	for _, m := range msgs {
		b := m
		if encap {
			b = AppendIKE(make([]byte, 0, NonESPMarkerLen+len(m)), m)
		}
		if _, err := s.Conn.WriteToUDPAddrPort(b, to); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close stops the Tunnel: it closes the TUN and the sockets, which ends Run.
func (t *Tunnel) Close() error {
	t.closeOnce.Do(func() {
		t.closing.Store(true)
		close(t.done)
		t.cfg.TUN.Close()
		for _, s := range t.socks {
			s.Conn.Close()
		}
	})
	return nil
}

// fail records a fatal error and stops the Tunnel.
func (t *Tunnel) fail(err error) {
	if t.closing.Load() {
		return
	}
	t.errMu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.errMu.Unlock()
	t.logf("esp: tunnel stops: %v", err)
	t.Close()
}

// Run moves packets until ctx ends, Close is called or an I/O error that
// cannot be recovered from happens (returned; nil in the other cases). It
// closes the TUN and the sockets before it returns. Run it once.
func (t *Tunnel) Run(ctx context.Context) error {
	if !t.running.CompareAndSwap(false, true) {
		return errors.New("esp: tunnel runs already")
	}
	workers := runtime.GOMAXPROCS(0)
	t.workers = workers
	t.work = make(chan job, 4*workers*queueLen)
	t.sendQ = make(chan *batch, queueLen)
	t.tunQ = make(chan *batch, queueLen)
	t.freeOut = make(chan *batch, 2*queueLen+2)
	t.freeIn = make(chan *batch, (2*queueLen+2)*len(t.socks))

	var readers, consumers sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { t.Close() })
	defer stop()
	for range workers {
		consumers.Go(t.worker)
	}
	readers.Go(t.tunReader)
	for _, s := range t.socks {
		readers.Go(func() { t.sockReader(s) })
	}
	consumers.Go(t.sender)
	consumers.Go(t.tunWriter)
	if ev := t.cfg.TUN.Events(); ev != nil {
		go func() {
			for range ev {
			}
		}()
	}
	if t.cfg.Keepalive > 0 {
		readers.Go(t.keepalives)
	}
	readers.Wait()
	close(t.work)
	close(t.sendQ)
	close(t.tunQ)
	consumers.Wait()
	t.errMu.Lock()
	defer t.errMu.Unlock()
	return t.err
}

func (t *Tunnel) keepalives() {
	tk := time.NewTicker(t.cfg.Keepalive)
	defer tk.Stop()
	ka := []byte{NATKeepalive}
	for {
		select {
		case <-t.done:
			return
		case <-tk.C:
		}
		seen := map[netip.AddrPort]bool{}
		for _, p := range t.tbl.Load().pairs {
			if p.sent.Swap(false) || seen[p.dst()] {
				seen[p.dst()] = true
				continue
			}
			seen[p.dst()] = true
			if _, err := t.espSock.Conn.WriteToUDPAddrPort(ka, p.dst()); err == nil {
				t.cnt.txKeepalives.Add(1)
			}
		}
	}
}

// batch is a set of packets moving through the pipeline together.
type batch struct {
	bufs  [][]byte // bufSize each, owned by the batch
	sizes []int
	io    [][]byte // slices of bufs handed to tun.Read / tun.Write
	dg    []dgram
	ents  []entry
	n     int // entries in use

	pending atomic.Int32
	done    chan struct{}
	out     bool
}

// entry is one packet of a batch.
type entry struct {
	p   *pairState
	idx int    // buffer index
	seq uint64 // outbound sequence number
	len int    // inner (outbound) or ESP (inbound) length
	// results
	start, size int  // the result: bufs[idx][start:start+size]; size 0 = dropped
	why         byte // drop reason
}

const (
	whyNone byte = iota
	whyAuth
	whyReplay
	whyMalformed
	whyInner
	whyPolicy
)

type job struct {
	b      *batch
	lo, hi int
}

func newBatch(n int, out bool) *batch {
	b := &batch{
		bufs: make([][]byte, n), sizes: make([]int, n), io: make([][]byte, n),
		dg: make([]dgram, n), ents: make([]entry, n), done: make(chan struct{}, 1), out: out,
	}
	for i := range b.bufs {
		b.bufs[i] = make([]byte, bufSize)
	}
	return b
}

func (t *Tunnel) getBatch(free chan *batch, n int, out bool) *batch {
	select {
	case b := <-free:
		return b
	default:
		return newBatch(n, out)
	}
}

func putBatch(free chan *batch, b *batch) {
	b.n = 0
	select {
	case free <- b:
	default:
	}
}

// dispatch runs the crypto of b's entries: chunks to the workers, the
// first one here.
func (t *Tunnel) dispatch(b *batch) {
	chunks := min(t.workers, (b.n+minChunk-1)/minChunk)
	if chunks <= 1 {
		t.process(b, 0, b.n)
		b.done <- struct{}{}
		return
	}
	size := (b.n + chunks - 1) / chunks
	b.pending.Store(int32(chunks))
	for lo := size; lo < b.n; lo += size {
		t.work <- job{b, lo, min(lo+size, b.n)}
	}
	t.process(b, 0, size)
	if b.pending.Add(-1) == 0 {
		b.done <- struct{}{}
	}
}

func (t *Tunnel) worker() {
	for j := range t.work {
		t.process(j.b, j.lo, j.hi)
		if j.b.pending.Add(-1) == 0 {
			j.b.done <- struct{}{}
		}
	}
}

func (t *Tunnel) process(b *batch, lo, hi int) {
	if b.out {
		t.seal(b, lo, hi)
	} else {
		t.open(b, lo, hi)
	}
}

// tunReader reads batches from the TUN, routes and numbers the packets.
func (t *Tunnel) tunReader() {
	var noSA, notIP, seqOut uint64
	for {
		b := t.getBatch(t.freeOut, t.batch, true)
		for i := range b.io {
			b.io[i] = b.bufs[i][:bufSize-TailRoom]
		}
		n, err := t.cfg.TUN.Read(b.io, b.sizes, txOffset)
		if err != nil && n == 0 {
			putBatch(t.freeOut, b)
			if errors.Is(err, tun.ErrTooManySegments) {
				t.cnt.tunDrop.Add(1)
				continue
			}
			t.fail(fmt.Errorf("esp: TUN read: %w", err))
			return
		}
		tbl := t.tbl.Load()
		m := 0
		for i := range n {
			pkt := b.bufs[i][txOffset : txOffset+b.sizes[i]]
			var p *pairState
			switch {
			case len(pkt) >= 20 && pkt[0]>>4 == 4:
				p = tbl.route4(binary.BigEndian.Uint32(pkt[16:20]))
			case len(pkt) >= 40 && pkt[0]>>4 == 6:
				p = tbl.route6([16]byte(pkt[24:40]))
			default:
				notIP++
				continue
			}
			if p == nil {
				noSA++
				continue
			}
			seq, err := p.Out.nextSeq()
			if err != nil {
				seqOut++
				continue
			}
			b.ents[m] = entry{p: p, idx: i, seq: seq, len: len(pkt)}
			m++
		}
		if noSA+notIP+seqOut > 0 {
			t.cnt.noSA.Add(noSA)
			t.cnt.notIP.Add(notIP)
			t.cnt.seq.Add(seqOut)
			noSA, notIP, seqOut = 0, 0, 0
		}
		if m == 0 {
			putBatch(t.freeOut, b)
			continue
		}
		b.n = m
		t.dispatch(b)
		t.sendQ <- b
	}
}

func (t *Tunnel) seal(b *batch, lo, hi int) {
	for i := lo; i < hi; i++ {
		e := &b.ents[i]
		buf := b.bufs[e.idx]
		nh := ProtoIPv4
		if buf[txOffset]>>4 == 6 {
			nh = ProtoIPv6
		}
		pkt := e.p.Out.seal(buf, txOffset, e.len, nh, e.seq)
		e.start, e.size = txOffset-e.p.Out.HeaderLen(), len(pkt)
	}
}

// sender sends sealed batches in order.
func (t *Tunnel) sender() {
	bc := t.espSock.bc
	for b := range t.sendQ {
		<-b.done
		gso := bc.gso()
		var bytes uint64
		k := 0
		var last *pairState
		var dst netip.AddrPort
		for i := range b.n {
			e := &b.ents[i]
			bytes += uint64(e.len)
			pkt := b.bufs[e.idx][e.start : e.start+e.size]
			if e.p != last {
				last, dst = e.p, e.p.dst()
				if !e.p.sent.Load() {
					e.p.sent.Store(true)
				}
			}
			if gso && k > 0 {
				d := &b.dg[k-1]
				seg := d.seg
				if seg == 0 {
					seg = len(d.buf)
				}
				if d.addr == dst && len(pkt) <= seg && len(d.buf)%seg == 0 &&
					len(d.buf)+len(pkt) <= min(cap(d.buf), maxGSOBytes) &&
					len(d.buf)/seg < maxGSOSegments {
					d.buf = append(d.buf, pkt...)
					d.seg = seg
					continue
				}
			}
			b.dg[k] = dgram{buf: pkt, addr: dst}
			k++
		}
		dropped, err := bc.write(b.dg[:k])
		t.cnt.txPackets.Add(uint64(b.n - dropped))
		t.cnt.txBytes.Add(bytes)
		if dropped > 0 {
			t.cnt.send.Add(uint64(dropped))
		}
		putBatch(t.freeOut, b)
		if err != nil {
			t.fail(fmt.Errorf("esp: send: %w", err))
		}
	}
}

// sockReader reads datagrams from one socket and sorts them.
func (t *Tunnel) sockReader(s *tsock) {
	var ike, ka, invalid, unknown uint64
	for {
		b := t.getBatch(t.freeIn, sockBatch, false)
		for i := range b.dg {
			b.dg[i].buf = b.bufs[i][rxOffset:]
		}
		n, err := s.bc.read(b.dg)
		if err != nil {
			putBatch(t.freeIn, b)
			if isClosed(err) || t.closing.Load() {
				t.fail(err)
				return
			}
			if errors.Is(err, os.ErrDeadlineExceeded) || isTransient(err) {
				continue
			}
			t.fail(fmt.Errorf("esp: receive: %w", err))
			return
		}
		tbl := t.tbl.Load()
		m := 0
		for i := range n {
			d := &b.dg[i]
			data := d.buf[:d.n]
			if s.RawIKE || (t.cfg.PeerIKEPort != 0 && d.addr.Port() == t.cfg.PeerIKEPort) {
				ike++
				if t.cfg.OnIKE != nil {
					t.cfg.OnIKE(d.addr, false, data)
				}
				continue
			}
			kind, body := Classify(data)
			switch kind {
			case KindIKE:
				ike++
				if t.cfg.OnIKE != nil {
					t.cfg.OnIKE(d.addr, true, body)
				}
				continue
			case KindKeepalive:
				ka++
				continue
			case KindInvalid:
				invalid++
				continue
			}
			p := tbl.bySPI[binary.BigEndian.Uint32(data)]
			if p == nil {
				unknown++
				continue
			}
			b.ents[m] = entry{p: p, idx: i, len: d.n}
			m++
		}
		if ike+ka+invalid+unknown > 0 {
			t.cnt.rxIKE.Add(ike)
			t.cnt.rxKeepalives.Add(ka)
			t.cnt.invalid.Add(invalid)
			t.cnt.unknownSPI.Add(unknown)
			ike, ka, invalid, unknown = 0, 0, 0, 0
		}
		if m == 0 {
			putBatch(t.freeIn, b)
			continue
		}
		b.n = m
		t.dispatch(b)
		t.tunQ <- b
	}
}

// isTransient tells receive errors that concern one datagram or a past
// send (ICMP errors reported on the socket) from a broken socket.
func isTransient(err error) bool {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return false
	}
	switch en {
	case syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EMSGSIZE,
		syscall.EINTR, syscall.EAGAIN, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNRESET:
		return true
	}
	return false
}

// open decapsulates, checks and trims entries [lo, hi).
func (t *Tunnel) open(b *batch, lo, hi int) {
	for i := lo; i < hi; i++ {
		e := &b.ents[i]
		pkt := b.bufs[e.idx][rxOffset : rxOffset+e.len]
		e.size = 0
		inner, nh, err := e.p.In.Decap(pkt)
		if err != nil {
			switch err {
			case ErrAuth:
				e.why = whyAuth
			case ErrReplay:
				e.why = whyReplay
			default:
				e.why = whyMalformed
			}
			continue
		}
		if !e.p.promoted.Load() {
			t.promote(e.p)
		}
		n, src, ok := innerCheck(inner, nh)
		if !ok {
			e.why = whyInner
			continue
		}
		if !allowed(e.p.Inner, src) {
			e.why = whyPolicy
			continue
		}
		e.start = rxOffset + e.p.In.HeaderLen()
		e.size = n
		e.why = whyNone
	}
}

// innerCheck checks a decapsulated packet and returns its length by its IP
// header (the rest is TFC padding) and its source address.
func innerCheck(p []byte, nh byte) (int, netip.Addr, bool) {
	switch nh {
	case ProtoIPv4:
		if len(p) < 20 || p[0]>>4 != 4 || int(p[0]&0x0f)*4 < 20 {
			return 0, netip.Addr{}, false
		}
		n := int(binary.BigEndian.Uint16(p[2:4]))
		if n < int(p[0]&0x0f)*4 || n > len(p) {
			return 0, netip.Addr{}, false
		}
		return n, netip.AddrFrom4([4]byte(p[12:16])), true
	case ProtoIPv6:
		if len(p) < 40 || p[0]>>4 != 6 {
			return 0, netip.Addr{}, false
		}
		n := 40 + int(binary.BigEndian.Uint16(p[4:6]))
		if n == 40 && p[6] == 0 {
			// A jumbogram (hop-by-hop header with a zero payload length)
			// cannot come through ESP in UDP; anything else of length 40 is
			// a header without payload, which is fine. Only the former is
			// refused here.
			return 0, netip.Addr{}, false
		}
		if n > len(p) {
			return 0, netip.Addr{}, false
		}
		return n, netip.AddrFrom16([16]byte(p[8:24])), true
	}
	return 0, netip.Addr{}, false
}

func allowed(inner []netip.Prefix, src netip.Addr) bool {
	for _, pf := range inner {
		if pf.Contains(src) {
			return true
		}
	}
	return false
}

// tunWriter writes opened batches to the TUN in order.
func (t *Tunnel) tunWriter() {
	var c [whyPolicy + 1]uint64
	for b := range t.tunQ {
		<-b.done
		k := 0
		var bytes uint64
		var lastSPI uint32
		var last *pairState
		for i := range b.n {
			e := &b.ents[i]
			if e.size == 0 {
				c[e.why]++
				continue
			}
			buf := b.bufs[e.idx]
			b.io[k] = buf[e.start-tunWriteOffset : e.start+e.size]
			bytes += uint64(e.size)
			k++
			if e.p != last {
				last = e.p
				if t.cfg.OnActivity != nil && e.p.spi != lastSPI {
					lastSPI = e.p.spi
					t.cfg.OnActivity(e.p.spi)
				}
			}
		}
		if k > 0 {
			_, err := t.cfg.TUN.Write(b.io[:k], tunWriteOffset)
			if err != nil {
				if isClosed(err) || errors.Is(err, os.ErrClosed) {
					t.cnt.tunDrop.Add(uint64(k))
					putBatch(t.freeIn, b)
					t.fail(err)
					continue
				}
				// The tun package reports per-packet errors joined; the
				// number written is not precise after coalescing.
				t.cnt.tunDrop.Add(1)
			}
			t.cnt.rxPackets.Add(uint64(k))
			t.cnt.rxBytes.Add(bytes)
		}
		for w, v := range c {
			if v == 0 {
				continue
			}
			switch byte(w) {
			case whyAuth:
				t.cnt.auth.Add(v)
			case whyReplay:
				t.cnt.replay.Add(v)
			case whyMalformed:
				t.cnt.malformed.Add(v)
			case whyInner:
				t.cnt.inner.Add(v)
			case whyPolicy:
				t.cnt.policy.Add(v)
			}
			c[w] = 0
		}
		putBatch(t.freeIn, b)
	}
}
