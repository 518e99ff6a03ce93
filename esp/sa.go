package esp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// Stats are the counters of one SA. Bytes counts inner (plaintext) IP packet
// bytes, the quantity that IKE lifetime policies limit.
type Stats struct {
	Packets uint64 // packets encapsulated, or decapsulated successfully
	Bytes   uint64 // inner packet bytes of those packets

	// Inbound only: packets dropped, by reason.
	AuthFailures uint64 // ErrAuth
	Replays      uint64 // ErrReplay
	Malformed    uint64 // ErrMalformed, ErrPadding
}

type counters struct {
	packets, bytes, auth, replay, malformed atomic.Uint64
}

func (c *counters) stats() Stats {
	return Stats{
		Packets: c.packets.Load(), Bytes: c.bytes.Load(),
		AuthFailures: c.auth.Load(), Replays: c.replay.Load(), Malformed: c.malformed.Load(),
	}
}

// common is what both directions share.
type common struct {
	suite *suite
	spi   uint32
	esn   bool
	pool  sync.Pool // *scratch
	cnt   counters
}

func (c *common) init(cfg *Config, encrypt bool) error {
	s, err := newSuite(cfg)
	if err != nil {
		return err
	}
	c.suite, c.spi, c.esn = s, cfg.SPI, cfg.ESN
	c.pool.New = func() any { return s.newScratch(encrypt) }
	return nil
}

// SPI returns the SA's SPI.
func (c *common) SPI() uint32 { return c.spi }

// HeaderLen is the number of bytes written in front of the inner packet
// (SPI, sequence number and IV); it is at most HeaderRoom.
func (c *common) HeaderLen() int { return 8 + c.suite.ivLen }

// TrailerLen is the number of bytes that follow an inner packet of n bytes in
// the ESP packet (padding, pad length, next header and ICV); it is at most
// TailRoom.
func (c *common) TrailerLen(n int) int {
	a := c.suite.align
	return (a-(n+2)%a)%a + 2 + c.suite.icvLen
}

// Overhead is the ESP packet length minus the inner packet length for an
// inner packet of n bytes.
func (c *common) Overhead(n int) int { return c.HeaderLen() + c.TrailerLen(n) }

// Suite names the algorithms, e.g. "AES-GCM-16-256" or
// "AES-CBC-128+HMAC_SHA2_256_128".
func (c *common) Suite() string { return c.suite.name }

// Stats returns the SA's counters.
func (c *common) Stats() Stats { return c.cnt.stats() }

// OutboundSA encapsulates packets for one outbound CHILD SA.
type OutboundSA struct {
	common
	seq    atomic.Uint64 // the last sequence number used
	maxSeq uint64
	soft   uint64
	ivKey  cipher.Block // CBC IV generator, see the package documentation
}

// NewOutboundSA makes an outbound SA from cfg.
func NewOutboundSA(cfg Config) (*OutboundSA, error) {
	sa := &OutboundSA{maxSeq: math.MaxUint32}
	if err := sa.init(&cfg, true); err != nil {
		return nil, err
	}
	if cfg.ESN {
		sa.maxSeq = math.MaxUint64
	}
	sa.soft = cfg.SoftLimit
	if sa.soft == 0 {
		sa.soft = sa.maxSeq / 8 * 7
	}
	if sa.suite.block != nil {
		var k [16]byte
		if _, err := rand.Read(k[:]); err != nil {
			return nil, fmt.Errorf("esp: IV key: %w", err)
		}
		b, err := aes.NewCipher(k[:])
		if err != nil {
			return nil, err
		}
		sa.ivKey = b
	}
	return sa, nil
}

// Seq returns the last sequence number used, 0 before the first packet.
func (sa *OutboundSA) Seq() uint64 { return min(sa.seq.Load(), sa.maxSeq) }

// SoftLimitReached reports whether the sequence number has reached the soft
// limit (Config.SoftLimit), the point at which the SA should be rekeyed.
func (sa *OutboundSA) SoftLimitReached() bool { return sa.seq.Load() >= sa.soft }

func (sa *OutboundSA) nextSeq() (uint64, error) {
	if !sa.esn {
		// A 64-bit counter that is only allowed up to 2^32-1 cannot wrap.
		s := sa.seq.Add(1)
		if s > math.MaxUint32 {
			return 0, ErrSequenceExhausted
		}
		return s, nil
	}
	for {
		cur := sa.seq.Load()
		if cur == math.MaxUint64 {
			return 0, ErrSequenceExhausted
		}
		if sa.seq.CompareAndSwap(cur, cur+1) {
			return cur + 1, nil
		}
	}
}

