package esp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

type testSuite struct {
	name              string
	encr              iana.EncrID
	bits              uint16
	integ             iana.IntegID
	encKeyLen, intLen int
}

var testSuites = []testSuite{
	{"AES-GCM-128", iana.ENCR_AES_GCM_16, 128, iana.AUTH_NONE, 16 + 4, 0},
	{"AES-GCM-192", iana.ENCR_AES_GCM_16, 192, iana.AUTH_NONE, 24 + 4, 0},
	{"AES-GCM-256", iana.ENCR_AES_GCM_16, 256, iana.AUTH_NONE, 32 + 4, 0},
	{"AES-CBC-128-SHA1", iana.ENCR_AES_CBC, 128, iana.AUTH_HMAC_SHA1_96, 16, 20},
	{"AES-CBC-192-SHA1", iana.ENCR_AES_CBC, 192, iana.AUTH_HMAC_SHA1_96, 24, 20},
	{"AES-CBC-256-SHA1", iana.ENCR_AES_CBC, 256, iana.AUTH_HMAC_SHA1_96, 32, 20},
	{"AES-CBC-128-SHA256", iana.ENCR_AES_CBC, 128, iana.AUTH_HMAC_SHA2_256_128, 16, 32},
	{"AES-CBC-192-SHA384", iana.ENCR_AES_CBC, 192, iana.AUTH_HMAC_SHA2_384_192, 24, 48},
	{"AES-CBC-256-SHA256", iana.ENCR_AES_CBC, 256, iana.AUTH_HMAC_SHA2_256_128, 32, 32},
	{"AES-CBC-256-SHA384", iana.ENCR_AES_CBC, 256, iana.AUTH_HMAC_SHA2_384_192, 32, 48},
	{"AES-CBC-256-SHA512", iana.ENCR_AES_CBC, 256, iana.AUTH_HMAC_SHA2_512_256, 32, 64},
	{"3DES-SHA1", iana.ENCR_3DES, 192, iana.AUTH_HMAC_SHA1_96, 24, 20},
	{"3DES-SHA256", iana.ENCR_3DES, 192, iana.AUTH_HMAC_SHA2_256_128, 24, 32},
	{"3DES-SHA384", iana.ENCR_3DES, 192, iana.AUTH_HMAC_SHA2_384_192, 24, 48},
	{"3DES-SHA512", iana.ENCR_3DES, 192, iana.AUTH_HMAC_SHA2_512_256, 24, 64},
}

func keyBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func (ts testSuite) config(esn bool) Config {
	c := Config{
		SPI: 0xc0ffee01, Encr: ts.encr, EncrKeyBits: int(ts.bits), Integ: ts.integ,
		EncrKey: keyBytes(uint64(ts.encr)<<16|uint64(ts.bits), ts.encKeyLen), ESN: esn,
	}
	if ts.intLen > 0 {
		c.IntegKey = keyBytes(uint64(ts.integ), ts.intLen)
	}
	return c
}

func pair(t testing.TB, c Config) (*OutboundSA, *InboundSA) {
	t.Helper()
	out, err := NewOutboundSA(c)
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewInboundSA(c)
	if err != nil {
		t.Fatal(err)
	}
	return out, in
}

// innerPacket makes an inner packet of n bytes of IP version v (4 or 6) with
// a plausible header when it fits.
func innerPacket(v, n int, seed uint64) []byte {
	p := keyBytes(seed, n)
	if n == 0 {
		return p
	}
	p[0] = byte(v<<4) | p[0]&0x0f
	if v == 4 && n >= 20 {
		p[0] = 0x45
		binary.BigEndian.PutUint16(p[2:], uint16(min(n, 65535)))
	}
	if v == 6 && n >= 40 {
		p[0] = 0x60
		binary.BigEndian.PutUint16(p[4:], uint16(min(n-40, 65535)))
	}
	return p
}

