package esp

import "sync/atomic"

const (
	// txOffset is where the TUN reader puts a packet in its buffer: room for
	// the virtio header of an offloading TUN (10) and for the ESP header
	// (HeaderRoom), so that Encap works in place.
	txOffset = 32
	// rxOffset is where a datagram is received. The inner packet then
	// starts at rxOffset+HeaderLen(), at least tunWriteOffset further.
	rxOffset = 16
	// tunWriteOffset is the offset for tun.Write: in front of the inner
	// packet, room for the virtio header.
	tunWriteOffset = 16
	// bufSize is the size of every packet buffer: a TUN write coalesces TCP
	// segments into the first packet's buffer, and a UDP send with GSO
	// coalesces ESP packets into one, up to 64 KiB.
	bufSize = txOffset + 65535 + TailRoom
	// sockBatch is the number of datagrams per ReadBatch (and the most
	// per recvmmsg/sendmmsg).
	sockBatch = 128
	// minChunk is the fewest packets worth handing to another goroutine.
	minChunk = 8
	// queueLen is the number of batches in flight per queue.
	queueLen = 4
)

// batch is a set of packets moving through the pipeline together.
type batch struct {
	bufs  [][]byte // bufSize each, owned by the batch
	sizes []int
	io    [][]byte // slices of bufs handed to tun.Read / tun.Write
	dg    []Datagram
	ents  []entry
	n     int // entries in use

	pending atomic.Int32
	done    chan struct{}
	out     bool
}

// entry is one packet of a batch.
type entry struct {
	p   *pairState
	idx int    // buffer index
	seq uint64 // outbound sequence number
	len int    // inner (outbound) or ESP (inbound) length
	// results
	start, size int        // the result: bufs[idx][start:start+size]; size 0 = dropped
	why         DropReason // why it was dropped (size 0)
}

type job struct {
	b      *batch
	lo, hi int
}

func newBatch(n int, out bool) *batch {
	b := &batch{
		bufs: make([][]byte, n), sizes: make([]int, n), io: make([][]byte, n),
		dg: make([]Datagram, n), ents: make([]entry, n), done: make(chan struct{}, 1), out: out,
	}
	for i := range b.bufs {
		b.bufs[i] = make([]byte, bufSize)
	}
	return b
}

func (t *Tunnel) getBatch(free chan *batch, n int, out bool) *batch {
	select {
	case b := <-free:
		return b
	default:
		return newBatch(n, out)
	}
}

func putBatch(free chan *batch, b *batch) {
	b.n = 0
	select {
	case free <- b:
	default:
	}
}

// dispatch runs the crypto of b's entries: chunks to the workers, the
// first one here.
func (t *Tunnel) dispatch(b *batch) {
	chunks := min(t.workers, (b.n+minChunk-1)/minChunk)
	if chunks <= 1 {
		t.process(b, 0, b.n)
		b.done <- struct{}{}
		return
	}
	size := (b.n + chunks - 1) / chunks
	b.pending.Store(int32(chunks))
	for lo := size; lo < b.n; lo += size {
		t.work <- job{b, lo, min(lo+size, b.n)}
	}
	t.process(b, 0, size)
	if b.pending.Add(-1) == 0 {
		b.done <- struct{}{}
	}
}

func (t *Tunnel) worker() {
	for j := range t.work {
		t.process(j.b, j.lo, j.hi)
		if j.b.pending.Add(-1) == 0 {
			j.b.done <- struct{}{}
		}
	}
}

func (t *Tunnel) process(b *batch, lo, hi int) {
	if b.out {
		t.seal(b, lo, hi)
	} else {
		t.open(b, lo, hi)
	}
}
