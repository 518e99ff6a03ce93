package ikecrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// SKCipher protects the body of an Encrypted payload (SK, RFC 7296 section
// 3.14) or of an Encrypted Fragment payload (SKF, RFC 7383 section 2.5) in
// one direction: build one with SK_ei/SK_ai to send as the initiator and
// another with SK_er/SK_ar to receive, and the reverse as the responder.
//
// The body is
//
//	IV | Encrypted(plaintext | Padding | Pad Length) | ICV
//
// and the bytes before it (IKE header and the payload's header, including
// the SKF Fragment Number and Total Fragments) are the prefix: for CBC with
// an HMAC the ICV covers prefix | IV | ciphertext, and for AES-GCM the prefix
// is the Additional Authenticated Data (RFC 5282 section 5.1). Every length
// field in the prefix must be final before Seal, see SealedLen.
//
// An SKCipher is safe for concurrent use.
type SKCipher struct {
	encrID iana.EncrID
	ivLen  int
	icvLen int
	block  int // length the padded plaintext aligns to; 1 for AES-GCM

	cbc cipher.Block // CBC modes
	mac *MAC         // CBC modes; guarded by mu

	aead cipher.AEAD // AES-GCM
	salt [gcmSaltLen]byte

	mu       sync.Mutex
	ivSeq    uint64 // AES-GCM: last explicit IV used; guarded by mu
	ivSeeded bool   // AES-GCM: ivSeq holds a random start; guarded by mu
}

// NewSKCipher returns the cipher for encryption transform encrID with Key
// Length attribute keyLenBits (see KeyMatLen) and integrity transform
// integID (AUTH_NONE for AES-GCM). encKey is SK_e (with the salt for
// AES-GCM), integKey is SK_a (empty for AES-GCM).
func NewSKCipher(encrID iana.EncrID, keyLenBits int, integID iana.IntegID, encKey, integKey []byte) (*SKCipher, error) {
	lens, err := SuiteKeyLens(encrID, keyLenBits, integID)
	if err != nil {
		return nil, err
	}
	if len(encKey) != lens.Encr {
		return nil, fmt.Errorf("%w: %s keying material is %d octets, want %d", ErrKeyLength, encrID, len(encKey), lens.Encr)
	}
	if len(integKey) != lens.Integ {
		return nil, fmt.Errorf("%w: integrity key is %d octets, want %d for %s",
			ErrKeyLength, len(integKey), lens.Integ, integID)
	}
	c := &SKCipher{encrID: encrID}
	if isAEAD(encrID) {
		key := encKey[:len(encKey)-gcmSaltLen]
		copy(c.salt[:], encKey[len(key):])
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("ikecrypto: %s: %w", encrID, err)
		}
		c.icvLen = gcmICVLens[encrID]
		if c.aead, err = cipher.NewGCMWithTagSize(b, c.icvLen); err != nil {
			return nil, fmt.Errorf("ikecrypto: %s: %w", encrID, err)
		}
		c.ivLen, c.block = gcmIVLen, 1
		return c, nil
	}
	if encrID == iana.ENCR_3DES {
		c.cbc, err = des.NewTripleDESCipher(encKey)
	} else {
		c.cbc, err = aes.NewCipher(encKey)
	}
	if err != nil {
		return nil, fmt.Errorf("ikecrypto: %s: %w", encrID, err)
	}
	integ, err := NewInteg(integID)
	if err != nil {
		return nil, err
	}
	if c.mac, err = integ.Key(integKey); err != nil {
		return nil, err
	}
	// The IV is one cipher block (RFC 3602 section 3, RFC 2451 section 2.4).
	c.block = c.cbc.BlockSize()
	c.ivLen, c.icvLen = c.block, c.mac.ICVLen()
	return c, nil
}

// Overhead returns the body's length beyond the plaintext when no padding
// is needed: IV, Pad Length octet and ICV.
func (c *SKCipher) Overhead() int { return c.ivLen + 1 + c.icvLen }

// paddedLen returns the length of plaintext | Padding | Pad Length. CBC
// aligns it to the block size; AES-GCM needs no padding (RFC 5282 section 3).
func (c *SKCipher) paddedLen(plainLen int) int {
	return (plainLen + 1 + c.block - 1) / c.block * c.block
}

// SealedLen returns the length of the body Seal produces for a plaintext of
// plainLen octets, so that the caller can write the IKE header's Length and
// the payload's Payload Length before sealing.
func (c *SKCipher) SealedLen(plainLen int) int {
	return c.ivLen + c.paddedLen(plainLen) + c.icvLen
}