// encap places inner in a fresh buffer with the documented room and
// encapsulates it, returning a copy of the ESP packet.
func encap(t testing.TB, sa *OutboundSA, inner []byte) []byte {
	t.Helper()
	buf := make([]byte, HeaderRoom+len(inner)+TailRoom)
	copy(buf[HeaderRoom:], inner)
	pkt, err := sa.Encap(buf, HeaderRoom, len(inner))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkt) != len(inner)+sa.Overhead(len(inner)) {
		t.Fatalf("ESP length %d, want %d+%d", len(pkt), len(inner), sa.Overhead(len(inner)))
	}
	if &pkt[0] != &buf[HeaderRoom-sa.HeaderLen()] {
		t.Fatal("ESP packet is not where the documentation says")
	}
	return bytes.Clone(pkt)
}

var sizes = []int{0, 1, 2, 3, 14, 15, 16, 17, 20, 40, 64, 1400, 1500, 8192}

func TestRoundTrip(t *testing.T) {
	for _, ts := range testSuites {
		for _, esn := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/esn=%v", ts.name, esn), func(t *testing.T) {
				out, in := pair(t, ts.config(esn))
				seq := uint64(0)
				for _, v := range []int{4, 6} {
					for _, n := range sizes {
						inner := innerPacket(v, n, uint64(n))
						pkt := encap(t, out, inner)
						seq++
						if got := binary.BigEndian.Uint32(pkt[0:]); got != 0xc0ffee01 {
							t.Fatalf("SPI %#x", got)
						}
						if got := binary.BigEndian.Uint32(pkt[4:]); uint64(got) != seq {
							t.Fatalf("seq %d, want %d", got, seq)
						}
						if (len(pkt)-out.HeaderLen()-out.suite.icvLen)%out.suite.align != 0 {
							t.Fatalf("ciphertext not aligned: %d", len(pkt))
						}
						if ts.encr != iana.ENCR_AES_GCM_16 && n > 16 && bytes.Contains(pkt, inner[:16]) {
							t.Fatal("plaintext visible")
						}
						got, nh, err := in.Decap(pkt)
						if err != nil {
							t.Fatalf("v%d n=%d: %v", v, n, err)
						}
						want := map[int]byte{4: ProtoIPv4, 6: ProtoIPv6}[v]
						if n == 0 {
							want = ProtoNoNext
						}
						if nh != want || !bytes.Equal(got, inner) {
							t.Fatalf("v%d n=%d: next header %d, inner equal %v", v, n, nh, bytes.Equal(got, inner))
						}
					}
				}
				st := in.Stats()
				if st.Packets != seq || out.Stats().Packets != seq || st.Bytes != out.Stats().Bytes {
					t.Fatalf("stats in %+v out %+v", st, out.Stats())
				}
			})
		}
	}
}

// TestStrictPadding checks that our padding is 1, 2, 3, ... and that a
// receiver insisting on it accepts it.
func TestStrictPadding(t *testing.T) {
	for _, ts := range testSuites {
		c := ts.config(false)
		c.StrictPadding = true
		out, in := pair(t, c)
		for n := range 40 {
			inner := innerPacket(4, n, 7)
			if n == 0 {
				inner = nil
			}
			if _, _, err := in.Decap(encap(t, out, inner)); err != nil {
				t.Fatalf("%s n=%d: %v", ts.name, n, err)
			}
		}
	}
}

