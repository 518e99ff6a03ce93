package esp

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// fakeNet is an in-memory UDP network of channel-backed BatchConns. It
// loses nothing and keeps each sender's order: a datagram waits until its
// receiver has room. Datagrams to an address nobody listens on vanish, as
// in UDP. Run in a testing/synctest bubble, synctest.Wait tells when the
// pipelines on it have nothing left to do.
type fakeNet struct {
	gso   bool // the conns take GSO sends (coalesced datagrams)
	mu    sync.Mutex
	conns map[netip.AddrPort]*fakeConn
	port  uint16
}

func newFakeNet(gso bool) *fakeNet {
	return &fakeNet{gso: gso, conns: map[netip.AddrPort]*fakeConn{}, port: 40000}
}

// listen opens a conn at the next free port of 127.0.0.1.
func (n *fakeNet) listen() *fakeConn {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.port++
	c := &fakeConn{net: n, addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), n.port),
		in: make(chan fakeDatagram, 4096), closed: make(chan struct{})}
	n.conns[c.addr] = c
	return c
}

type fakeDatagram struct {
	from netip.AddrPort
	b    []byte
}

// fakeConn is one socket of a fakeNet.
type fakeConn struct {
	net    *fakeNet
	addr   netip.AddrPort
	in     chan fakeDatagram
	closed chan struct{}
	once   sync.Once
}

var errFakeClosed = fmt.Errorf("fake socket: %w", net.ErrClosed)

func (c *fakeConn) ReadBatch(ds []Datagram) (int, error) {
	var d fakeDatagram
	select {
	case <-c.closed:
		return 0, errFakeClosed
	case d = <-c.in:
	}
	k := 0
	for {
		ds[k].N = copy(ds[k].Buf, d.b) // longer datagrams are truncated, as in UDP
		ds[k].Addr = d.from
		k++
		if k == len(ds) {
			return k, nil
		}
		select {
		case d = <-c.in:
		default:
			return k, nil
		}
	}
}

func (c *fakeConn) WriteBatch(ds []Datagram) (int, error) {
	for _, d := range ds {
		seg := len(d.Buf)
		if d.Seg > 0 {
			if !c.net.gso {
				return 0, fmt.Errorf("fake socket: GSO send (segments of %d bytes) without GSO", d.Seg)
			}
			seg = d.Seg
		}
		for b := d.Buf; ; {
			k := min(seg, len(b))
			if err := c.WriteTo(b[:k], d.Addr); err != nil {
				return 0, err
			}
			if b = b[k:]; len(b) == 0 {
				break
			}
		}
	}
	return 0, nil
}

func (c *fakeConn) WriteTo(b []byte, to netip.AddrPort) error {
	c.net.mu.Lock()
	dst := c.net.conns[to]
	c.net.mu.Unlock()
	if dst == nil {
		return nil
	}
	select {
	case dst.in <- fakeDatagram{from: c.addr, b: bytes.Clone(b)}:
	case <-dst.closed:
	case <-c.closed:
		return errFakeClosed
	}
	return nil
}

func (c *fakeConn) GSO() bool { return c.net.gso }

func (c *fakeConn) Close() error {
	c.once.Do(func() {
		c.net.mu.Lock()
		delete(c.net.conns, c.addr)
		c.net.mu.Unlock()
		close(c.closed)
	})
	return nil
}

// next returns the next datagram that arrived, or false if none is
// waiting.
func (c *fakeConn) next() (fakeDatagram, bool) {
	select {
	case d := <-c.in:
		return d, true
	default:
		return fakeDatagram{}, false
	}
}

// TestFakeConn checks the fake against the BatchConn contract the real
// one is held to in TestBatchConnLoopback.
func TestFakeConn(t *testing.T) {
	n := newFakeNet(true)
	a, b := n.listen(), n.listen()
	if _, err := a.WriteBatch([]Datagram{{Buf: []byte("abcdefg"), Addr: b.addr, Seg: 3}, {Buf: []byte("x"), Addr: b.addr}}); err != nil {
		t.Fatal(err)
	}
	ds := make([]Datagram, 8)
	for i := range ds {
		ds[i].Buf = make([]byte, 16)
	}
	k, err := b.ReadBatch(ds)
	if err != nil || k != 4 {
		t.Fatalf("ReadBatch: %d, %v", k, err)
	}
	for i, want := range []string{"abc", "def", "g", "x"} {
		if got := string(ds[i].Buf[:ds[i].N]); got != want || ds[i].Addr != a.addr {
			t.Errorf("datagram %d: %q from %v, want %q from %v", i, got, ds[i].Addr, want, a.addr)
		}
	}
	b.Close()
	if _, err := b.ReadBatch(ds); !isClosed(err) {
		t.Fatalf("ReadBatch after Close: %v", err)
	}
	if err := a.WriteTo([]byte("gone"), b.addr); err != nil {
		t.Fatalf("a send to a closed port: %v", err)
	}
}
