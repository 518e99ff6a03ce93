package client

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.zx2c4.com/wireguard/tun"

	"github.com/vpnc-go/vpnc-go/client/dataplane"
	"github.com/vpnc-go/vpnc-go/esp"
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
		bc, err := esp.NewBatchConn(conn)
		if err != nil {
			dev.Close()
			conn.Close()
			return nil, err
		}
		plane, err := dataplane.Start(esp.TunnelConfig{
			TUN:         dev,
			Sockets:     []esp.Socket{{Conn: bc}},
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
		return &tunPlane{Plane: plane, name: name, mtu: mtu, conn: conn}, nil
	}
}

// tunPlane is the real DataPlane: the shared pipeline with the session's
// view of its device and socket.
type tunPlane struct {
	*dataplane.Plane
	name string
	mtu  int
	conn *net.UDPConn
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

func (p *tunPlane) Device() (string, int) { return p.name, p.mtu }

func (p *tunPlane) Stats() Stats {
	s := p.Plane.Stats()
	var dropped uint64
	for _, r := range []esp.DropReason{esp.DropNoSA, esp.DropAuth, esp.DropReplay, esp.DropMalformed, esp.DropSend, esp.DropTUN} {
		dropped += s.Drops[r]
	}
	return Stats{PacketsIn: s.RxPackets, PacketsOut: s.TxPackets, BytesIn: s.RxBytes, BytesOut: s.TxBytes,
		Dropped: dropped}
}