func TestEncapRoom(t *testing.T) {
	out, _ := pair(t, testSuites[5].config(false)) // AES-CBC: 24 header bytes
	inner := innerPacket(4, 100, 1)
	buf := make([]byte, 200)
	copy(buf[23:], inner)
	if _, err := out.Encap(buf, 23, 100); err != ErrShortBuffer {
		t.Fatalf("header room 23: %v", err)
	}
	buf = make([]byte, 24+100+out.TrailerLen(100)-1)
	copy(buf[24:], inner)
	if _, err := out.Encap(buf, 24, 100); err != ErrShortBuffer {
		t.Fatalf("tail room short by one: %v", err)
	}
	for _, c := range [][2]int{{-1, 10}, {24, -1}, {24, 1 << 30}, {1 << 30, 10}, {math.MaxInt, math.MaxInt}} {
		if _, err := out.Encap(buf, c[0], c[1]); err == nil {
			t.Fatalf("off %d n %d accepted", c[0], c[1])
		}
	}
	buf = make([]byte, 24+100+out.TrailerLen(100))
	copy(buf[24:], inner)
	if _, err := out.Encap(buf, 24, 100); err != nil {
		t.Fatalf("exact room: %v", err)
	}
	buf[30] = 0x55
	if _, err := out.Encap(buf, 30, 10); err != ErrInnerPacket {
		t.Fatalf("version 5: %v", err)
	}
	if out.Seq() != 1 {
		t.Fatalf("failed calls used sequence numbers: %d", out.Seq())
	}
	for _, ts := range testSuites {
		o, _ := pair(t, ts.config(false))
		for n := range 64 {
			if o.HeaderLen() > HeaderRoom || o.TrailerLen(n) > TailRoom {
				t.Fatalf("%s: room %d/%d", ts.name, o.HeaderLen(), o.TrailerLen(n))
			}
		}
	}
}

func TestTamper(t *testing.T) {
	for _, ts := range testSuites {
		for _, esn := range []bool{false, true} {
			out, in := pair(t, ts.config(esn))
			out.seq.Store(99)
			orig := encap(t, out, innerPacket(4, 45, 3))
			for bit := range len(orig) * 8 {
				p := bytes.Clone(orig)
				p[bit/8] ^= 1 << (bit % 8)
				if _, _, err := in.Decap(p); err != ErrAuth {
					t.Fatalf("%s esn=%v: bit %d flipped: %v", ts.name, esn, bit, err)
				}
			}
			if in.Highest() != 0 {
				t.Fatalf("forged packets moved the window to %d", in.Highest())
			}
			if st := in.Stats(); st.AuthFailures != uint64(len(orig)*8) || st.Packets != 0 {
				t.Fatalf("stats %+v", st)
			}
			if _, _, err := in.Decap(bytes.Clone(orig)); err != nil {
				t.Fatalf("%s: original after forgeries: %v", ts.name, err)
			}
			// Another SA (same keys, other SPI): authentication fails.
			c := ts.config(esn)
			c.SPI++
			other, _ := NewInboundSA(c)
			if _, _, err := other.Decap(bytes.Clone(orig)); err != ErrAuth {
				t.Fatalf("%s: other SPI: %v", ts.name, err)
			}
		}
	}
}

