package esp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// Buffer room an Encap caller must leave around the inner packet.
const (
	// HeaderRoom is the most bytes any suite writes in front of the inner
	// packet: SPI (4) + sequence number (4) + IV (at most 16, AES-CBC).
	HeaderRoom = 8 + 16
	// TailRoom is the most bytes any suite writes after the inner packet:
	// padding (at most 15, to a 16-byte block) + pad length (1) + next
	// header (1) + ICV (at most 32, HMAC-SHA2-512-256).
	TailRoom = 15 + 2 + 32
)

// Next Header values used in tunnel mode.
const (
	ProtoIPv4   byte = 4  // IP-in-IP
	ProtoIPv6   byte = 41 // IPv6
	ProtoNoNext byte = 59 // no next header: a dummy packet (RFC 4303 section 2.6)
)

// DefaultReplayWindow is the anti-replay window, in packets, when
// Config.ReplayWindow is zero.
const DefaultReplayWindow = 1024

// MaxReplayWindow is the largest accepted Config.ReplayWindow.
const MaxReplayWindow = 1 << 16

// Errors. Per-packet errors are these values themselves (never wrapped), so
// the hot path does not allocate; configuration errors wrap ErrUnsupported or
// ErrKey with details.
var (
	ErrUnsupported       = errors.New("esp: unsupported transform")
	ErrKey               = errors.New("esp: bad key material")
	ErrConfig            = errors.New("esp: bad SA configuration")
	ErrShortBuffer       = errors.New("esp: buffer lacks header or tail room")
	ErrInnerPacket       = errors.New("esp: inner packet is neither IPv4 nor IPv6")
	ErrSequenceExhausted = errors.New("esp: sequence number space exhausted, rekey needed")
	ErrMalformed         = errors.New("esp: malformed ESP packet")
	ErrAuth              = errors.New("esp: integrity check failed")
	ErrReplay            = errors.New("esp: replayed or too old sequence number")
	ErrPadding           = errors.New("esp: bad padding in authenticated packet")
)

// Config describes one direction of a CHILD SA.
type Config struct {
	SPI uint32 // the SPI on the wire (the receiver's choice)

	Encr        iana.EncrID  // iana.ENCR_AES_GCM_16, iana.ENCR_AES_CBC or iana.ENCR_3DES
	EncrKeyBits int          // key length attribute: 128, 192 or 256 (AES), 192 (3DES); 0 = from len(EncrKey)
	Integ       iana.IntegID // iana.AUTH_HMAC_*; iana.AUTH_NONE with AES-GCM

	// EncrKey is the encryption key; for AES-GCM the key followed by the
	// 4-byte salt (RFC 4106 section 8.1), as the IKE key derivation yields it.
	EncrKey  []byte
	IntegKey []byte // the HMAC key, as long as the hash output (RFC 4868)

	ESN bool // extended (64-bit) sequence numbers

	// ReplayWindow is the inbound anti-replay window in packets: a power of
	// two from 64 to MaxReplayWindow; 0 selects DefaultReplayWindow.
	ReplayWindow int
	// SoftLimit is the outbound sequence number from which
	// OutboundSA.SoftLimitReached reports true; 0 selects 7/8 of the
	// sequence space.
	SoftLimit uint64
	// StrictPadding makes the inbound SA check that the padding bytes are
	// 1, 2, 3, ... (RFC 4303 section 2.4). Off by default, as the padding is
	// covered by the ICV anyway.
	StrictPadding bool
}

// suite is a resolved algorithm combination with its keyed primitives.
// Everything in it is safe for concurrent use.
type suite struct {
	aead   cipher.AEAD  // AES-GCM, or nil
	salt   [4]byte      // AES-GCM salt
	block  cipher.Block // CBC cipher, or nil
	ivLen  int          // explicit IV bytes on the wire
	align  int          // the ciphertext length is a multiple of this
	icvLen int          // ICV bytes on the wire

	newHash func() hash.Hash // HMAC hash, or nil
	macKey  []byte
	name    string
}

