package esp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.zx2c4.com/wireguard/tun"
)

// Outbound (TUN to network), per batch of up to BatchSize packets:
//
//	TUN reader:  tun.Read a batch -> route each packet (longest prefix match
//	             over the installed pairs' Inner prefixes) -> take its ESP
//	             sequence number, in the batch's order -> split the batch into
//	             chunks for the crypto workers, seal the first chunk itself ->
//	             queue the batch for the sender (FIFO)
//	workers:     seal chunks in place (Encap into the TUN read offset's room)
//	sender:      wait until the batch at the head of the queue is sealed ->
//	             coalesce runs of equal-sized packets to one peer (UDP GSO) ->
//	             BatchConn.WriteBatch (sendmmsg on Linux)
//
// Batches leave in the order the TUN reader queued them: one SA's
// packets are numbered and sent in the order they came.

// tunReader reads batches from the TUN, routes and numbers the packets.
func (t *Tunnel) tunReader() {
	var dc dropCounts
	for {
		b := t.getBatch(t.freeOut, t.batch, true)
		for i := range b.io {
			b.io[i] = b.bufs[i][:bufSize-TailRoom]
		}
		n, err := t.cfg.TUN.Read(b.io, b.sizes, txOffset)
		if err != nil && n == 0 {
			putBatch(t.freeOut, b)
			if errors.Is(err, tun.ErrTooManySegments) {
				t.cnt.drops[DropTUN].Add(1)
				continue
			}
			t.fail(fmt.Errorf("esp: TUN read: %w", err))
			return
		}
		tbl := t.tbl.Load()
		m := 0
		for i := range n {
			pkt := b.bufs[i][txOffset : txOffset+b.sizes[i]]
			var p *pairState
			switch {
			case len(pkt) >= 20 && pkt[0]>>4 == 4:
				p = tbl.route4(binary.BigEndian.Uint32(pkt[16:20]))
			case len(pkt) >= 40 && pkt[0]>>4 == 6:
				p = tbl.route6([16]byte(pkt[24:40]))
			default:
				dc[DropNotIP]++
				continue
			}
			if p == nil {
				dc[DropNoSA]++
				continue
			}
			seq, err := p.Out.nextSeq()
			if err != nil {
				dc[DropSeq]++
				continue
			}
			b.ents[m] = entry{p: p, idx: i, seq: seq, len: len(pkt)}
			m++
		}
		dc.flush(&t.cnt)
		if m == 0 {
			putBatch(t.freeOut, b)
			continue
		}
		b.n = m
		t.dispatch(b)
		t.sendQ <- b
	}
}

func (t *Tunnel) seal(b *batch, lo, hi int) {
	for i := lo; i < hi; i++ {
		e := &b.ents[i]
		buf := b.bufs[e.idx]
		nh := ProtoIPv4
		if buf[txOffset]>>4 == 6 {
			nh = ProtoIPv6
		}
		pkt := e.p.Out.seal(buf, txOffset, e.len, nh, e.seq)
		e.start, e.size = txOffset-e.p.Out.HeaderLen(), len(pkt)
	}
}

// sender sends sealed batches in order.
func (t *Tunnel) sender() {
	bc := t.espSock
	for b := range t.sendQ {
		<-b.done
		gso := bc.GSO()
		var bytes uint64
		k := 0
		var last *pairState
		var dst netip.AddrPort
		for i := range b.n {
			e := &b.ents[i]
			bytes += uint64(e.len)
			pkt := b.bufs[e.idx][e.start : e.start+e.size]
			if e.p != last {
				last, dst = e.p, e.p.dst()
				if !e.p.sent.Load() {
					e.p.sent.Store(true)
				}
			}
			if gso && k > 0 {
				d := &b.dg[k-1]
				seg := d.Seg
				if seg == 0 {
					seg = len(d.Buf)
				}
				if d.Addr == dst && len(pkt) <= seg && len(d.Buf)%seg == 0 &&
					len(d.Buf)+len(pkt) <= min(cap(d.Buf), maxGSOBytes) &&
					len(d.Buf)/seg < maxGSOSegments {
					d.Buf = append(d.Buf, pkt...)
					d.Seg = seg
					continue
				}
			}
			b.dg[k] = Datagram{Buf: pkt, Addr: dst}
			k++
		}
		dropped, err := bc.WriteBatch(b.dg[:k])
		t.cnt.txPackets.Add(uint64(b.n - dropped))
		t.cnt.txBytes.Add(bytes)
		if dropped > 0 {
			t.cnt.drops[DropSend].Add(uint64(dropped))
		}
		putBatch(t.freeOut, b)
		if err != nil {
			t.fail(fmt.Errorf("esp: send: %w", err))
		}
	}
}
