package client

import (
	"net/netip"

	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// DataPlane is the packet side of a connection: the UDP socket the IKE
// messages and ESP share, the TUN device and the ESP pipeline between them.
// NewDataPlane (Linux) builds the real one; tests plug in fakes.
type DataPlane interface {
	// LocalAddr is the address and port the headend sees us send from
	// (before any NAT), for NAT detection.
	LocalAddr(remote netip.AddrPort) (netip.AddrPort, error)
	// SendIKE sends IKE messages; encap puts the non-ESP marker in front
	// (NAT-T port).
	SendIKE(to netip.AddrPort, encap bool, msgs [][]byte) error
	// Install adds a CHILD SA that carries traffic for routes.
	Install(c *ikev2.ChildSA, routes []netip.Prefix) error
	// Remove takes a CHILD SA out.
	Remove(c *ikev2.ChildSA)
	// Device names the TUN device and its MTU.
	Device() (name string, mtu int)
	// Usage reports how much a CHILD SA (by inbound SPI) has sent, and
	// whether its sequence numbers near their end, for the rekey policy.
	Usage(inSPI uint32) (bytes uint64, exhausted bool)
	Stats() Stats
	Close() error
}

// DataPlaneConfig is what the session gives a data plane.
type DataPlaneConfig struct {
	// OnIKE receives IKE messages from the headend; encap tells that one
	// came on the NAT-T port (its non-ESP marker removed). It may be called
	// from the data plane's goroutines.
	OnIKE func(from netip.AddrPort, encap bool, msg []byte)
	// OnActivity is called when authenticated ESP arrives.
	OnActivity func()
	// Log receives debug lines.
	Log func(string, ...any)
}

// Deps are the parts of a session that touch the operating system, so that
// tests can replace them.
type Deps struct {
	NewDataPlane func(DataPlaneConfig) (DataPlane, error)
	NetConfig    netcfg.Manager
	// Resolve turns a host name into addresses.
	Resolve func(host string) ([]netip.Addr, error)
	// PathMTU gives the MTU of the path to an address, for the tunnel's
	// MTU; nil or an error keeps the data plane's.
	PathMTU func(netip.Addr) (int, error)
	// Paths reports network changes (NetlinkPaths on Linux); nil: the
	// session learns of them only through its liveness checks.
	Paths PathMonitor
}
