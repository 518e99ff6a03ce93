package esp

import (
	"net"
	"net/netip"
)

// dgram is one UDP datagram of a batch.
type dgram struct {
	// buf is where a datagram is received (its length is the room) or what
	// is sent. For a send with seg > 0 it holds several datagrams of seg
	// bytes each, the last one possibly shorter (UDP GSO).
	buf  []byte
	n    int            // receive: the datagram's length
	addr netip.AddrPort // receive: the source; send: the destination
	seg  int
}

// batchConn moves datagrams in batches over one UDP socket. read and write
// may be called concurrently with each other, but each by one goroutine at
// a time.
type batchConn interface {
	// read receives at least one datagram into ds[i].buf and sets n and
	// addr of the first k entries it returns.
	read(ds []dgram) (k int, err error)
	// write sends all of ds. Datagrams the kernel refuses (no route, too
	// big) are dropped and counted in the returned number; err is only for
	// a socket that cannot be used any more.
	write(ds []dgram) (dropped int, err error)
	// gso reports whether write accepts entries with seg > 0.
	gso() bool
}

// maxGSOSegments is the kernel's limit of segments in one UDP GSO send
// (UDP_MAX_SEGMENTS in older kernels), and of datagrams that UDP GRO
// coalesces into one receive.
const maxGSOSegments = 64

// maxGSOBytes is the largest UDP payload of one coalesced send (over IPv4).
const maxGSOBytes = 65535 - 20 - 8

// simpleConn is the portable batchConn: one datagram per system call.
type simpleConn struct{ c *net.UDPConn }

func (s simpleConn) read(ds []dgram) (int, error) {
	n, addr, err := s.c.ReadFromUDPAddrPort(ds[0].buf)
	if err != nil {
		return 0, err
	}
	ds[0].n, ds[0].addr = n, unmapAddrPort(addr)
	return 1, nil
}

func (s simpleConn) write(ds []dgram) (int, error) {
	dropped := 0
	for i := range ds {
		d := &ds[i]
		seg := d.seg
		if seg <= 0 {
			seg = len(d.buf)
		}
		for b := d.buf; len(b) > 0; {
			k := min(seg, len(b))
			if _, err := s.c.WriteToUDPAddrPort(b[:k], d.addr); err != nil {
				if isClosed(err) {
					return dropped, err
				}
				dropped++
			}
			b = b[k:]
		}
	}
	return dropped, nil
}

func (simpleConn) gso() bool { return false }

func unmapAddrPort(a netip.AddrPort) netip.AddrPort {
	if a.Addr().Is4In6() {
		return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	}
	return a
}