func TestReplay(t *testing.T) {
	for _, ts := range []testSuite{testSuites[2], testSuites[3]} {
		for _, esn := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/esn=%v", ts.name, esn), func(t *testing.T) {
				out, in := pair(t, ts.config(esn))
				const w = DefaultReplayWindow
				pkts := make([][]byte, w+50)
				for i := range pkts {
					pkts[i] = encap(t, out, innerPacket(4, 30, uint64(i))) // seq i+1
				}
				dec := func(i int) error {
					_, _, err := in.Decap(bytes.Clone(pkts[i-1]))
					return err
				}
				// Reordered within the window: accepted.
				for _, i := range []int{5, 3, 4, 1, 2, 10, 7} {
					if err := dec(i); err != nil {
						t.Fatalf("seq %d: %v", i, err)
					}
				}
				// Duplicates: rejected.
				for _, i := range []int{5, 1, 10} {
					if err := dec(i); err != ErrReplay {
						t.Fatalf("duplicate %d: %v", i, err)
					}
				}
				// A forged packet with a huge sequence number does not move
				// the window.
				forged := bytes.Clone(pkts[20])
				binary.BigEndian.PutUint32(forged[4:], 0x7fffffff)
				if _, _, err := in.Decap(forged); err != ErrAuth {
					t.Fatalf("forged: %v", err)
				}
				if in.Highest() != 10 {
					t.Fatalf("highest %d after forgery", in.Highest())
				}
				if err := dec(6); err != nil {
					t.Fatalf("seq 6 after forgery: %v", err)
				}
				// Jump ahead: w+50 is the top; w+50-w = 50 is just outside.
				top := w + 50
				if err := dec(top); err != nil {
					t.Fatal(err)
				}
				// Without ESN an old packet is a replay; with ESN it is
				// taken as one of the next subspace and fails the ICV.
				tooOld := ErrReplay
				if esn {
					tooOld = ErrAuth
				}
				if err := dec(top - w); err != tooOld {
					t.Fatalf("seq %d outside the window: %v", top-w, err)
				}
				if err := dec(8); err != tooOld {
					t.Fatalf("old seq 8: %v", err)
				}
				if in.Highest() != uint64(top) {
					t.Fatalf("highest %d", in.Highest())
				}
				if err := dec(top - w + 1); err != nil {
					t.Fatalf("seq %d, the window's bottom: %v", top-w+1, err)
				}
				for i := top - 1; i > top-w+1; i-- {
					if err := dec(i); err != nil {
						t.Fatalf("seq %d: %v", i, err)
					}
				}
				for i := top - w + 1; i <= top; i++ {
					if err := dec(i); err != ErrReplay {
						t.Fatalf("second pass seq %d: %v", i, err)
					}
				}
				if st := in.Stats(); st.Replays < w || st.AuthFailures != 1+2*uint64(map[bool]int{true: 1}[esn]) {
					t.Fatalf("stats %+v", st)
				}
			})
		}
	}
}

// TestReplayWindowModel compares the bitmap window with a plain set under
// random traffic, for several window sizes.
func TestReplayWindowModel(t *testing.T) {
	for _, size := range []int{64, 128, 1024, 4096} {
		w := newReplayWindow(size)
		seen := map[uint64]bool{}
		var top uint64
		r := rand.New(rand.NewPCG(uint64(size), 2))
		for range 200000 {
			var s uint64
			switch r.IntN(4) {
			case 0:
				s = top + 1 + uint64(r.IntN(3*size))
			default:
				s = top - uint64(r.IntN(size+size/2))
				if s > top { // wrapped below zero
					s = uint64(r.IntN(10))
				}
			}
			want := s != 0 && !seen[s] && (s > top || top-s < uint64(size))
			w.mu.Lock()
			got := w.fresh(s)
			w.mu.Unlock()
			if got != want {
				t.Fatalf("size %d top %d seq %d: fresh %v, want %v", size, top, s, got, want)
			}
			if r.IntN(8) == 0 {
				continue // a forged packet: checked but never accepted
			}
			if acc := w.accept(s); acc != want {
				t.Fatalf("accept %v want %v", acc, want)
			}
			if want {
				seen[s] = true
				top = max(top, s)
			}
		}
	}
}

func TestESNInference(t *testing.T) {
	const W = 1024
	w := newReplayWindow(W)
	cases := []struct {
		top  uint64
		lo   uint32
		want uint64
		ok   bool
	}{
		{0, 1, 1, true},
		{0, 0, 0, false},
		{0, 0xffffffff, 0, false},        // would be in subspace -1
		{5000, 5001, 5001, true},         // ahead, same subspace
		{5000, 4000, 4000, true},         // behind, inside window
		{5000, 3976, 3976 + 1<<32, true}, // below the window: taken as the next subspace
		{1<<32 - 10, 3, 1<<32 + 3, true}, // wrap ahead
		{1<<32 - 10, 1<<32 - 20, 1<<32 - 20, true},
		{1<<32 + 5, 1<<32 - 3, 1<<32 - 3, true}, // late packet from before the wrap
		{1<<32 + 5, 7, 1<<32 + 7, true},
		{1<<32 + 5, 2, 1<<32 + 2, true},
		{5<<32 + 100, 99, 5<<32 + 99, true},
		{math.MaxUint64 - 5, 0xfffffffa, math.MaxUint64 - 5, true},
		{math.MaxUint64 - 5, 3, 0, false}, // beyond 2^64-1
	}
	for _, c := range cases {
		w.top = c.top
		got, ok := w.infer(c.lo, true)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("top %#x lo %#x: %#x %v, want %#x %v", c.top, c.lo, got, ok, c.want, c.ok)
		}
	}
}

