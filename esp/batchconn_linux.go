//go:build linux

package esp

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// linuxConn is the BatchConn of Linux: recvmmsg and sendmmsg on the
// socket's descriptor through its syscall.RawConn (so the runtime's poller
// still does the waiting and deadlines and Close work), with UDP GSO
// (UDP_SEGMENT) on send and UDP GRO on receive when the kernel has them.
//
// It does not go through golang.org/x/net's ReadBatch/WriteBatch: those
// allocate a net.Addr per received datagram and cannot set a control
// message per datagram for GSO; here every array is allocated once.
type linuxConn struct {
	c      *net.UDPConn
	rc     syscall.RawConn
	inet6  bool // an AF_INET6 socket (IPv4 peers as mapped addresses)
	txGSO  bool
	rxGRO  bool
	closed func(error) bool

	r ioState
	w ioState
}

// ioState is the preallocated state of one direction and the arguments and
// results of the closure that runs inside RawConn.Read or Write.
type ioState struct {
	msgs  []mmsghdr
	iov   []unix.Iovec
	names []unix.RawSockaddrInet6
	ctl   []byte // ctlLen bytes per message
	fn    func(fd uintptr) bool
	// arguments and results of fn
	from, to int // messages [from, to) to do; from advances
	errno    syscall.Errno
}

type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// Control message space per datagram: UDP_GRO delivers an int, UDP_SEGMENT
// takes a uint16.
var (
	rxCtlLen = unix.CmsgSpace(4)
	txCtlLen = unix.CmsgSpace(2)
)

// socketBuffer is the receive and send buffer size asked for.
const socketBuffer = 7 << 20

// disableUDPOffload turns UDP GSO and GRO off for new sockets (benchmarks
// compare both).
var disableUDPOffload = false

func newBatchConn(c *net.UDPConn, batch int) (BatchConn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	lc := &linuxConn{c: c, rc: rc, closed: isClosed}
	var serr error
	err = rc.Control(func(fd uintptr) {
		dom, e := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		if e != nil {
			serr = e
			return
		}
		lc.inet6 = dom == unix.AF_INET6
		// Large socket buffers: a burst of batches from the peer must not
		// overflow the receive queue while the reader decrypts. The FORCE
		// variants pass net.core.rmem_max with CAP_NET_ADMIN.
		for _, o := range [][2]int{{unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}, {unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}} {
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[0], socketBuffer) != nil {
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[1], socketBuffer)
			}
		}
		if disableUDPOffload {
			return
		}
		if _, e := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT); e == nil {
			lc.txGSO = true
		}
		if unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, 1) == nil {
			v, e := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO)
			lc.rxGRO = e == nil && v == 1
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	lc.r.init(batch, rxCtlLen)
	lc.w.init(batch, txCtlLen)
	lc.r.fn = lc.doRead
	lc.w.fn = lc.doWrite
	return lc, nil
}

func (s *ioState) init(batch, ctlLen int) {
	s.msgs = make([]mmsghdr, batch)
	s.iov = make([]unix.Iovec, batch)
	s.names = make([]unix.RawSockaddrInet6, batch)
	s.ctl = make([]byte, batch*ctlLen)
	for i := range s.msgs {
		h := &s.msgs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&s.names[i]))
		h.Iov = &s.iov[i]
		h.SetIovlen(1)
	}
}

func (c *linuxConn) GSO() bool { return c.txGSO }

func (c *linuxConn) WriteTo(b []byte, to netip.AddrPort) error {
	_, err := c.c.WriteToUDPAddrPort(b, to)
	return err
}

func (c *linuxConn) Close() error { return c.c.Close() }

func (c *linuxConn) doRead(fd uintptr) bool {
	s := &c.r
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&s.msgs[s.from])),
		uintptr(s.to-s.from), 0, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	s.errno = e
	if e == 0 {
		s.to = s.from + int(n)
	}
	return true
}

