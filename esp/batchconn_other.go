//go:build !linux

package esp

import (
	"errors"
	"net"
	"net/netip"
)

var disableUDPOffload = false

func newBatchConn(c *net.UDPConn, batch int) (BatchConn, error) { return simpleConn{c}, nil }

func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }

// simpleConn is the portable BatchConn: one datagram per system call.
type simpleConn struct{ c *net.UDPConn }

func (s simpleConn) ReadBatch(ds []Datagram) (int, error) {
	n, addr, err := s.c.ReadFromUDPAddrPort(ds[0].Buf)
	if err != nil {
		return 0, err
	}
	ds[0].N, ds[0].Addr = n, unmapAddrPort(addr)
	return 1, nil
}

func (s simpleConn) WriteBatch(ds []Datagram) (int, error) {
	dropped := 0
	for i := range ds {
		d := &ds[i]
		seg := d.Seg
		if seg <= 0 {
			seg = len(d.Buf)
		}
		for b := d.Buf; len(b) > 0; {
			k := min(seg, len(b))
			if _, err := s.c.WriteToUDPAddrPort(b[:k], d.Addr); err != nil {
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

func (simpleConn) GSO() bool { return false }

func (s simpleConn) WriteTo(b []byte, to netip.AddrPort) error {
	_, err := s.c.WriteToUDPAddrPort(b, to)
	return err
}

func (s simpleConn) Close() error { return s.c.Close() }
