package esp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"golang.zx2c4.com/wireguard/tun"
)

// fakeTUN is a channel-backed tun.Device that reads and writes in batches.
type fakeTUN struct {
	toTunnel   chan []byte // packets the Tunnel reads
	fromTunnel chan []byte // packets the Tunnel wrote
	closed     chan struct{}
	once       sync.Once
	batch      int
	events     chan tun.Event
}

func newFakeTUN(batch int) *fakeTUN {
	return &fakeTUN{
		toTunnel: make(chan []byte, 4096), fromTunnel: make(chan []byte, 4096),
		closed: make(chan struct{}), batch: batch, events: make(chan tun.Event, 1),
	}
}

func (f *fakeTUN) File() *os.File { return nil }

func (f *fakeTUN) Read(bufs [][]byte, sizes []int, off int) (int, error) {
	var p []byte
	select {
	case <-f.closed:
		return 0, os.ErrClosed
	case p = <-f.toTunnel:
	}
	n := 0
	for {
		sizes[n] = copy(bufs[n][off:], p)
		n++
		if n == len(bufs) {
			return n, nil
		}
		select {
		case p = <-f.toTunnel:
		default:
			return n, nil
		}
	}
}

func (f *fakeTUN) Write(bufs [][]byte, off int) (int, error) {
	for i, b := range bufs {
		select {
		case <-f.closed:
			return i, os.ErrClosed
		case f.fromTunnel <- bytes.Clone(b[off:]):
		}
	}
	return len(bufs), nil
}

func (f *fakeTUN) MTU() (int, error)        { return 1400, nil }
func (f *fakeTUN) Name() (string, error)    { return "fake0", nil }
func (f *fakeTUN) Events() <-chan tun.Event { return f.events }
func (f *fakeTUN) BatchSize() int           { return f.batch }
func (f *fakeTUN) Close() error {
	f.once.Do(func() { close(f.closed); close(f.events) })
	return nil
}

// expect reads the next packet the Tunnel wrote.
func (f *fakeTUN) expect(t testing.TB) []byte {
	t.Helper()
	select {
	case p := <-f.fromTunnel:
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("no packet came out of the tunnel")
		return nil
	}
}

// idle waits until the tunnels in the synctest bubble have nothing left to
// do and checks that they wrote nothing more to the given TUNs.
func idle(t testing.TB, tuns ...*fakeTUN) {
	t.Helper()
	synctest.Wait()
	for _, f := range tuns {
		select {
		case p := <-f.fromTunnel:
			t.Fatalf("unexpected packet out of the tunnel: % x", p[:min(len(p), 40)])
		default:
		}
	}
}

var (
	clientV4 = netip.MustParseAddr("10.2.2.2")
	clientV6 = netip.MustParseAddr("fd00:2::2")
	insideV4 = netip.MustParseAddr("198.51.100.10")
	insideV6 = netip.MustParseAddr("2001:db8:100::10")
)

// ipPacket makes an IPv4 or IPv6 UDP-ish packet with payload bytes holding id.
func ipPacket(src, dst netip.Addr, id uint32, payload int) []byte {
	payload = max(payload, 4)
	var p []byte
	if src.Is4() {
		p = make([]byte, 20+payload)
		p[0] = 0x45
		binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
		p[8], p[9] = 64, 17
		s, d := src.As4(), dst.As4()
		copy(p[12:], s[:])
		copy(p[16:], d[:])
		binary.BigEndian.PutUint32(p[20:], id)
		for i := 24; i < len(p); i++ {
			p[i] = byte(id) + byte(i)
		}
		return p
	}
	p = make([]byte, 40+payload)
	p[0] = 0x60
	binary.BigEndian.PutUint16(p[4:], uint16(payload))
	p[6], p[7] = 17, 64
	s, d := src.As16(), dst.As16()
	copy(p[8:], s[:])
	copy(p[24:], d[:])
	binary.BigEndian.PutUint32(p[40:], id)
	for i := 44; i < len(p); i++ {
		p[i] = byte(id) + byte(i)
	}
	return p
}