func (c *linuxConn) ReadBatch(ds []Datagram) (int, error) {
	s := &c.r
	ds = ds[:min(len(ds), len(s.msgs))]
	// With GRO one datagram may carry up to maxGSOSegments: receive into
	// the last few entries and split forward into the others.
	at := 0
	if c.rxGRO {
		at = len(ds) - max(1, len(ds)/maxGSOSegments)
	}
	for i := at; i < len(ds); i++ {
		h := &s.msgs[i].hdr
		b := ds[i].Buf
		s.iov[i].Base = &b[0]
		s.iov[i].SetLen(len(b))
		h.Namelen = unix.SizeofSockaddrInet6
		if c.rxGRO {
			h.Control = &s.ctl[i*rxCtlLen]
			h.SetControllen(rxCtlLen)
		} else {
			h.Control = nil
			h.SetControllen(0)
		}
		h.Flags = 0
	}
	s.from, s.to, s.errno = at, len(ds), 0
	if err := c.rc.Read(s.fn); err != nil {
		return 0, err
	}
	if s.errno != 0 {
		return 0, &net.OpError{Op: "recvmmsg", Net: "udp", Err: s.errno}
	}
	if !c.rxGRO {
		for i := range s.to {
			ds[i].N = int(s.msgs[i].n)
			ds[i].Addr = decodeName(&s.names[i])
		}
		return s.to, nil
	}
	o := 0
	for i := at; i < s.to; i++ {
		n := int(s.msgs[i].n)
		addr := decodeName(&s.names[i])
		seg := groSize(s.ctl[i*rxCtlLen : i*rxCtlLen+int(s.msgs[i].hdr.Controllen)])
		if seg <= 0 || seg > n {
			seg = n
		}
		src := ds[i].Buf[:n]
		for off := 0; off < n || (n == 0 && off == 0); off += seg {
			// Never write over an entry still to be split.
			if o >= len(ds) || o > i {
				break
			}
			end := min(off+seg, n)
			ds[o].N = copy(ds[o].Buf, src[off:end])
			ds[o].Addr = addr
			o++
			if n == 0 {
				break
			}
		}
	}
	return o, nil
}

// groSize returns the segment size of a UDP GRO control message, 0 if none.
func groSize(ctl []byte) int {
	for len(ctl) >= unix.SizeofCmsghdr {
		h, data, rest, err := unix.ParseOneSocketControlMessage(ctl)
		if err != nil {
			return 0
		}
		if h.Level == unix.SOL_UDP && h.Type == unix.UDP_GRO {
			switch {
			case len(data) >= 4:
				return int(*(*int32)(unsafe.Pointer(&data[0])))
			case len(data) >= 2:
				return int(*(*uint16)(unsafe.Pointer(&data[0])))
			}
		}
		ctl = rest
	}
	return 0
}

func decodeName(sa *unix.RawSockaddrInet6) netip.AddrPort {
	pb := (*[2]byte)(unsafe.Pointer(&sa.Port))
	port := uint16(pb[0])<<8 | uint16(pb[1])
	switch sa.Family {
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), port)
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port)
	}
	return netip.AddrPort{}
}

// encodeName writes a in the socket's address family; false if it cannot
// be reached from this socket (IPv6 on an AF_INET socket).
func (c *linuxConn) encodeName(sa *unix.RawSockaddrInet6, a netip.AddrPort) (uint32, bool) {
	ip := a.Addr()
	if c.inet6 {
		*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ip.As16()}
		if ip.Is6() && !ip.Is4In6() {
			// Scoped addresses need an interface index; zones are rare
			// for VPN peers and left to the routing table.
			sa.Scope_id = 0
		}
		pb := (*[2]byte)(unsafe.Pointer(&sa.Port))
		pb[0], pb[1] = byte(a.Port()>>8), byte(a.Port())
		return unix.SizeofSockaddrInet6, true
	}
	ip = ip.Unmap()
	if !ip.Is4() {
		return 0, false
	}
	sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
	*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ip.As4()}
	pb := (*[2]byte)(unsafe.Pointer(&sa4.Port))
	pb[0], pb[1] = byte(a.Port()>>8), byte(a.Port())
	return unix.SizeofSockaddrInet4, true
}

func (c *linuxConn) doWrite(fd uintptr) bool {
	s := &c.w
	for s.from < s.to {
		n, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&s.msgs[s.from])),
			uintptr(s.to-s.from), 0, 0, 0)
		if e == unix.EAGAIN {
			return false
		}
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			s.errno = e
			return true
		}
		s.from += int(n)
	}
	return true
}