// TestESNWrap sends across the 2^32 boundary with some packets late.
func TestESNWrap(t *testing.T) {
	for _, ts := range []testSuite{testSuites[2], testSuites[3], testSuites[14]} {
		out, in := pair(t, ts.config(true))
		_, plain := pair(t, ts.config(false)) // a receiver without ESN
		const start = 1<<32 - 6
		out.seq.Store(start - 1)
		in.win.top = start - 100
		plain.win.top = start - 100
		var pkts [][]byte
		for i := range 12 {
			pkts = append(pkts, encap(t, out, innerPacket(6, 60, uint64(i))))
		}
		late := map[int]bool{2: true, 4: true, 5: true}
		for i, p := range pkts {
			if late[i] {
				continue
			}
			if _, _, err := in.Decap(bytes.Clone(p)); err != nil {
				t.Fatalf("%s: packet %d (seq %#x): %v", ts.name, i, start+i, err)
			}
			// The ICV (or GCM AAD) covers the high bits: a receiver
			// without ESN accepts none of these.
			if _, _, err := plain.Decap(bytes.Clone(p)); err != ErrAuth && err != ErrReplay {
				t.Fatalf("%s: non-ESN receiver, seq %#x: %v", ts.name, start+i, err)
			}
		}
		if in.Highest() != start+11 {
			t.Fatalf("highest %#x", in.Highest())
		}
		for i := range late {
			if _, _, err := in.Decap(bytes.Clone(pkts[i])); err != nil {
				t.Fatalf("%s: late packet %d: %v", ts.name, i, err)
			}
			if _, _, err := in.Decap(bytes.Clone(pkts[i])); err != ErrReplay {
				t.Fatalf("%s: late packet %d again: %v", ts.name, i, err)
			}
		}
	}
}

func TestSequenceExhaustion(t *testing.T) {
	for _, esn := range []bool{false, true} {
		c := testSuites[2].config(esn)
		c.SoftLimit = 3
		out, in := pair(t, c)
		inner := innerPacket(4, 20, 1)
		for i := 1; i <= 3; i++ {
			if out.SoftLimitReached() {
				t.Fatalf("soft limit at %d", i)
			}
			encap(t, out, inner)
		}
		if !out.SoftLimitReached() {
			t.Fatal("soft limit not reached at 3")
		}
		last := uint64(math.MaxUint32)
		if esn {
			last = math.MaxUint64
		}
		out.seq.Store(last - 1)
		pkt := encap(t, out, inner)
		if out.Seq() != last {
			t.Fatalf("seq %#x", out.Seq())
		}
		if got := binary.BigEndian.Uint32(pkt[4:]); got != math.MaxUint32 {
			t.Fatalf("wire seq %#x", got)
		}
		in.win.top = last - 10
		if _, _, err := in.Decap(pkt); err != nil {
			t.Fatalf("esn=%v: last packet: %v", esn, err)
		}
		buf := make([]byte, HeaderRoom+20+TailRoom)
		for range 3 {
			copy(buf[HeaderRoom:], inner)
			if _, err := out.Encap(buf, HeaderRoom, 20); err != ErrSequenceExhausted {
				t.Fatalf("esn=%v: after the last: %v", esn, err)
			}
		}
		if out.Seq() != last {
			t.Fatalf("seq after exhaustion %#x", out.Seq())
		}
		// The default soft limit is 7/8 of the space.
		d, _ := NewOutboundSA(testSuites[2].config(esn))
		d.seq.Store(last/8*7 - 1)
		if d.SoftLimitReached() {
			t.Fatal("default soft limit too early")
		}
		d.seq.Add(1)
		if !d.SoftLimitReached() {
			t.Fatal("default soft limit not reached")
		}
	}
}

