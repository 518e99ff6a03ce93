package esp

import (
	"context"
	"errors"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.zx2c4.com/wireguard/tun"
)

// A Tunnel runs two pipelines, each described at the top of its file:
// outbound in send.go, inbound in receive.go. The routing table is in
// routes.go, SA install and make-before-break promotion in install.go,
// the batches, buffers and crypto workers both pipelines share in
// batch.go, the counters in stats.go.
//
// Each queue has one producer and one consumer, so the packets of a batch
// keep their order, and batches keep theirs: one SA's packets leave in the
// order they came. The crypto runs on as many goroutines as GOMAXPROCS.
// Buffers belong to batches, which go back to a free list: no allocation
// per packet.

// Socket is one UDP socket of a Tunnel.
type Socket struct {
	Conn BatchConn // NewBatchConn makes one of a *net.UDPConn
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

// Tunnel moves packets between a TUN device and ESP in UDP, and IKE
// datagrams between its sockets and the IKE layer. See TunnelConfig, and
// Install for the rekey rule.
type Tunnel struct {
	cfg     TunnelConfig
	socks   []Socket
	espSock BatchConn // ESP and encapsulated IKE leave here
	rawSock BatchConn // IKE without marker leaves here
	batch   int       // TUN batch size
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
		t.socks = append(t.socks, s)
		if !s.RawIKE && t.espSock == nil {
			t.espSock = s.Conn
		}
		if s.RawIKE && t.rawSock == nil {
			t.rawSock = s.Conn
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
		if err := s.WriteTo(b, to); err != nil {
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
			if err := t.espSock.WriteTo(ka, p.dst()); err == nil {
				t.cnt.txKeepalives.Add(1)
			}
		}
	}
}