// Encap turns the inner IP packet buf[off:off+n] into an ESP packet in place
// and returns it; it is buf[off-sa.HeaderLen() : off+n+sa.TrailerLen(n)].
// off must be at least sa.HeaderLen() (HeaderRoom always suffices) and
// len(buf) at least off+n+sa.TrailerLen(n) (off+n+TailRoom always suffices).
//
// The Next Header is 4 or 41 after the inner packet's version nibble; an
// empty inner packet is sent as a dummy packet (Next Header 59).
func (sa *OutboundSA) Encap(buf []byte, off, n int) ([]byte, error) {
	if off < 0 || n < 0 || off+n > len(buf) || off+n < off {
		return nil, ErrShortBuffer
	}
	var nh byte
	switch {
	case n == 0:
		nh = ProtoNoNext
	case buf[off]>>4 == 4:
		nh = ProtoIPv4
	case buf[off]>>4 == 6:
		nh = ProtoIPv6
	default:
		return nil, ErrInnerPacket
	}
	return sa.EncapProto(buf, off, n, nh)
}

// EncapProto is Encap with the Next Header given by the caller.
func (sa *OutboundSA) EncapProto(buf []byte, off, n int, nextHeader byte) ([]byte, error) {
	s := sa.suite
	hdr := 8 + s.ivLen
	if off < hdr || n < 0 || off > len(buf) || n > len(buf)-off {
		return nil, ErrShortBuffer
	}
	padLen := (s.align - (n+2)%s.align) % s.align
	ctLen := n + padLen + 2
	if ctLen+s.icvLen > len(buf)-off {
		return nil, ErrShortBuffer
	}
	seq, err := sa.nextSeq()
	if err != nil {
		return nil, err
	}
	return sa.seal(buf, off, n, nextHeader, seq), nil
}

// seal is EncapProto with a sequence number taken earlier from nextSeq and
// the buffer already checked. The Tunnel takes the numbers in the order the
// packets leave and seals them on several cores, so that the wire order and
// the sequence order agree (a peer with a small replay window, strongSwan's
// default is 32, would drop packets that overtake each other by more).
func (sa *OutboundSA) seal(buf []byte, off, n int, nextHeader byte, seq uint64) []byte {
	s := sa.suite
	hdr := 8 + s.ivLen
	padLen := (s.align - (n+2)%s.align) % s.align
	ctLen := n + padLen + 2
	pkt := buf[off-hdr : off+ctLen+s.icvLen : off+ctLen+s.icvLen]
	binary.BigEndian.PutUint32(pkt[0:4], sa.spi)
	binary.BigEndian.PutUint32(pkt[4:8], uint32(seq))
	tr := pkt[hdr+n : hdr+ctLen]
	for i := range padLen {
		tr[i] = byte(i + 1)
	}
	tr[padLen] = byte(padLen)
	tr[padLen+1] = nextHeader
	ct := pkt[hdr : hdr+ctLen]

	sc := sa.pool.Get().(*scratch)
	if s.aead != nil {
		copy(sc.nonce[:4], s.salt[:])
		binary.BigEndian.PutUint64(sc.nonce[4:], seq)
		copy(pkt[8:16], sc.nonce[4:12])
		aad := pkt[0:8]
		if sa.esn {
			binary.BigEndian.PutUint32(sc.aad[0:4], sa.spi)
			binary.BigEndian.PutUint64(sc.aad[4:12], seq)
			aad = sc.aad[:12]
		}
		s.aead.Seal(ct[:0], sc.nonce[:], ct, aad)
	} else {
		iv := pkt[8:hdr]
		clear(sc.blk[:8])
		binary.BigEndian.PutUint64(sc.blk[8:], seq)
		sa.ivKey.Encrypt(sc.blk[:], sc.blk[:])
		copy(iv, sc.blk[:])
		sc.cbc.(ivSetter).SetIV(iv)
		sc.cbc.CryptBlocks(ct, ct)
		sc.mac.Reset()
		sc.mac.Write(pkt[:hdr+ctLen])
		if sa.esn {
			binary.BigEndian.PutUint32(sc.blk[:4], uint32(seq>>32))
			sc.mac.Write(sc.blk[:4])
		}
		sum := sc.mac.Sum(sc.sum[:0])
		copy(pkt[hdr+ctLen:], sum[:s.icvLen])
	}
	sa.pool.Put(sc)
	sa.cnt.packets.Add(1)
	sa.cnt.bytes.Add(uint64(n))
	return pkt
}

// InboundSA decapsulates the packets of one inbound CHILD SA.
type InboundSA struct {
	common
	strictPad bool
	win       *replayWindow
}