// TestTruncated feeds every prefix of valid packets, and random bytes, to
// every suite: errors, never panics, never success.
func TestTruncated(t *testing.T) {
	for _, ts := range testSuites {
		for _, esn := range []bool{false, true} {
			out, in := pair(t, ts.config(esn))
			for _, n := range []int{0, 1, 33, 200} {
				pkt := encap(t, out, innerPacket(4, n, 9))
				for l := range len(pkt) {
					if _, _, err := in.Decap(bytes.Clone(pkt[:l])); err == nil {
						t.Fatalf("%s: prefix %d of %d accepted", ts.name, l, len(pkt))
					}
				}
				// Longer by garbage: fails too.
				if _, _, err := in.Decap(append(bytes.Clone(pkt), 0)); err == nil {
					t.Fatalf("%s: extended packet accepted", ts.name)
				}
			}
			r := rand.New(rand.NewPCG(3, 4))
			for range 2000 {
				p := keyBytes(r.Uint64(), r.IntN(120))
				if _, _, err := in.Decap(p); err == nil {
					t.Fatalf("%s: random bytes accepted", ts.name)
				}
			}
			if _, _, err := in.Decap(nil); err != ErrMalformed {
				t.Fatalf("nil: %v", err)
			}
		}
	}
}

// TestPaddingChecks seals plaintexts with bad trailers under the SA's keys
// (white box) and checks the receiver's verdicts.
func TestPaddingChecks(t *testing.T) {
	c := testSuites[3].config(false) // AES-CBC-128 + SHA1: 16-byte blocks
	c.StrictPadding = true
	out, strict := pair(t, c)
	c.StrictPadding = false
	lax, _ := NewInboundSA(c)
	x := func(n int) []byte { return bytes.Repeat([]byte{0x45}, n) }
	for _, tc := range []struct {
		plain               []byte
		wantStrict, wantLax error
		inner               int
	}{
		{append(x(14), 15, 4), ErrPadding, ErrPadding, 0},                            // pad length 15 > 14
		{append(x(11), 1, 2, 9, 3, 4), ErrPadding, nil, 11},                          // padding 1,2,9
		{append(x(11), 1, 2, 3, 3, 4), nil, nil, 11},                                 // fine
		{append(x(14), 14, 4), ErrPadding, nil, 0},                                   // padding of 0x45
		{[]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 14, 59}, nil, nil, 0}, // all padding
		{append(x(30), 0, 41), nil, nil, 30},
	} {
		p := sealRaw(t, out, tc.plain)
		inner, _, err := strict.Decap(bytes.Clone(p))
		if err != tc.wantStrict || err == nil && len(inner) != tc.inner {
			t.Fatalf("strict %x: %v (%d bytes), want %v", tc.plain, err, len(inner), tc.wantStrict)
		}
		inner, _, err = lax.Decap(p)
		if err != tc.wantLax || err == nil && len(inner) != tc.inner {
			t.Fatalf("lax %x: %v (%d bytes), want %v", tc.plain, err, len(inner), tc.wantLax)
		}
	}
}

