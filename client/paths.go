package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vpnc-go/vpnc-go/ikev2"
)

// PathMonitor watches the local network for changes that may affect the
// path to the headend: a link going down or up, an address or a route
// added or removed. The session checks the headend's liveness at once on
// a change (RFC 7296 section 2.4: suspect a failure from routing
// information and check), and while no path is usable it waits instead of
// giving up. NetlinkPaths is the Linux implementation.
type PathMonitor interface {
	// Watch sends each change until ctx ends. Changes may be coalesced;
	// the channel is closed when ctx ends.
	Watch(ctx context.Context) (<-chan PathChange, error)
	// Usable returns nil when a path to dst is up (a route to it through
	// a link that is up), and an error saying what is missing otherwise.
	Usable(dst netip.Addr) error
}

// PathChange is one change of the local network.
type PathChange struct {
	// Link is the interface concerned; changes of the tunnel's own
	// device are not path changes and are ignored.
	Link   string
	Detail string // for the log: "address 192.0.2.3/24 added"
}

func (c PathChange) String() string { return c.Detail }

// ErrNoPath is matched (errors.Is) by a failure to reach the headend
// because the local network has no usable path to it (link down, no
// route): a passing failure the session waits out.
var ErrNoPath = errors.New("no usable network path to the headend")

type noPathError struct {
	dst netip.Addr
	err error
}

func (e *noPathError) Error() string        { return fmt.Sprintf("%v %s: %v", ErrNoPath, e.dst, e.err) }
func (e *noPathError) Unwrap() error        { return e.err }
func (e *noPathError) Is(target error) bool { return target == ErrNoPath }

// passing reports whether err is a failure worth waiting out: the headend
// silent or gone, the setup lost in the network, or no network.
func passing(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, ikev2.ErrPeerDead), errors.Is(err, ikev2.ErrClosedByPeer), errors.Is(err, ikev2.ErrSetupTimeout),
		errors.Is(err, ErrNoAnswer), errors.Is(err, ErrNoPath):
		return true
	case errors.As(err, &dns):
		return !dns.IsNotFound // a name that does not exist is a configuration error
	case errors.As(err, &op):
		return true // the OS could not send: network unreachable, no route
	}
	return false
}