func (c *linuxConn) WriteBatch(ds []Datagram) (int, error) {
	s := &c.w
	dropped := 0
	for len(ds) > 0 {
		k := 0
		for len(ds) > 0 && k < len(s.msgs) {
			d := &ds[0]
			ds = ds[1:]
			h := &s.msgs[k].hdr
			nl, ok := c.encodeName(&s.names[k], d.Addr)
			if !ok || len(d.Buf) == 0 {
				dropped += segments(d)
				continue
			}
			h.Namelen = nl
			s.iov[k].Base = &d.Buf[0]
			s.iov[k].SetLen(len(d.Buf))
			h.Control = nil
			h.SetControllen(0)
			if d.Seg > 0 && d.Seg < len(d.Buf) {
				ctl := s.ctl[k*txCtlLen : (k+1)*txCtlLen]
				ch := (*unix.Cmsghdr)(unsafe.Pointer(&ctl[0]))
				ch.Level = unix.SOL_UDP
				ch.Type = unix.UDP_SEGMENT
				ch.SetLen(unix.CmsgLen(2))
				*(*uint16)(unsafe.Pointer(&ctl[unix.CmsgLen(0)])) = uint16(d.Seg)
				h.Control = &ctl[0]
				h.SetControllen(txCtlLen)
			}
			k++
		}
		if k == 0 {
			break
		}
		s.from, s.to = 0, k
		for s.from < s.to {
			s.errno = 0
			if err := c.rc.Write(s.fn); err != nil {
				return dropped, err
			}
			if s.errno == 0 {
				break
			}
			// The message at s.from failed.
			bad := &s.msgs[s.from].hdr
			if s.errno == unix.EIO && bad.Controllen != 0 {
				// The device cannot segment: no more GSO on this socket,
				// and this message goes out one datagram at a time.
				c.txGSO = false
				dropped += c.writeSplit(s.from)
			} else if (s.errno == unix.EINVAL || s.errno == unix.EMSGSIZE) && bad.Controllen != 0 {
				// Segments larger than the path MTU: the kernel refuses
				// to segment them but fragments them one at a time.
				dropped += c.writeSplit(s.from)
			} else if s.errno == unix.EBADF {
				return dropped, net.ErrClosed
			} else {
				dropped += segmentsOf(bad, &s.iov[s.from])
			}
			s.from++
		}
	}
	return dropped, nil
}

// writeSplit sends message i of the write state as separate datagrams.
func (c *linuxConn) writeSplit(i int) int {
	s := &c.w
	h := s.msgs[i].hdr
	ctl := s.ctl[i*txCtlLen:]
	seg := int(*(*uint16)(unsafe.Pointer(&ctl[unix.CmsgLen(0)])))
	buf := unsafe.Slice(s.iov[i].Base, s.iov[i].Len)
	h.Control = nil
	h.SetControllen(0)
	dropped := 0
	for off := 0; off < len(buf); off += seg {
		end := min(off+seg, len(buf))
		iov := unix.Iovec{Base: &buf[off]}
		iov.SetLen(end - off)
		h.Iov = &iov
		var errno syscall.Errno
		err := c.rc.Write(func(fd uintptr) bool {
			_, _, e := unix.Syscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&h)), 0)
			if e == unix.EAGAIN {
				return false
			}
			errno = e
			return true
		})
		if err != nil || errno != 0 {
			dropped++
		}
	}
	return dropped
}

func segments(d *Datagram) int {
	if d.Seg <= 0 || len(d.Buf) == 0 {
		return 1
	}
	return (len(d.Buf) + d.Seg - 1) / d.Seg
}

func segmentsOf(h *unix.Msghdr, iov *unix.Iovec) int {
	if h.Controllen == 0 || h.Control == nil {
		return 1
	}
	seg := int(*(*uint16)(unsafe.Add(unsafe.Pointer(h.Control), unix.CmsgLen(0))))
	if seg <= 0 {
		return 1
	}
	return (int(iov.Len) + seg - 1) / seg
}

func isClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, unix.EBADF)
}