func gcmConfig(spi uint32, seed uint64) Config {
	return Config{SPI: spi, Encr: iana.ENCR_AES_GCM_16, EncrKeyBits: 256, Integ: iana.AUTH_NONE,
		EncrKey: keyBytes(seed, 36)}
}

// saPairs makes matching pairs for the two ends: client out = headend in,
// headend out = client in.
func saPairs(t testing.TB, c2h, h2c uint32, cfg func(spi uint32, seed uint64) Config) (cIn *InboundSA, cOut *OutboundSA, hIn *InboundSA, hOut *OutboundSA) {
	t.Helper()
	if cfg == nil {
		cfg = gcmConfig
	}
	var err error
	must := func(e error) {
		if e != nil {
			t.Fatal(e)
		}
	}
	cOut, err = NewOutboundSA(cfg(c2h, uint64(c2h)))
	must(err)
	hIn, err = NewInboundSA(cfg(c2h, uint64(c2h)))
	must(err)
	hOut, err = NewOutboundSA(cfg(h2c, uint64(h2c)))
	must(err)
	cIn, err = NewInboundSA(cfg(h2c, uint64(h2c)))
	must(err)
	return
}

type ikeMsg struct {
	from  netip.AddrPort
	encap bool
	msg   []byte
}

// opener opens one socket of a test end: on a fakeNet or on loopback.
type opener func(t testing.TB) (BatchConn, netip.AddrPort)

func (n *fakeNet) open(testing.TB) (BatchConn, netip.AddrPort) {
	c := n.listen()
	return c, c.addr
}

// loopback opens a real UDP socket on 127.0.0.1.
func loopback(t testing.TB) (BatchConn, netip.AddrPort) {
	t.Helper()
	c := listenLoopback(t)
	bc, err := NewBatchConn(c)
	if err != nil {
		t.Fatal(err)
	}
	return bc, c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// onFakeNet runs f in a synctest bubble on a fakeNet, with and without GSO
// sends.
func onFakeNet(t *testing.T, f func(t *testing.T, n *fakeNet)) {
	for _, gso := range []bool{false, true} {
		t.Run(fmt.Sprintf("gso=%v", gso), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { f(t, newFakeNet(gso)) })
		})
	}
}

// testEnd is one running Tunnel with its fake TUN.
type testEnd struct {
	tn   *Tunnel
	tun  *fakeTUN
	addr netip.AddrPort // ESP socket address
	raw  netip.AddrPort // headend: the raw IKE socket
	ike  chan ikeMsg
	errc chan error
}

