package esp

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// Outbound SA selection: a longest prefix match over the installed pairs'
// Inner prefixes, rebuilt as a whole snapshot on every change and read
// without locks.

// tables is an immutable snapshot of the installed pairs, replaced as a whole.
type tables struct {
	pairs []*pairState
	bySPI map[uint32]*pairState
	v4    []routeLevel4
	v6    []routeLevel6
}

type routeLevel4 struct {
	mask uint32
	m    map[uint32]*pairState
}

type routeLevel6 struct {
	bits int
	m    map[[16]byte]*pairState
}

// route finds the pair carrying dst, the longest prefix first.
func (t *tables) route4(dst uint32) *pairState {
	for i := range t.v4 {
		if p := t.v4[i].m[dst&t.v4[i].mask]; p != nil {
			return p
		}
	}
	return nil
}

func (t *tables) route6(dst [16]byte) *pairState {
	for i := range t.v6 {
		l := &t.v6[i]
		k := maskBits(dst, l.bits)
		if p := l.m[k]; p != nil {
			return p
		}
	}
	return nil
}

func maskBits(a [16]byte, bits int) [16]byte {
	for i := range a {
		switch {
		case bits >= 8:
			bits -= 8
		case bits > 0:
			a[i] &= ^byte(0xff >> bits)
			bits = 0
		default:
			a[i] = 0
		}
	}
	return a
}

// build makes the routes of pairs: for each prefix, the newest promoted
// pair carrying it, else the oldest one (the incumbent).
func build(pairs []*pairState) *tables {
	t := &tables{pairs: pairs, bySPI: make(map[uint32]*pairState, len(pairs))}
	best := map[netip.Prefix]*pairState{}
	for _, p := range pairs {
		t.bySPI[p.spi] = p
		for _, pf := range p.Inner {
			cur := best[pf]
			switch {
			case cur == nil:
				best[pf] = p
			case p.promoted.Load() == cur.promoted.Load():
				if p.promoted.Load() == (p.order > cur.order) {
					best[pf] = p
				}
			case p.promoted.Load():
				best[pf] = p
			}
		}
	}
	for _, p := range pairs {
		w := false
		for _, pf := range p.Inner {
			w = w || best[pf] != p
		}
		p.waiting.Store(w)
	}
	l4 := map[int]map[uint32]*pairState{}
	l6 := map[int]map[[16]byte]*pairState{}
	for pf, p := range best {
		b := pf.Bits()
		if pf.Addr().Is4() {
			if l4[b] == nil {
				l4[b] = map[uint32]*pairState{}
			}
			a := pf.Addr().As4()
			l4[b][binary.BigEndian.Uint32(a[:])] = p
		} else {
			if l6[b] == nil {
				l6[b] = map[[16]byte]*pairState{}
			}
			l6[b][pf.Addr().As16()] = p
		}
	}
	for b, m := range l4 {
		mask := uint32(0)
		if b > 0 {
			mask = ^uint32(0) << (32 - b)
		}
		t.v4 = append(t.v4, routeLevel4{mask: mask, m: m})
	}
	slices.SortFunc(t.v4, func(a, b routeLevel4) int { return int(b.mask>>1) - int(a.mask>>1) })
	for b, m := range l6 {
		t.v6 = append(t.v6, routeLevel6{bits: b, m: m})
	}
	slices.SortFunc(t.v6, func(a, b routeLevel6) int { return b.bits - a.bits })
	return t
}
