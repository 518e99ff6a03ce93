package client

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/tun"

	"github.com/vpnc-go/vpnc-go/esp"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// DefaultMTU is the tunnel MTU when the path's is unknown: a 1500-byte
// link less the worst ESP-in-UDP overhead over IPv4 (20 IP + 8 UDP + 8 ESP
// header + 16 IV + 15 padding + 2 trailer + 32 ICV) and some headroom.
const DefaultMTU = 1400

// TunDataPlane returns the constructor of the real data plane: a TUN
// device called name, one UDP socket on an ephemeral port for IKE and ESP
// in UDP, and the esp package's pipeline between them. mtu 0 selects
// DefaultMTU.
func TunDataPlane(name string, mtu int) func(DataPlaneConfig) (DataPlane, error) {
	return func(cfg DataPlaneConfig) (DataPlane, error) {
		if mtu == 0 {
			mtu = DefaultMTU
		}
		dev, err := tun.CreateTUN(name, mtu)
		if err != nil {
			return nil, fmt.Errorf("creating TUN device %s: %w", name, err)
		}
		if real, err := dev.Name(); err == nil {
			name = real
		}
		conn, err := net.ListenUDP("udp", &net.UDPAddr{})
		if err != nil {
			dev.Close()
			return nil, err
		}
		p := &tunPlane{name: name, mtu: mtu, conn: conn, pairs: map[uint32]*esp.OutboundSA{}}
		p.tunnel, err = esp.NewTunnel(esp.TunnelConfig{
			TUN:         dev,
			Sockets:     []esp.Socket{{Conn: conn}},
			PeerIKEPort: 500,
			OnIKE:       cfg.OnIKE,
			OnActivity: func(uint32) {
				if cfg.OnActivity != nil {
					cfg.OnActivity()
				}
			},
			Keepalive: 20 * time.Second,
			Log:       cfg.Log,
		})
		if err != nil {
			dev.Close()
			conn.Close()
			return nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		p.cancel = cancel
		p.done = make(chan error, 1)
		go func() { p.done <- p.tunnel.Run(ctx) }()
		return p, nil
	}
}

type tunPlane struct {
	name   string
	mtu    int
	conn   *net.UDPConn
	tunnel *esp.Tunnel
	cancel context.CancelFunc
	done   chan error

	mu    sync.Mutex
	pairs map[uint32]*esp.OutboundSA // by inbound SPI
}

// LocalAddr finds the source address the kernel picks towards remote, with
// the socket's port.
func (p *tunPlane) LocalAddr(remote netip.AddrPort) (netip.AddrPort, error) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(remote))
	if err != nil {
		return netip.AddrPort{}, err
	}
	defer c.Close()
	src := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	port := p.conn.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	return netip.AddrPortFrom(src, port), nil
}

func (p *tunPlane) SendIKE(to netip.AddrPort, encap bool, msgs [][]byte) error {
	return p.tunnel.SendIKE(to, encap, msgs)
}

// NewSAPair builds the data plane's SA pair of a negotiated CHILD SA that
// carries the inner networks given. The headend emulator uses it too.
func NewSAPair(c *ikev2.ChildSA, inner []netip.Prefix) (esp.SAPair, error) {
	cfg := esp.Config{SPI: c.InSPI, Encr: c.Suite.Encr, EncrKeyBits: int(c.Suite.KeyBits), Integ: c.Suite.Integ,
		ESN: c.Suite.ESN, EncrKey: c.In.Encr, IntegKey: c.In.Integ}
	in, err := esp.NewInboundSA(cfg)
	if err != nil {
		return esp.SAPair{}, err
	}
	cfg.SPI, cfg.EncrKey, cfg.IntegKey = c.OutSPI, c.Out.Encr, c.Out.Integ
	out, err := esp.NewOutboundSA(cfg)
	if err != nil {
		return esp.SAPair{}, err
	}
	return esp.SAPair{In: in, Out: out, Peer: c.Remote, Inner: inner, SendNow: c.Initiated}, nil
}

func (p *tunPlane) Install(c *ikev2.ChildSA, routes []netip.Prefix) error {
	pair, err := NewSAPair(c, routes)
	if err != nil {
		return err
	}
	if err := p.tunnel.Install(pair); err != nil {
		return err
	}
	p.mu.Lock()
	p.pairs[c.InSPI] = pair.Out
	p.mu.Unlock()
	return nil
}

func (p *tunPlane) Usage(inSPI uint32) (uint64, bool) {
	p.mu.Lock()
	out := p.pairs[inSPI]
	p.mu.Unlock()
	if out == nil {
		return 0, false
	}
	return out.Stats().Bytes, out.SoftLimitReached()
}

func (p *tunPlane) Remove(c *ikev2.ChildSA) {
	p.tunnel.Remove(c.InSPI)
	p.mu.Lock()
	delete(p.pairs, c.InSPI)
	p.mu.Unlock()
}

func (p *tunPlane) Device() (string, int) { return p.name, p.mtu }

func (p *tunPlane) Stats() Stats {
	s := p.tunnel.Stats()
	return Stats{PacketsIn: s.RxPackets, PacketsOut: s.TxPackets, BytesIn: s.RxBytes, BytesOut: s.TxBytes,
		Dropped: s.DropNoSA + s.DropAuth + s.DropReplay + s.DropMalformed + s.DropSend + s.DropTUN}
}

// Close stops the pipeline; the TUN device disappears with it.
func (p *tunPlane) Close() error {
	p.cancel()
	err := p.tunnel.Close()
	<-p.done
	return err
}
