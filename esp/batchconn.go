package esp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Datagram is one UDP datagram of a batch.
type Datagram struct {
	// Buf is where a datagram is received (its length is the room) or what
	// is sent. For a send with Seg > 0 it holds several datagrams of Seg
	// bytes each, the last one possibly shorter (UDP GSO).
	Buf  []byte
	N    int            // receive: the datagram's length
	Addr netip.AddrPort // receive: the source; send: the destination
	Seg  int
}

// BatchConn is one UDP socket of a Tunnel, moving datagrams in batches.
// ReadBatch and WriteBatch may run concurrently with each other, but each
// on one goroutine at a time; WriteTo and Close may be called from any
// goroutine. NewBatchConn makes the real one from a UDP socket.
type BatchConn interface {
	// ReadBatch waits for datagrams and receives at least one, at most
	// len(ds): into ds[i].Buf, setting N and Addr of the first k entries.
	// Once the connection is closed it returns an error for which
	// errors.Is(err, net.ErrClosed) holds.
	ReadBatch(ds []Datagram) (k int, err error)
	// WriteBatch sends all of ds. Datagrams refused one by one (no route,
	// too big) are dropped and counted in the returned number; err is only
	// for a socket that cannot be used any more.
	WriteBatch(ds []Datagram) (dropped int, err error)
	// WriteTo sends one datagram (an IKE message, a NAT keepalive).
	WriteTo(b []byte, to netip.AddrPort) error
	// GSO reports whether WriteBatch takes entries with Seg > 0.
	GSO() bool
	// Close closes the socket; a ReadBatch waiting returns.
	Close() error
}

// NewBatchConn makes the BatchConn of a UDP socket, which it owns from
// then on: on Linux recvmmsg and sendmmsg with UDP GSO and GRO where the
// kernel has them, elsewhere one datagram per system call.
func NewBatchConn(c *net.UDPConn) (BatchConn, error) {
	if c == nil {
		return nil, errors.New("esp: no UDP socket")
	}
	bc, err := newBatchConn(c, sockBatch)
	if err != nil {
		return nil, fmt.Errorf("esp: socket: %w", err)
	}
	return bc, nil
}

// maxGSOSegments is the kernel's limit of segments in one UDP GSO send
// (UDP_MAX_SEGMENTS in older kernels), and of datagrams that UDP GRO
// coalesces into one receive.
const maxGSOSegments = 64

// maxGSOBytes is the largest UDP payload of one coalesced send (over IPv4).
const maxGSOBytes = 65535 - 20 - 8

func unmapAddrPort(a netip.AddrPort) netip.AddrPort {
	if a.Addr().Is4In6() {
		return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	}
	return a
}
