package esp

import (
	"math"
	"math/bits"
	"sync"
)

// replayWindow is the receiver's anti-replay window (RFC 4303 section 3.4.3)
// kept as a ring of 64-bit words in the manner of RFC 6479: advancing the
// window clears the words it moves into instead of shifting the bitmap.
//
// It covers the sequence numbers top-size+1 .. top. The ring holds at least
// size/64+1 words, so every number of the window has its own bit even when
// the window starts in the middle of a word.
type replayWindow struct {
	mu   sync.Mutex
	top  uint64 // highest authenticated sequence number; 0 before the first
	size uint64 // window size in packets, a power of two >= 64
	mask uint64 // len(ring)-1
	ring []uint64
}

func newReplayWindow(size int) *replayWindow {
	words := 1 << bits.Len(uint(size/64)) // the next power of two > size/64
	return &replayWindow{size: uint64(size), mask: uint64(words - 1), ring: make([]uint64, words)}
}

// infer returns the full sequence number of a packet whose low 32 bits are
// lo, following RFC 4303 Appendix A2.2 when esn is set. ok is false when no
// sequence number can be meant (one below 1 or above 2^64-1), which the
// caller treats as a replay. Call with w.mu held.
func (w *replayWindow) infer(lo uint32, esn bool) (seq uint64, ok bool) {
	if !esn {
		return uint64(lo), lo != 0
	}
	tl, th := uint32(w.top), uint32(w.top>>32)
	bottom := tl - uint32(w.size) + 1 // low 32 bits of the window's bottom, mod 2^32
	var hi uint32
	if uint64(tl) >= w.size-1 {
		// The window lies within one subspace of 2^32.
		if lo >= bottom {
			hi = th
		} else {
			if th == math.MaxUint32 {
				return 0, false
			}
			hi = th + 1
		}
	} else {
		// The window spans the boundary of two subspaces.
		if lo >= bottom {
			if th == 0 {
				return 0, false
			}
			hi = th - 1
		} else {
			hi = th
		}
	}
	seq = uint64(hi)<<32 | uint64(lo)
	return seq, seq != 0
}

// fresh reports whether seq is acceptable: new, or inside the window and not
// yet seen. Call with w.mu held.
func (w *replayWindow) fresh(seq uint64) bool {
	if seq == 0 {
		return false
	}
	if seq > w.top {
		return true
	}
	if w.top-seq >= w.size {
		return false
	}
	return w.ring[(seq>>6)&w.mask]&(1<<(seq&63)) == 0
}

// precheck infers the full sequence number and rejects a packet that is
// certainly a replay, before any cryptography is spent on it. It leaves the
// window unchanged.
func (w *replayWindow) precheck(lo uint32, esn bool) (uint64, bool) {
	w.mu.Lock()
	seq, ok := w.infer(lo, esn)
	ok = ok && w.fresh(seq)
	w.mu.Unlock()
	return seq, ok
}

// accept checks seq again (another goroutine may have accepted it since the
// precheck) and, if it is fresh, records it and advances the window. Call it
// only for authenticated packets.
func (w *replayWindow) accept(seq uint64) bool {
	w.mu.Lock()
	if !w.fresh(seq) {
		w.mu.Unlock()
		return false
	}
	if seq > w.top {
		from, to := w.top>>6, seq>>6
		n := to - from
		if n > w.mask+1 {
			n = w.mask + 1
		}
		for i := uint64(1); i <= n; i++ {
			w.ring[(from+i)&w.mask] = 0
		}
		w.top = seq
	}
	w.ring[(seq>>6)&w.mask] |= 1 << (seq & 63)
	w.mu.Unlock()
	return true
}

// highest returns the highest accepted sequence number.
func (w *replayWindow) highest() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.top
}