// Seal appends to dst the Encrypted payload body protecting plaintext, and
// returns the extended slice. prefix is the message up to the body (see
// SKCipher), and may be dst itself. plaintext must not overlap dst's spare
// capacity. rand supplies the CBC IV, or the starting point of the AES-GCM
// IV counter. The padding is zeros, and only what CBC alignment needs
// (RFC 7296 section 3.14 lets the sender choose).
func (c *SKCipher) Seal(dst, prefix, plaintext []byte, rand io.Reader) ([]byte, error) {
	padded := c.paddedLen(len(plaintext))
	ret, out := sliceForAppend(dst, c.ivLen+padded+c.icvLen)
	iv, ct := out[:c.ivLen], out[c.ivLen:c.ivLen+padded]

	copy(ct, plaintext)
	clear(ct[len(plaintext):])
	ct[padded-1] = byte(padded - len(plaintext) - 1) // Pad Length

	if c.aead != nil {
		if err := c.nextGCMIV(iv, rand); err != nil {
			return nil, err
		}
		nonce := c.gcmNonce(iv)
		c.aead.Seal(ct[:0], nonce[:], ct, prefix) // appends the tag in place of the ICV
		return ret, nil
	}

	if _, err := io.ReadFull(rand, iv); err != nil {
		return nil, fmt.Errorf("ikecrypto: reading %s IV: %w", c.encrID, err)
	}
	cipher.NewCBCEncrypter(c.cbc, iv).CryptBlocks(ct, ct)
	c.mu.Lock()
	c.mac.Sum(out[c.ivLen+padded:][:0], prefix, out[:c.ivLen+padded])
	c.mu.Unlock()
	return ret, nil
}

// Open checks and decrypts an Encrypted payload body, returning the inner
// payloads without padding in a new slice. prefix is the message up to the
// body. The ICV is checked in constant time before anything is decrypted.
// Errors wrap ErrMalformed (too short, misaligned, bad Pad Length) or
// ErrIntegrity (ICV or tag mismatch).
func (c *SKCipher) Open(prefix, body []byte) ([]byte, error) {
	// The smallest body holds one block with the Pad Length octet.
	if min := c.ivLen + c.block + c.icvLen; len(body) < min {
		return nil, fmt.Errorf("%w: %s body is %d octets, need at least %d", ErrMalformed, c.encrID, len(body), min)
	}
	iv, ct := body[:c.ivLen], body[c.ivLen:len(body)-c.icvLen]

	var pt []byte
	if c.aead != nil {
		nonce := c.gcmNonce(iv)
		var err error
		// cipher.AEAD verifies the tag before it releases any plaintext.
		if pt, err = c.aead.Open(nil, nonce[:], body[c.ivLen:], prefix); err != nil {
			return nil, fmt.Errorf("%w: %s tag mismatch", ErrIntegrity, c.encrID)
		}
	} else {
		if len(ct)%c.block != 0 {
			return nil, fmt.Errorf("%w: %s ciphertext is %d octets, not a multiple of the %d-octet block",
				ErrMalformed, c.encrID, len(ct), c.block)
		}
		icvStart := len(body) - c.icvLen
		c.mu.Lock()
		ok := c.mac.Verify(body[icvStart:], prefix, body[:icvStart])
		c.mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("%w: ICV mismatch", ErrIntegrity)
		}
		pt = make([]byte, len(ct))
		cipher.NewCBCDecrypter(c.cbc, iv).CryptBlocks(pt, ct)
	}

	padLen := int(pt[len(pt)-1])
	if padLen+1 > len(pt) {
		return nil, fmt.Errorf("%w: Pad Length %d exceeds the %d decrypted octets", ErrMalformed, padLen, len(pt))
	}
	return pt[:len(pt)-1-padLen], nil
}

// nextGCMIV writes the next explicit IV. RFC 5282 section 3.1 requires an
// IV never to repeat under a key; a counter guarantees that within this
// SKCipher, and its random start keeps two SKCiphers mistakenly built from
// the same key apart.
func (c *SKCipher) nextGCMIV(iv []byte, rand io.Reader) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ivSeeded {
		var seed [8]byte
		if _, err := io.ReadFull(rand, seed[:]); err != nil {
			return fmt.Errorf("ikecrypto: seeding %s IV counter: %w", c.encrID, err)
		}
		c.ivSeq, c.ivSeeded = binary.BigEndian.Uint64(seed[:]), true
	}
	c.ivSeq++
	binary.BigEndian.PutUint64(iv, c.ivSeq)
	return nil
}

// gcmNonce returns salt | IV (RFC 5282 section 4).
func (c *SKCipher) gcmNonce(iv []byte) (nonce [gcmSaltLen + gcmIVLen]byte) {
	copy(nonce[:], c.salt[:])
	copy(nonce[gcmSaltLen:], iv)
	return nonce
}

// sliceForAppend extends in by n octets, reallocating if needed, and
// returns the whole slice and the n new octets.
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	return head, head[len(in):]
}