// NewInboundSA makes an inbound SA from cfg.
func NewInboundSA(cfg Config) (*InboundSA, error) {
	w := cfg.ReplayWindow
	if w == 0 {
		w = DefaultReplayWindow
	}
	if w < 64 || w > MaxReplayWindow || w&(w-1) != 0 {
		return nil, fmt.Errorf("%w: replay window %d is not a power of two from 64 to %d", ErrConfig, cfg.ReplayWindow, MaxReplayWindow)
	}
	sa := &InboundSA{strictPad: cfg.StrictPadding, win: newReplayWindow(w)}
	if err := sa.init(&cfg, false); err != nil {
		return nil, err
	}
	return sa, nil
}

// Highest returns the highest sequence number accepted so far.
func (sa *InboundSA) Highest() uint64 { return sa.win.highest() }

// Decap checks and decrypts the ESP packet pkt (from the SPI to the ICV) in
// place and returns the inner packet, a sub-slice of pkt, and its Next Header
// (4 IPv4, 41 IPv6, 59 a dummy packet the caller should drop). The inner
// packet may be followed by TFC padding of the peer's; trim it by the IP
// header's length.
//
// The caller finds the SA by the packet's SPI (see SPI); a packet with
// another SPI fails with ErrAuth, as it would fail the ICV.
//
// With ESN, a packet older than the window is taken to belong to the next
// 2^32 subspace (RFC 4303 Appendix A2.2), so it fails with ErrAuth rather
// than ErrReplay.
//
// The order is: length check; a read-only replay check; the ICV
// (or the GCM tag) in constant time; only then the replay window update;
// then CBC decryption and the padding check. A packet that fails
// authentication never changes the window. Errors are ErrMalformed,
// ErrReplay, ErrAuth and ErrPadding, never wrapped.
func (sa *InboundSA) Decap(pkt []byte) (inner []byte, nextHeader byte, err error) {
	s := sa.suite
	hdr := 8 + s.ivLen
	ctLen := len(pkt) - hdr - s.icvLen
	if ctLen < 2 || (s.aead == nil && ctLen%s.align != 0) {
		sa.cnt.malformed.Add(1)
		return nil, 0, ErrMalformed
	}
	if binary.BigEndian.Uint32(pkt[0:4]) != sa.spi {
		// Not authentic for this SA (the SPI is covered by the ICV).
		sa.cnt.auth.Add(1)
		return nil, 0, ErrAuth
	}
	seq, ok := sa.win.precheck(binary.BigEndian.Uint32(pkt[4:8]), sa.esn)
	if !ok {
		sa.cnt.replay.Add(1)
		return nil, 0, ErrReplay
	}

	sc := sa.pool.Get().(*scratch)
	ct := pkt[hdr : hdr+ctLen]
	if s.aead != nil {
		copy(sc.nonce[:4], s.salt[:])
		copy(sc.nonce[4:], pkt[8:16])
		aad := pkt[0:8]
		if sa.esn {
			binary.BigEndian.PutUint32(sc.aad[0:4], sa.spi)
			binary.BigEndian.PutUint64(sc.aad[4:12], seq)
			aad = sc.aad[:12]
		}
		if _, err := s.aead.Open(ct[:0], sc.nonce[:], pkt[hdr:], aad); err != nil {
			sa.pool.Put(sc)
			sa.cnt.auth.Add(1)
			return nil, 0, ErrAuth
		}
		sa.pool.Put(sc)
		if !sa.win.accept(seq) {
			sa.cnt.replay.Add(1)
			return nil, 0, ErrReplay
		}
	} else {
		sc.mac.Reset()
		sc.mac.Write(pkt[:hdr+ctLen])
		if sa.esn {
			binary.BigEndian.PutUint32(sc.blk[:4], uint32(seq>>32))
			sc.mac.Write(sc.blk[:4])
		}
		sum := sc.mac.Sum(sc.sum[:0])
		if !hmac.Equal(sum[:s.icvLen], pkt[hdr+ctLen:]) {
			sa.pool.Put(sc)
			sa.cnt.auth.Add(1)
			return nil, 0, ErrAuth
		}
		if !sa.win.accept(seq) {
			sa.pool.Put(sc)
			sa.cnt.replay.Add(1)
			return nil, 0, ErrReplay
		}
		sc.cbc.(ivSetter).SetIV(pkt[8:hdr])
		sc.cbc.CryptBlocks(ct, ct)
		sa.pool.Put(sc)
	}

	padLen := int(ct[ctLen-2])
	nextHeader = ct[ctLen-1]
	if padLen > ctLen-2 {
		sa.cnt.malformed.Add(1)
		return nil, 0, ErrPadding
	}
	n := ctLen - 2 - padLen
	if sa.strictPad {
		for i, b := range ct[n : ctLen-2] {
			if b != byte(i+1) {
				sa.cnt.malformed.Add(1)
				return nil, 0, ErrPadding
			}
		}
	}
	sa.cnt.packets.Add(1)
	sa.cnt.bytes.Add(uint64(n))
	return ct[:n], nextHeader, nil
}
