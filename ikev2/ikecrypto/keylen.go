package ikecrypto

import (
	"fmt"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// gcmSaltLen is the salt that ends the keying material of AES-GCM
// (RFC 5282 section 7.1, RFC 4106 section 8.1).
const gcmSaltLen = 4

// gcmIVLen is the explicit IV carried in the payload (RFC 5282 section 3.1).
const gcmIVLen = 8

// gcmICVLens lists the AES-GCM transforms this package supports, with their
// ICV lengths. ENCR_AES_GCM_8 is missing: Go's GCM has no 8-octet tags.
var gcmICVLens = map[iana.EncrID]int{
	iana.ENCR_AES_GCM_12: 12,
	iana.ENCR_AES_GCM_16: 16,
}

// KeyMatLen returns how many octets of keying material encryption transform
// encrID with a Key Length attribute of keyLenBits takes from prf+: the key,
// plus the 4-octet salt for AES-GCM (RFC 5282 section 7.1). keyLenBits must
// be 128, 192 or 256 for AES, and 0 (attribute absent) or 192 for 3DES,
// whose key length is fixed (RFC 7296 section 3.3.5).
func KeyMatLen(encrID iana.EncrID, keyLenBits int) (int, error) {
	switch {
	case encrID == iana.ENCR_3DES:
		if keyLenBits != 0 && keyLenBits != 192 {
			return 0, fmt.Errorf("%w: 3DES has a fixed 192-bit key, got a key length of %d bits", ErrKeyLength, keyLenBits)
		}
		return 24, nil
	case encrID == iana.ENCR_AES_CBC || gcmICVLens[encrID] != 0:
		if keyLenBits != 128 && keyLenBits != 192 && keyLenBits != 256 {
			return 0, fmt.Errorf("%w: %s key length must be 128, 192 or 256 bits, got %d", ErrKeyLength, encrID, keyLenBits)
		}
		n := keyLenBits / 8
		if encrID != iana.ENCR_AES_CBC {
			n += gcmSaltLen
		}
		return n, nil
	}
	return 0, fmt.Errorf("%w: encryption transform %s", ErrUnsupported, encrID)
}

// isAEAD reports whether encrID is a combined-mode cipher, which must be
// negotiated with no integrity transform (RFC 5282 section 8).
func isAEAD(encrID iana.EncrID) bool { return gcmICVLens[encrID] != 0 }

// KeyLens are the key sizes a key derivation must produce for one SA.
type KeyLens struct {
	Encr  int // encryption keying material, including any salt
	Integ int // 0 with a combined-mode cipher
}

// SuiteKeyLens checks that the transforms go together and returns their key
// sizes. integID must be AUTH_NONE exactly when encrID is AES-GCM.
func SuiteKeyLens(encrID iana.EncrID, keyLenBits int, integID iana.IntegID) (KeyLens, error) {
	encr, err := KeyMatLen(encrID, keyLenBits)
	if err != nil {
		return KeyLens{}, err
	}
	if isAEAD(encrID) != (integID == iana.AUTH_NONE) {
		if integID == iana.AUTH_NONE {
			return KeyLens{}, fmt.Errorf("%w: %s needs an integrity transform", ErrUnsupported, encrID)
		}
		return KeyLens{}, fmt.Errorf("%w: combined-mode %s must not be used with integrity transform %s (RFC 5282 section 8)",
			ErrUnsupported, encrID, integID)
	}
	integ, err := IntegKeyLen(integID)
	if err != nil {
		return KeyLens{}, err
	}
	return KeyLens{Encr: encr, Integ: integ}, nil
}
