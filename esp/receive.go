package esp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
)

// Inbound (network to TUN), per socket:
//
//	socket reader: BatchConn.ReadBatch (recvmmsg, UDP GRO split, on
//	             Linux) -> RFC 3948 demux: IKE to OnIKE, keepalives
//	             dropped, ESP found by SPI -> chunks to workers (first
//	             chunk itself) -> queue the batch for the TUN writer
//	workers:     Decap in place, check the inner packet and its source
//	             against the SA's Inner prefixes, trim TFC padding
//	TUN writer:  wait until the batch at the head of its queue is done ->
//	             tun.Write the good packets (the tun package coalesces TCP
//	             segments back into super-packets) -> OnActivity per SA
//
// Batches reach the TUN in the order they were received.

// sockReader reads datagrams from one socket and sorts them.
func (t *Tunnel) sockReader(s Socket) {
	var ike, ka uint64
	var dc dropCounts
	for {
		b := t.getBatch(t.freeIn, sockBatch, false)
		for i := range b.dg {
			b.dg[i].Buf = b.bufs[i][rxOffset:]
		}
		n, err := s.Conn.ReadBatch(b.dg)
		if err != nil {
			putBatch(t.freeIn, b)
			if isClosed(err) || t.closing.Load() {
				t.fail(err)
				return
			}
			if errors.Is(err, os.ErrDeadlineExceeded) || isTransient(err) {
				continue
			}
			t.fail(fmt.Errorf("esp: receive: %w", err))
			return
		}
		tbl := t.tbl.Load()
		m := 0
		for i := range n {
			d := &b.dg[i]
			data := d.Buf[:d.N]
			if s.RawIKE || (t.cfg.PeerIKEPort != 0 && d.Addr.Port() == t.cfg.PeerIKEPort) {
				ike++
				if t.cfg.OnIKE != nil {
					t.cfg.OnIKE(d.Addr, false, data)
				}
				continue
			}
			kind, body := Classify(data)
			switch kind {
			case KindIKE:
				ike++
				if t.cfg.OnIKE != nil {
					t.cfg.OnIKE(d.Addr, true, body)
				}
				continue
			case KindKeepalive:
				ka++
				continue
			case KindInvalid:
				dc[DropInvalid]++
				continue
			}
			p := tbl.bySPI[binary.BigEndian.Uint32(data)]
			if p == nil {
				dc[DropUnknownSPI]++
				continue
			}
			b.ents[m] = entry{p: p, idx: i, len: d.N}
			m++
		}
		if ike+ka > 0 {
			t.cnt.rxIKE.Add(ike)
			t.cnt.rxKeepalives.Add(ka)
			ike, ka = 0, 0
		}
		dc.flush(&t.cnt)
		if m == 0 {
			putBatch(t.freeIn, b)
			continue
		}
		b.n = m
		t.dispatch(b)
		t.tunQ <- b
	}
}

// isTransient tells receive errors that concern one datagram or a past
// send (ICMP errors reported on the socket) from a broken socket.
func isTransient(err error) bool {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return false
	}
	switch en {
	case syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EMSGSIZE,
		syscall.EINTR, syscall.EAGAIN, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNRESET:
		return true
	}
	return false
}

// open decapsulates, checks and trims entries [lo, hi).
func (t *Tunnel) open(b *batch, lo, hi int) {
	for i := lo; i < hi; i++ {
		e := &b.ents[i]
		pkt := b.bufs[e.idx][rxOffset : rxOffset+e.len]
		e.size = 0
		inner, nh, err := e.p.In.Decap(pkt)
		if err != nil {
			switch err {
			case ErrAuth:
				e.why = DropAuth
			case ErrReplay:
				e.why = DropReplay
			default:
				e.why = DropMalformed
			}
			continue
		}
		if !e.p.promoted.Load() {
			t.promote(e.p)
		}
		n, src, ok := innerCheck(inner, nh)
		if !ok {
			e.why = DropInner
			continue
		}
		if !allowed(e.p.Inner, src) {
			e.why = DropPolicy
			continue
		}
		e.start = rxOffset + e.p.In.HeaderLen()
		e.size = n
	}
}

// innerCheck checks a decapsulated packet and returns its length by its IP
// header (the rest is TFC padding) and its source address.
func innerCheck(p []byte, nh byte) (int, netip.Addr, bool) {
	switch nh {
	case ProtoIPv4:
		if len(p) < 20 || p[0]>>4 != 4 || int(p[0]&0x0f)*4 < 20 {
			return 0, netip.Addr{}, false
		}
		n := int(binary.BigEndian.Uint16(p[2:4]))
		if n < int(p[0]&0x0f)*4 || n > len(p) {
			return 0, netip.Addr{}, false
		}
		return n, netip.AddrFrom4([4]byte(p[12:16])), true
	case ProtoIPv6:
		if len(p) < 40 || p[0]>>4 != 6 {
			return 0, netip.Addr{}, false
		}
		n := 40 + int(binary.BigEndian.Uint16(p[4:6]))
		if n == 40 && p[6] == 0 {
			// A jumbogram (hop-by-hop header with a zero payload length)
			// cannot come through ESP in UDP; anything else of length 40 is
			// a header without payload, which is fine. Only the former is
			// refused here.
			return 0, netip.Addr{}, false
		}
		if n > len(p) {
			return 0, netip.Addr{}, false
		}
		return n, netip.AddrFrom16([16]byte(p[8:24])), true
	}
	return 0, netip.Addr{}, false
}

func allowed(inner []netip.Prefix, src netip.Addr) bool {
	for _, pf := range inner {
		if pf.Contains(src) {
			return true
		}
	}
	return false
}

// tunWriter writes opened batches to the TUN in order.
func (t *Tunnel) tunWriter() {
	var dc dropCounts
	for b := range t.tunQ {
		<-b.done
		k := 0
		var bytes uint64
		var lastSPI uint32
		var last *pairState
		for i := range b.n {
			e := &b.ents[i]
			if e.size == 0 {
				dc[e.why]++
				continue
			}
			buf := b.bufs[e.idx]
			b.io[k] = buf[e.start-tunWriteOffset : e.start+e.size]
			bytes += uint64(e.size)
			k++
			if e.p != last {
				last = e.p
				if t.cfg.OnActivity != nil && e.p.spi != lastSPI {
					lastSPI = e.p.spi
					t.cfg.OnActivity(e.p.spi)
				}
			}
		}
		if k > 0 {
			_, err := t.cfg.TUN.Write(b.io[:k], tunWriteOffset)
			if err != nil {
				if isClosed(err) || errors.Is(err, os.ErrClosed) {
					t.cnt.drops[DropTUN].Add(uint64(k))
					putBatch(t.freeIn, b)
					t.fail(err)
					continue
				}
				// The tun package reports per-packet errors joined; the
				// number written is not precise after coalescing.
				t.cnt.drops[DropTUN].Add(1)
			}
			t.cnt.rxPackets.Add(uint64(k))
			t.cnt.rxBytes.Add(bytes)
		}
		dc.flush(&t.cnt)
		putBatch(t.freeIn, b)
	}
}