// sealRaw encrypts plaintext (payload, padding, pad length and next header)
// as the next packet of a CBC SA, with a zero IV.
func sealRaw(t *testing.T, sa *OutboundSA, plain []byte) []byte {
	t.Helper()
	s := sa.suite
	hdr := 8 + s.ivLen
	pkt := make([]byte, hdr+len(plain)+s.icvLen)
	seq, err := sa.nextSeq()
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint32(pkt, sa.spi)
	binary.BigEndian.PutUint32(pkt[4:], uint32(seq))
	copy(pkt[hdr:], plain)
	sc := sa.pool.Get().(*scratch)
	defer sa.pool.Put(sc)
	sc.cbc.(ivSetter).SetIV(pkt[8:hdr])
	ct := pkt[hdr : hdr+len(plain)]
	sc.cbc.CryptBlocks(ct, ct)
	sc.mac.Reset()
	sc.mac.Write(pkt[:hdr+len(plain)])
	copy(pkt[hdr+len(plain):], sc.mac.Sum(nil)[:s.icvLen])
	return pkt
}

func TestConfigErrors(t *testing.T) {
	good := testSuites[3].config(false)
	gcm := testSuites[2].config(false)
	cases := []struct {
		name string
		mod  func(c *Config)
		base Config
		want error
	}{
		{"AES-CTR", func(c *Config) { c.Encr = iana.ENCR_AES_CTR }, good, ErrUnsupported},
		{"NULL", func(c *Config) { c.Encr = iana.ENCR_NULL }, good, ErrUnsupported},
		{"GCM-8", func(c *Config) { c.Encr = iana.ENCR_AES_GCM_8 }, gcm, ErrUnsupported},
		{"MD5", func(c *Config) { c.Integ = iana.AUTH_HMAC_MD5_96 }, good, ErrUnsupported},
		{"XCBC", func(c *Config) { c.Integ = iana.AUTH_AES_XCBC_96 }, good, ErrUnsupported},
		{"CBC without integrity", func(c *Config) { c.Integ = iana.AUTH_NONE; c.IntegKey = nil }, good, ErrUnsupported},
		{"GCM with integrity", func(c *Config) { c.Integ = iana.AUTH_HMAC_SHA1_96 }, gcm, ErrUnsupported},
		{"GCM with integ key", func(c *Config) { c.IntegKey = []byte{1} }, gcm, ErrKey},
		{"AES-100", func(c *Config) { c.EncrKeyBits = 100 }, good, ErrUnsupported},
		{"key length mismatch", func(c *Config) { c.EncrKeyBits = 256 }, good, ErrKey},
		{"GCM without salt", func(c *Config) { c.EncrKey = c.EncrKey[:32] }, gcm, ErrKey},
		{"short HMAC key", func(c *Config) { c.IntegKey = c.IntegKey[:16] }, good, ErrKey},
		{"3DES-128", func(c *Config) { c.Encr = iana.ENCR_3DES; c.EncrKeyBits = 128 }, good, ErrUnsupported},
		{"window 100", func(c *Config) { c.ReplayWindow = 100 }, good, ErrConfig},
		{"window 32", func(c *Config) { c.ReplayWindow = 32 }, good, ErrConfig},
		{"window huge", func(c *Config) { c.ReplayWindow = 1 << 20 }, good, ErrConfig},
	}
	for _, c := range cases {
		cfg := c.base
		cfg.EncrKey = bytes.Clone(cfg.EncrKey)
		c.mod(&cfg)
		_, err1 := NewInboundSA(cfg)
		if !errors.Is(err1, c.want) {
			t.Errorf("%s: inbound %v, want %v", c.name, err1, c.want)
		}
		if c.want != ErrConfig {
			if _, err := NewOutboundSA(cfg); !errors.Is(err, c.want) {
				t.Errorf("%s: outbound %v, want %v", c.name, err, c.want)
			}
		}
		t.Logf("%s: %v", c.name, err1)
	}
	// Key length inferred when EncrKeyBits is 0.
	for _, ts := range testSuites {
		c := ts.config(false)
		c.EncrKeyBits = 0
		if _, err := NewInboundSA(c); err != nil {
			t.Errorf("%s without key bits: %v", ts.name, err)
		}
	}
	for _, w := range []int{64, 128, 2048, MaxReplayWindow} {
		c := good
		c.ReplayWindow = w
		if _, err := NewInboundSA(c); err != nil {
			t.Errorf("window %d: %v", w, err)
		}
	}
}