func listenLoopback(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func startEnd(t testing.TB, open opener, headend bool, peerIKEPort uint16, keepalive time.Duration) *testEnd {
	t.Helper()
	e := &testEnd{tun: newFakeTUN(16), ike: make(chan ikeMsg, 64), errc: make(chan error, 1)}
	var socks []Socket
	if headend {
		var raw BatchConn
		raw, e.raw = open(t)
		socks = append(socks, Socket{Conn: raw, RawIKE: true})
	}
	c, addr := open(t)
	e.addr = addr
	socks = append(socks, Socket{Conn: c})
	tn, err := NewTunnel(TunnelConfig{
		TUN: e.tun, Sockets: socks, PeerIKEPort: peerIKEPort, Keepalive: keepalive,
		OnIKE: func(from netip.AddrPort, encap bool, msg []byte) {
			select {
			case e.ike <- ikeMsg{from, encap, bytes.Clone(msg)}:
			default: // the garbage test floods it
			}
		},
		Log: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.tn = tn
	go func() { e.errc <- tn.Run(context.Background()) }()
	t.Cleanup(func() {
		tn.Close()
		select {
		case err := <-e.errc:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after Close")
		}
	})
	return e
}

// startPair starts a headend and a client with one installed SA pair.
func startPair(t testing.TB, open opener, cfg func(uint32, uint64) Config) (client, headend *testEnd) {
	t.Helper()
	headend = startEnd(t, open, true, 0, 0)
	client = startEnd(t, open, false, headend.raw.Port(), 0)
	installPair(t, client, headend, 0x1000, 0x2000, cfg)
	return client, headend
}

func installPair(t testing.TB, client, headend *testEnd, c2h, h2c uint32, cfg func(uint32, uint64) Config) {
	t.Helper()
	cIn, cOut, hIn, hOut := saPairs(t, c2h, h2c, cfg)
	if err := headend.tn.Install(SAPair{In: hIn, Out: hOut, Peer: client.addr,
		Inner: []netip.Prefix{netip.PrefixFrom(clientV4, 32), netip.PrefixFrom(clientV6, 128)}}); err != nil {
		t.Fatal(err)
	}
	if err := client.tn.Install(SAPair{In: cIn, Out: cOut, Peer: headend.addr,
		Inner: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}); err != nil {
		t.Fatal(err)
	}
}

func withOffload(t *testing.T, f func(t *testing.T)) {
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("udp-offload=%v", !off), func(t *testing.T) {
			old := disableUDPOffload
			disableUDPOffload = off
			defer func() { disableUDPOffload = old }()
			f(t)
		})
	}
}

// TestTunnelExchange runs the pipelines over real loopback sockets, with
// and without UDP GSO and GRO; the other pipeline tests use a fakeNet.
func TestTunnelExchange(t *testing.T) {
	withOffload(t, func(t *testing.T) {
		for _, suite := range []testSuite{testSuites[2], testSuites[5], testSuites[11]} {
			t.Run(suite.name, func(t *testing.T) {
				cfg := func(spi uint32, seed uint64) Config {
					c := suite.config(false)
					c.SPI = spi
					c.EncrKey = keyBytes(seed, suite.encKeyLen)
					return c
				}
				client, headend := startPair(t, loopback, cfg)
				exchange(t, client, headend, 300, 0)
			})
		}
	})
}

// exchange sends n packets each way, IPv4 and IPv6 interleaved, in windows
// small enough that loopback drops nothing, and checks they come out in
// order and intact. It numbers from base.
func exchange(t testing.TB, client, headend *testEnd, n int, base uint32) {
	t.Helper()
	const window = 32
	for _, dir := range []struct {
		from, to               *testEnd
		src4, dst4, src6, dst6 netip.Addr
	}{
		{client, headend, clientV4, insideV4, clientV6, insideV6},
		{headend, client, insideV4, clientV4, insideV6, clientV6},
	} {
		for i := 0; i < n; i += window {
			var sent [][]byte
			for j := i; j < min(i+window, n); j++ {
				id := base + uint32(j)
				var p []byte
				if j%2 == 0 {
					p = ipPacket(dir.src4, dir.dst4, id, 20+j%1400)
				} else {
					p = ipPacket(dir.src6, dir.dst6, id, 20+j%1400)
				}
				sent = append(sent, p)
				dir.from.tun.toTunnel <- p
			}
			for _, want := range sent {
				got := dir.to.tun.expect(t)
				if !bytes.Equal(got, want) {
					t.Fatalf("packet %d: got % x..., want % x...", binary.BigEndian.Uint32(want[len(want)-4-(len(want)-44):]),
						got[:min(48, len(got))], want[:min(48, len(want))])
				}
			}
		}
	}
}

func TestTunnelTFCPaddingTrimmed(t *testing.T) { onFakeNet(t, testTFCPaddingTrimmed) }

func testTFCPaddingTrimmed(t *testing.T, n *fakeNet) {
	client, headend := startPair(t, n.open, nil)
	p := ipPacket(clientV4, insideV4, 7, 100)
	client.tun.toTunnel <- append(bytes.Clone(p), make([]byte, 33)...) // padding after the IP packet
	if got := headend.tun.expect(t); !bytes.Equal(got, p) {
		t.Fatalf("got %d bytes, want the %d of the IP packet", len(got), len(p))
	}
	p6 := ipPacket(insideV6, clientV6, 8, 100)
	headend.tun.toTunnel <- append(bytes.Clone(p6), 1, 2, 3)
	if got := client.tun.expect(t); !bytes.Equal(got, p6) {
		t.Fatalf("got %d bytes, want the %d of the IP packet", len(got), len(p6))
	}
}

func TestTunnelNoSA(t *testing.T) { onFakeNet(t, testNoSA) }

func testNoSA(t *testing.T, n *fakeNet) {
	// A tunnel whose only SA carries 10.1.0.0/16, to a socket that records
	// what arrives.
	sniff := n.listen()
	e := startEnd(t, n.open, false, 0, 0)
	out, _ := pair(t, gcmConfig(0x77, 1))
	_, in := pair(t, gcmConfig(0x78, 2))
	if err := e.tn.Install(SAPair{In: in, Out: out, Peer: sniff.addr,
		Inner: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}); err != nil {
		t.Fatal(err)
	}
	e.tun.toTunnel <- ipPacket(clientV4, netip.MustParseAddr("10.9.9.9"), 1, 50)
	e.tun.toTunnel <- ipPacket(clientV6, insideV6, 2, 50)
	e.tun.toTunnel <- []byte{0x10, 1, 2, 3} // not IP
	e.tun.toTunnel <- ipPacket(clientV4, netip.MustParseAddr("10.1.2.3"), 3, 50)
	synctest.Wait()
	d, ok := sniff.next()
	if !ok {
		t.Fatal("nothing was sent")
	}
	if spi, _ := SPI(d.b); spi != 0x77 || d.from != e.addr {
		t.Fatalf("got a datagram with SPI %#x from %v", spi, d.from)
	}
	if d, ok := sniff.next(); ok {
		t.Fatalf("a second datagram was sent: % x", d.b)
	}
	st := e.tn.Stats()
	if st.Drops[DropNoSA] != 2 || st.Drops[DropNotIP] != 1 || st.TxPackets != 1 {
		t.Fatalf("stats %+v", st)
	}
	e.tn.Remove(0x78)
	e.tun.toTunnel <- ipPacket(clientV4, netip.MustParseAddr("10.1.2.3"), 4, 50)
	synctest.Wait()
	if d, ok := sniff.next(); ok {
		t.Fatalf("sent after Remove: % x", d.b)
	}
	if st := e.tn.Stats(); st.Drops[DropNoSA] != 3 {
		t.Fatalf("stats after Remove %+v", st)
	}
}

func TestTunnelRemove(t *testing.T) { onFakeNet(t, testRemove) }

func testRemove(t *testing.T, n *fakeNet) {
	client, headend := startPair(t, n.open, nil)
	exchange(t, client, headend, 10, 0)
	headend.tn.Remove(0x1000)
	client.tun.toTunnel <- ipPacket(clientV4, insideV4, 1, 10)
	headend.tun.toTunnel <- ipPacket(insideV4, clientV4, 2, 10)
	idle(t, headend.tun, client.tun)
	hs := headend.tn.Stats()
	if hs.Drops[DropUnknownSPI] != 1 || hs.Drops[DropNoSA] != 1 {
		t.Fatalf("headend stats %+v", hs)
	}
	// Installed again, traffic flows again (fresh SAs).
	client.tn.Remove(0x2000)
	installPair(t, client, headend, 0x1001, 0x2001, nil)
	exchange(t, client, headend, 10, 100)
}

func TestTunnelRekey(t *testing.T) {
	onFakeNet(t, func(t *testing.T, n *fakeNet) {
		client, headend := startPair(t, n.open, nil)
		const total = 6000
		const window = 48
		type flow struct {
			from, to   *testEnd
			src4, dst4 netip.Addr
			progress   chan uint32
			err        error
		}
		flows := []*flow{
			{from: client, to: headend, src4: clientV4, dst4: insideV4},
			{from: headend, to: client, src4: insideV4, dst4: clientV4},
		}
		// The senders wait at parkAt until the client has installed its
		// new pair, so that traffic is left for the new SAs however the
		// goroutines are scheduled.
		const parkAt = 2000
		resume := make(chan struct{})
		var resumeOnce sync.Once
		release := func() { resumeOnce.Do(func() { close(resume) }) }
		defer release() // also when the test fails before the install
		var wg sync.WaitGroup
		for _, f := range flows {
			f.progress = make(chan uint32, total)
			// Receiver: every packet in order.
			credits := make(chan struct{}, window)
			for range window {
				credits <- struct{}{}
			}
			wg.Go(func() {
				for want := uint32(0); want < total; want++ {
					var p []byte
					select {
					case p = <-f.to.tun.fromTunnel:
					case <-time.After(5 * time.Second):
						f.err = fmt.Errorf("packet %d lost", want)
						return
					}
					if got := binary.BigEndian.Uint32(p[20:]); got != want {
						f.err = fmt.Errorf("got packet %d, want %d", got, want)
						return
					}
					if !bytes.Equal(p, ipPacket(f.src4, f.dst4, want, 200)) {
						f.err = fmt.Errorf("packet %d damaged", want)
						return
					}
					f.progress <- want
					credits <- struct{}{}
				}
			})
			wg.Go(func() {
				for i := uint32(0); i < total; i++ {
					if i == parkAt {
						<-resume // the client installs its new pair
					}
					select {
					case <-credits:
					case <-time.After(6 * time.Second):
						return
					}
					f.from.tun.toTunnel <- ipPacket(f.src4, f.dst4, i, 200)
				}
			})
		}
		waitFor := func(n uint32) {
			for _, f := range flows {
				for {
					got, ok := <-f.progress
					if !ok || got >= n {
						break
					}
				}
			}
		}
		waitFor(1000)
		// Rekey: both ends install the new pair while traffic flows (the
		// responder first, as after CREATE_CHILD_SA).
		cIn, cOut, hIn, hOut := saPairs(t, 0x1001, 0x2001, nil)
		if err := headend.tn.Install(SAPair{In: hIn, Out: hOut, Peer: client.addr,
			Inner: []netip.Prefix{netip.PrefixFrom(clientV4, 32), netip.PrefixFrom(clientV6, 128)}}); err != nil {
			t.Fatal(err)
		}
		waitFor(1500)
		if hOut.Stats().Packets != 0 {
			t.Fatal("the headend used the new outbound SA before the client sent on it")
		}
		if err := client.tn.Install(SAPair{In: cIn, Out: cOut, Peer: headend.addr, SendNow: true,
			Inner: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}); err != nil {
			t.Fatal(err)
		}
		release()
		// Once the new SAs carry more than a window each way, no packet of
		// the old ones is in flight: remove them. Each step waits for one
		// more packet delivered each way.
		for next := uint32(1501); cOut.Stats().Packets < 2*window || hOut.Stats().Packets < 2*window; next++ {
			if next == total {
				t.Fatalf("the new SAs carry too little: client %d, headend %d (flows: %v, %v)", cOut.Stats().Packets, hOut.Stats().Packets, flows[0].err, flows[1].err)
			}
			waitFor(next)
		}
		client.tn.Remove(0x2000)
		headend.tn.Remove(0x1000)
		wg.Wait()
		for _, f := range flows {
			if f.err != nil {
				t.Fatal(f.err)
			}
		}
		for _, e := range []*testEnd{client, headend} {
			if st := e.tn.Stats(); st.Drops[DropUnknownSPI]+st.Drops[DropNoSA]+st.Drops[DropReplay]+st.Drops[DropAuth] != 0 {
				t.Fatalf("drops: %+v", st)
			}
		}
		if hIn.Stats().Packets == 0 || cIn.Stats().Packets == 0 {
			t.Fatal("new inbound SAs unused")
		}
	})
}

func TestTunnelIKE(t *testing.T) {
	onFakeNet(t, func(t *testing.T, n *fakeNet) {
		client, headend := startPair(t, n.open, nil)
		recv := func(e *testEnd) ikeMsg {
			t.Helper()
			select {
			case m := <-e.ike:
				return m
			case <-time.After(5 * time.Second):
				t.Fatal("no IKE message")
				return ikeMsg{}
			}
		}
		init := bytes.Repeat([]byte{0x11}, 300)
		// Client to the headend's "500", raw.
		if err := client.tn.SendIKE(headend.raw, false, [][]byte{init, init[:100]}); err != nil {
			t.Fatal(err)
		}
		for _, want := range [][]byte{init, init[:100]} {
			m := recv(headend)
			if m.encap || m.from != client.addr || !bytes.Equal(m.msg, want) {
				t.Fatalf("headend got %+v", m)
			}
		}
		// The reply from 500 reaches the client as raw IKE.
		reply := bytes.Repeat([]byte{0x22}, 200)
		if err := headend.tn.SendIKE(client.addr, false, [][]byte{reply}); err != nil {
			t.Fatal(err)
		}
		if m := recv(client); m.encap || m.from != headend.raw || !bytes.Equal(m.msg, reply) {
			t.Fatalf("client got %+v", m)
		}
		// NAT-T: behind the marker, both ways.
		auth := bytes.Repeat([]byte{0x33}, 1000)
		if err := client.tn.SendIKE(headend.addr, true, [][]byte{auth}); err != nil {
			t.Fatal(err)
		}
		if m := recv(headend); !m.encap || m.from != client.addr || !bytes.Equal(m.msg, auth) {
			t.Fatalf("headend got %+v", m)
		}
		if err := headend.tn.SendIKE(client.addr, true, [][]byte{reply}); err != nil {
			t.Fatal(err)
		}
		if m := recv(client); !m.encap || m.from != headend.addr || !bytes.Equal(m.msg, reply) {
			t.Fatalf("client got %+v", m)
		}
		// ESP still flows beside it.
		exchange(t, client, headend, 20, 0)
		idle(t, client.tun, headend.tun)
	})
}

func TestTunnelKeepalive(t *testing.T) { onFakeNet(t, testKeepalive) }

func testKeepalive(t *testing.T, n *fakeNet) {
	const interval = 20 * time.Millisecond
	headend := startEnd(t, n.open, true, 0, 0)
	client := startEnd(t, n.open, false, headend.raw.Port(), interval)
	installPair(t, client, headend, 0x1000, 0x2000, nil)
	// The bubble's clock: three ticks pass, the client sends nothing else.
	time.Sleep(3*interval + interval/2)
	idle(t, headend.tun)
	if cs, hs := client.tn.Stats(), headend.tn.Stats(); cs.TxKeepalives != 3 || hs.RxKeepalives != 3 {
		t.Fatalf("keepalives: sent %d, received %d", cs.TxKeepalives, hs.RxKeepalives)
	}
	if st := headend.tn.Stats(); st.RxIKE != 0 || st.Drops != [numDropReasons]uint64{} || st.RxPackets != 0 {
		t.Fatalf("keepalives counted as something else: %+v", st)
	}
	// Sending resets the wait: no keepalive in an interval with traffic.
	client.tun.toTunnel <- ipPacket(clientV4, insideV4, 1, 10)
	headend.tun.expect(t)
	time.Sleep(interval)
	synctest.Wait()
	if st := client.tn.Stats(); st.TxKeepalives != 3 {
		t.Fatalf("a keepalive after traffic: %d sent", st.TxKeepalives)
	}
}

func TestTunnelGarbage(t *testing.T) {
	onFakeNet(t, func(t *testing.T, n *fakeNet) {
		client, headend := startPair(t, n.open, nil)
		s := n.listen()
		cOut, _ := pair(t, gcmConfig(0x1000, 999)) // right SPI, wrong key
		valid := encap(t, cOut, ipPacket(clientV4, insideV4, 1, 40))
		cases := [][]byte{
			{}, {0}, {0xff, 0xff}, {0, 0, 0, 0}, {0, 0, 0, 0, 1}, {1, 2, 3, 4, 5, 6, 7},
			{0, 0, 0x10, 0, 0, 0, 0, 1}, // unknown SPI
			valid,
			valid[:len(valid)-1],
			append([]byte{0, 0, 0x10, 0}, make([]byte, 100)...),
		}
		for i := range 200 {
			cases = append(cases, keyBytes(uint64(i), i*7%1500))
		}
		for _, c := range cases {
			for _, to := range []netip.AddrPort{headend.addr, headend.raw, client.addr} {
				if err := s.WriteTo(c, to); err != nil {
					t.Fatal(err)
				}
			}
		}
		idle(t, headend.tun, client.tun)
		exchange(t, client, headend, 20, 0)
		for len(headend.ike) > 0 {
			<-headend.ike
		}
		for len(client.ike) > 0 {
			<-client.ike
		}
		hs := headend.tn.Stats()
		if hs.Drops[DropAuth] == 0 || hs.Drops[DropUnknownSPI] == 0 || hs.Drops[DropInvalid] == 0 {
			t.Fatalf("headend stats %+v", hs)
		}
	})
}

func TestInnerCheck(t *testing.T) {
	p4 := ipPacket(clientV4, insideV4, 1, 30)
	p6 := ipPacket(clientV6, insideV6, 1, 30)
	for _, c := range []struct {
		p    []byte
		nh   byte
		n    int
		good bool
	}{
		{p4, ProtoIPv4, len(p4), true},
		{append(bytes.Clone(p4), 0, 0), ProtoIPv4, len(p4), true},
		{p4[:len(p4)-1], ProtoIPv4, 0, false},
		{p4, ProtoIPv6, 0, false},
		{p6, ProtoIPv6, len(p6), true},
		{append(bytes.Clone(p6), 9), ProtoIPv6, len(p6), true},
		{p6[:39], ProtoIPv6, 0, false},
		{p6, ProtoNoNext, 0, false},
		{[]byte{0x44, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ProtoIPv4, 0, false},
	} {
		n, _, ok := innerCheck(c.p, c.nh)
		if ok != c.good || n != c.n {
			t.Errorf("innerCheck(% x, %d) = %d, %v", c.p[:8], c.nh, n, ok)
		}
	}
}

func TestRoutes(t *testing.T) {
	mk := func(inner ...string) *pairState {
		p := &pairState{}
		for _, s := range inner {
			p.Inner = append(p.Inner, netip.MustParsePrefix(s))
		}
		return p
	}
	a := mk("0.0.0.0/0", "::/0")
	b := mk("10.0.0.0/8", "2001:db8::/32")
	c := mk("10.1.2.3/32")
	for i, p := range []*pairState{a, b, c} {
		p.order = uint64(i)
	}
	tb := build([]*pairState{a, b, c})
	for _, x := range []struct {
		dst  string
		want *pairState
	}{
		{"1.2.3.4", a}, {"10.9.9.9", b}, {"10.1.2.3", c}, {"10.1.2.4", b},
		{"::1", a}, {"2001:db8::1", b}, {"2001:db9::1", a},
	} {
		d := netip.MustParseAddr(x.dst)
		var got *pairState
		if d.Is4() {
			a4 := d.As4()
			got = tb.route4(binary.BigEndian.Uint32(a4[:]))
		} else {
			got = tb.route6(d.As16())
		}
		if got != x.want {
			t.Errorf("route %s: got %v", x.dst, got.Inner)
		}
	}
	// Make-before-break: a newer pair for the same prefixes waits for its
	// first inbound packet.
	a2 := mk("0.0.0.0/0", "::/0")
	a2.order = 9
	tb = build([]*pairState{a, b, c, a2})
	if tb.route4(0x01020304) != a || !a2.waiting.Load() {
		t.Fatal("the new pair took over before receiving")
	}
	a2.promoted.Store(true)
	tb = build([]*pairState{a, b, c, a2})
	if tb.route4(0x01020304) != a2 {
		t.Fatal("the promoted pair did not take over")
	}
	a2.promoted.Store(false)
	tb = build([]*pairState{b, c, a2})
	if tb.route4(0x01020304) != a2 {
		t.Fatal("the new pair did not take over after the old one left")
	}
}

// TestTunnelSetPeer: when the client's NAT mapping changes, SetPeer moves
// where the headend's ESP goes.
func TestTunnelSetPeer(t *testing.T) { onFakeNet(t, testSetPeer) }

func testSetPeer(t *testing.T, n *fakeNet) {
	client, headend := startPair(t, n.open, nil)
	decoy := n.listen()
	headend.tn.SetPeer(0x1000, decoy.addr)
	headend.tun.toTunnel <- ipPacket(insideV4, clientV4, 1, 10)
	synctest.Wait()
	d, ok := decoy.next()
	if spi, _ := SPI(d.b); !ok || spi != 0x2000 {
		t.Fatalf("the moved peer got %d bytes", len(d.b))
	}
	headend.tn.SetPeer(0x1000, client.addr)
	exchange(t, client, headend, 10, 10)
}