func newSuite(c *Config) (*suite, error) {
	s := &suite{}
	encName := c.Encr.String()
	integName := c.Integ.String()
	bits := c.EncrKeyBits
	switch c.Encr {
	case iana.ENCR_AES_GCM_16:
		if bits == 0 {
			bits = (len(c.EncrKey) - 4) * 8
		}
		if bits != 128 && bits != 192 && bits != 256 {
			return nil, fmt.Errorf("%w: %s with a %d-bit key", ErrUnsupported, encName, bits)
		}
		if len(c.EncrKey) != bits/8+4 {
			return nil, fmt.Errorf("%w: %s-%d needs %d bytes of key and salt, got %d", ErrKey, encName, bits, bits/8+4, len(c.EncrKey))
		}
		if c.Integ != iana.AUTH_NONE {
			return nil, fmt.Errorf("%w: %s with integrity %s (a combined-mode cipher takes none)", ErrUnsupported, encName, integName)
		}
		if len(c.IntegKey) != 0 {
			return nil, fmt.Errorf("%w: %s takes no integrity key", ErrKey, encName)
		}
		b, err := aes.NewCipher(c.EncrKey[:bits/8])
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		if s.aead, err = cipher.NewGCM(b); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		copy(s.salt[:], c.EncrKey[bits/8:])
		s.ivLen, s.align, s.icvLen = 8, 4, 16
		s.name = fmt.Sprintf("AES-GCM-16-%d", bits)
		return s, nil
	case iana.ENCR_AES_CBC:
		if bits == 0 {
			bits = len(c.EncrKey) * 8
		}
		if bits != 128 && bits != 192 && bits != 256 {
			return nil, fmt.Errorf("%w: %s with a %d-bit key", ErrUnsupported, encName, bits)
		}
		if len(c.EncrKey) != bits/8 {
			return nil, fmt.Errorf("%w: %s-%d needs a %d-byte key, got %d", ErrKey, encName, bits, bits/8, len(c.EncrKey))
		}
		b, err := aes.NewCipher(c.EncrKey)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		s.block, s.ivLen, s.align = b, 16, 16
		s.name = fmt.Sprintf("AES-CBC-%d", bits)
	case iana.ENCR_3DES:
		if bits == 0 {
			bits = len(c.EncrKey) * 8
		}
		if bits != 192 {
			return nil, fmt.Errorf("%w: %s with a %d-bit key", ErrUnsupported, encName, bits)
		}
		if len(c.EncrKey) != 24 {
			return nil, fmt.Errorf("%w: %s needs a 24-byte key, got %d", ErrKey, encName, len(c.EncrKey))
		}
		b, err := des.NewTripleDESCipher(c.EncrKey)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		s.block, s.ivLen, s.align = b, 8, 8
		s.name = "3DES-CBC"
	default:
		return nil, fmt.Errorf("%w: encryption %s", ErrUnsupported, encName)
	}

	var keyLen int
	switch c.Integ {
	case iana.AUTH_HMAC_SHA1_96:
		s.newHash, keyLen, s.icvLen = sha1.New, 20, 12
	case iana.AUTH_HMAC_SHA2_256_128:
		s.newHash, keyLen, s.icvLen = sha256.New, 32, 16
	case iana.AUTH_HMAC_SHA2_384_192:
		s.newHash, keyLen, s.icvLen = sha512.New384, 48, 24
	case iana.AUTH_HMAC_SHA2_512_256:
		s.newHash, keyLen, s.icvLen = sha512.New, 64, 32
	case iana.AUTH_NONE:
		return nil, fmt.Errorf("%w: %s without integrity protection", ErrUnsupported, encName)
	default:
		return nil, fmt.Errorf("%w: %s with integrity %s", ErrUnsupported, encName, integName)
	}
	if len(c.IntegKey) != keyLen {
		return nil, fmt.Errorf("%w: %s needs a %d-byte key, got %d", ErrKey, integName, keyLen, len(c.IntegKey))
	}
	s.macKey = append([]byte(nil), c.IntegKey...)
	s.name += "+" + integName
	return s, nil
}

// Supported reports whether the package implements the ESP suite of
// encryption transform encr with a keyBits-bit key and integrity transform
// integ (iana.AUTH_NONE for AES-GCM), so that the IKE layer offers or accepts
// only CHILD SA proposals that can be installed. The error says why not.
func Supported(encr iana.EncrID, keyBits int, integ iana.IntegID) error {
	c := Config{Encr: encr, EncrKeyBits: keyBits, Integ: integ}
	if keyBits <= 0 || keyBits > 512 {
		return fmt.Errorf("%w: %s with a %d-bit key", ErrUnsupported, encr, keyBits)
	}
	c.EncrKey = make([]byte, keyBits/8)
	if encr == iana.ENCR_AES_GCM_16 {
		c.EncrKey = make([]byte, keyBits/8+4)
	}
	switch integ {
	case iana.AUTH_HMAC_SHA1_96:
		c.IntegKey = make([]byte, 20)
	case iana.AUTH_HMAC_SHA2_256_128:
		c.IntegKey = make([]byte, 32)
	case iana.AUTH_HMAC_SHA2_384_192:
		c.IntegKey = make([]byte, 48)
	case iana.AUTH_HMAC_SHA2_512_256:
		c.IntegKey = make([]byte, 64)
	}
	_, err := newSuite(&c)
	return err
}

// scratch is per-call state that is not safe to share between goroutines;
// SAs keep them in a sync.Pool.
type scratch struct {
	mac   hash.Hash
	cbc   cipher.BlockMode
	nonce [12]byte
	aad   [12]byte
	sum   [64]byte
	blk   [16]byte
}

type ivSetter interface{ SetIV([]byte) }

func (s *suite) newScratch(encrypt bool) *scratch {
	sc := &scratch{}
	if s.block != nil {
		iv := make([]byte, s.ivLen)
		if encrypt {
			sc.cbc = cipher.NewCBCEncrypter(s.block, iv)
		} else {
			sc.cbc = cipher.NewCBCDecrypter(s.block, iv)
		}
		if _, ok := sc.cbc.(ivSetter); !ok {
			panic("esp: CBC mode without SetIV") // all standard library CBC modes have it
		}
		sc.mac = hmac.New(s.newHash, s.macKey)
	}
	return sc
}
