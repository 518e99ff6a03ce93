package esp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/tun"
)

// benchTUN is an allocation-free fake TUN for benchmarks. As a source it
// hands out copies of one packet, at most window of them unacknowledged;
// as a sink it counts what it gets and acknowledges to its source.
type benchTUN struct {
	tmpl   []byte
	toSend atomic.Int64
	infl   atomic.Int64
	window int64
	wake   chan struct{}
	timer  *time.Timer
	lost   atomic.Int64

	src    *benchTUN // a sink's source
	got    atomic.Int64
	target atomic.Int64
	done   chan struct{}

	closed    chan struct{}
	closeOnce sync.Once
	events    chan tun.Event
}

func newBenchTUN() *benchTUN {
	return &benchTUN{window: 2048, wake: make(chan struct{}, 1), timer: time.NewTimer(time.Hour),
		done: make(chan struct{}, 1), closed: make(chan struct{}), events: make(chan tun.Event)}
}

func (f *benchTUN) Read(bufs [][]byte, sizes []int, off int) (int, error) {
	for {
		select {
		case <-f.closed:
			return 0, os.ErrClosed
		default:
		}
		left, infl := f.toSend.Load(), f.infl.Load()
		if left > 0 && infl < f.window {
			k := int(min(int64(len(bufs)), left, f.window-infl))
			for i := range k {
				sizes[i] = copy(bufs[i][off:], f.tmpl)
			}
			f.toSend.Add(-int64(k))
			f.infl.Add(int64(k))
			return k, nil
		}
		f.timer.Reset(200 * time.Millisecond)
		select {
		case <-f.closed:
			return 0, os.ErrClosed
		case <-f.wake:
		case <-f.timer.C:
			if left > 0 && f.infl.Load() == infl {
				// Nothing came back for a while: count the window as lost.
				f.lost.Add(infl)
				f.infl.Add(-infl)
			}
		}
	}
}

func (f *benchTUN) Write(bufs [][]byte, off int) (int, error) {
	n := int64(len(bufs))
	if s := f.src; s != nil {
		s.infl.Add(-n)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	if g := f.got.Add(n); g >= f.target.Load() && g-n < f.target.Load() {
		f.done <- struct{}{}
	}
	return len(bufs), nil
}

func (f *benchTUN) File() *os.File           { return nil }
func (f *benchTUN) MTU() (int, error)        { return 1400, nil }
func (f *benchTUN) Name() (string, error)    { return "bench0", nil }
func (f *benchTUN) Events() <-chan tun.Event { return f.events }
func (f *benchTUN) BatchSize() int           { return 128 }
func (f *benchTUN) Close() error {
	f.closeOnce.Do(func() { close(f.closed); close(f.events) })
	return nil
}

// BenchmarkTunnel sends packets from a fake TUN through one Tunnel, UDP on
// loopback and a second Tunnel to a fake TUN, one direction. Bytes are inner
// packet bytes; allocations are counted over all goroutines.
func BenchmarkTunnel(b *testing.B) {
	for _, ts := range []testSuite{testSuites[2], testSuites[5]} {
		for _, size := range []int{1400} {
			for _, offload := range []bool{true, false} {
				b.Run(fmt.Sprintf("%s/%d/udp-offload=%v", ts.name, size, offload), func(b *testing.B) {
					disableUDPOffload = !offload
					defer func() { disableUDPOffload = false }()
					benchTunnel(b, ts, size)
				})
			}
		}
	}
}

func benchTunnel(b *testing.B, ts testSuite, size int) {
	cfg := func(spi uint32) Config {
		c := ts.config(false)
		c.SPI = spi
		return c
	}
	src, sink := newBenchTUN(), newBenchTUN()
	sink.src = src
	src.tmpl = ipPacket(clientV4, insideV4, 1, size-20)
	var tunnels []*Tunnel
	var addrs []netip.AddrPort
	for _, d := range []tun.Device{src, sink} {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		addrs = append(addrs, c.LocalAddr().(*net.UDPAddr).AddrPort())
		bc, err := NewBatchConn(c)
		if err != nil {
			b.Fatal(err)
		}
		tn, err := NewTunnel(TunnelConfig{TUN: d, Sockets: []Socket{{Conn: bc}}})
		if err != nil {
			b.Fatal(err)
		}
		tunnels = append(tunnels, tn)
	}
	mk := func(out, in uint32, peer netip.AddrPort, inner string) SAPair {
		o, err := NewOutboundSA(cfg(out))
		if err != nil {
			b.Fatal(err)
		}
		i, err := NewInboundSA(cfg(in))
		if err != nil {
			b.Fatal(err)
		}
		return SAPair{In: i, Out: o, Peer: peer, Inner: []netip.Prefix{netip.MustParsePrefix(inner)}}
	}
	if err := tunnels[0].Install(mk(1, 2, addrs[1], "0.0.0.0/0")); err != nil {
		b.Fatal(err)
	}
	if err := tunnels[1].Install(mk(2, 1, addrs[0], clientV4.String()+"/32")); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, tn := range tunnels {
		wg.Go(func() { tn.Run(context.Background()) })
	}
	defer func() {
		for _, tn := range tunnels {
			tn.Close()
		}
		wg.Wait()
	}()
	send := func(n int64) {
		sink.got.Store(0)
		sink.target.Store(n)
		src.toSend.Store(n)
		select {
		case src.wake <- struct{}{}:
		default:
		}
		for {
			select {
			case <-sink.done:
				return
			case <-time.After(5 * time.Second):
				if src.toSend.Load() == 0 {
					b.Fatalf("stalled: %d of %d arrived", sink.got.Load(), n)
				}
			}
			if sink.got.Load()+src.lost.Load() >= n {
				return
			}
		}
	}
	send(20000) // warm up: batches and buffers
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	send(int64(b.N))
	b.StopTimer()
	if l := src.lost.Load(); l > 0 {
		b.ReportMetric(float64(l)/float64(b.N), "lost/op")
	}
}