// TestConcurrent encapsulates and decapsulates on shared SAs from several
// goroutines; run with -race.
func TestConcurrent(t *testing.T) {
	for _, ts := range []testSuite{testSuites[2], testSuites[3]} {
		c := ts.config(false)
		c.ReplayWindow = 4096 // more than G*N: none is too old
		out, in := pair(t, c)
		const G, N = 8, 300
		ch := make(chan []byte, G*N)
		var wg sync.WaitGroup
		for g := range G {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range N {
					inner := innerPacket(4+2*(i%2), 100+i, uint64(g))
					buf := make([]byte, HeaderRoom+len(inner)+TailRoom)
					copy(buf[HeaderRoom:], inner)
					pkt, err := out.Encap(buf, HeaderRoom, len(inner))
					if err != nil {
						t.Error(err)
						return
					}
					ch <- pkt
				}
			}()
		}
		wg.Wait()
		close(ch)
		pkts := make([][]byte, 0, G*N)
		for p := range ch {
			pkts = append(pkts, p)
		}
		// Duplicate every packet: exactly one copy of each is accepted.
		var work [][]byte
		for _, p := range pkts {
			work = append(work, p, bytes.Clone(p))
		}
		rand.Shuffle(len(work), func(i, j int) { work[i], work[j] = work[j], work[i] })
		var mu sync.Mutex
		seqs := map[uint32]int{}
		errs := map[error]int{}
		next := make(chan []byte)
		for range G {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range next {
					seq := binary.BigEndian.Uint32(p[4:])
					_, _, err := in.Decap(p)
					mu.Lock()
					errs[err]++
					if err == nil {
						seqs[seq]++
					}
					mu.Unlock()
				}
			}()
		}
		for _, p := range work {
			next <- p
		}
		close(next)
		wg.Wait()
		// Each packet is accepted exactly once.
		for s, n := range seqs {
			if n != 1 || s == 0 || s > G*N {
				t.Fatalf("seq %d accepted %d times", s, n)
			}
		}
		if errs[nil] != G*N || errs[ErrReplay] != G*N {
			t.Fatalf("%s: results %v", ts.name, errs)
		}
		t.Logf("%s: %v", ts.name, errs)
	}
}

func TestSupported(t *testing.T) {
	for _, ts := range testSuites {
		if err := Supported(ts.encr, int(ts.bits), ts.integ); err != nil {
			t.Errorf("%s: %v", ts.name, err)
		}
	}
	for _, c := range []struct {
		encr  iana.EncrID
		bits  int
		integ iana.IntegID
	}{
		{iana.ENCR_AES_GCM_16, 0, iana.AUTH_NONE},
		{iana.ENCR_AES_GCM_16, 64, iana.AUTH_NONE},
		{iana.ENCR_AES_GCM_16, 256, iana.AUTH_HMAC_SHA1_96},
		{iana.ENCR_AES_GCM_12, 256, iana.AUTH_NONE},
		{iana.ENCR_AES_CBC, 256, iana.AUTH_NONE},
		{iana.ENCR_AES_CBC, 256, iana.AUTH_HMAC_MD5_96},
		{iana.ENCR_AES_CBC, -8, iana.AUTH_HMAC_SHA1_96},
		{iana.ENCR_AES_CBC, 1 << 20, iana.AUTH_HMAC_SHA1_96},
		{iana.ENCR_3DES, 128, iana.AUTH_HMAC_SHA1_96},
		{iana.ENCR_CHACHA20_POLY1305, 256, iana.AUTH_NONE},
	} {
		err := Supported(c.encr, c.bits, c.integ)
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%d/%d/%d: %v", c.encr, c.bits, c.integ, err)
		}
	}
}
