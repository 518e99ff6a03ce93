package ikecrypto

import (
	"crypto"
	"crypto/hmac"
	_ "crypto/md5" // registers crypto.MD5 for PRF_HMAC_MD5 and AUTH_HMAC_MD5_96
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// prfHashes maps the HMAC-based PRF transforms to their hash (RFC 2104,
// RFC 4868 section 2.1).
var prfHashes = map[iana.PRFID]crypto.Hash{
	iana.PRF_HMAC_MD5:      crypto.MD5,
	iana.PRF_HMAC_SHA1:     crypto.SHA1,
	iana.PRF_HMAC_SHA2_256: crypto.SHA256,
	iana.PRF_HMAC_SHA2_384: crypto.SHA384,
	iana.PRF_HMAC_SHA2_512: crypto.SHA512,
}

// PRF is a negotiated IKEv2 pseudorandom function (RFC 7296 section 2.13).
//
// Only the HMAC-based PRFs are implemented. PRF_AES128_XCBC and
// PRF_AES128_CMAC take fixed 128-bit keys, which changes how SKEYSEED is
// keyed (RFC 7296 section 2.14, RFC 4434, RFC 4615); NewPRF rejects them.
// A PRF is stateless and safe for concurrent use.
type PRF struct {
	id   iana.PRFID
	hash crypto.Hash
}

// NewPRF returns the PRF for transform id (a iana.PRF_* constant).
func NewPRF(id iana.PRFID) (*PRF, error) {
	h, ok := prfHashes[id]
	if !ok {
		return nil, fmt.Errorf("%w: PRF transform %s", ErrUnsupported, id)
	}
	return &PRF{id: id, hash: h}, nil
}

// ID returns the PRF's transform ID.
func (p *PRF) ID() iana.PRFID { return p.id }

// String names the transform, e.g. "HMAC_SHA2_256".
func (p *PRF) String() string { return p.id.String() }

// Hash returns the hash function under the HMAC. Cisco peers use it for
// RSA signatures (AUTH method 1), see VerifyAuth.
func (p *PRF) Hash() crypto.Hash { return p.hash }

// Size returns the PRF's output length in octets.
func (p *PRF) Size() int { return p.hash.Size() }

// KeyLen returns the preferred key length: for HMAC PRFs the output length
// (RFC 7296 section 2.13, RFC 4868 section 2.1.2). It is the length of SK_d,
// SK_pi and SK_pr. HMAC accepts keys of any length, so Compute and Plus
// accept them too (nonces as keys, section 2.14).
func (p *PRF) KeyLen() int { return p.Size() }

// Compute returns prf(key, data[0] | data[1] | ...).
func (p *PRF) Compute(key []byte, data ...[]byte) []byte {
	mac := hmac.New(p.hash.New, key)
	for _, d := range data {
		mac.Write(d)
	}
	return mac.Sum(make([]byte, 0, p.Size()))
}

// MaxPlusLen returns the most octets prf+ can produce: its counter is one
// octet, so at most 255 blocks (RFC 7296 section 2.13).
func (p *PRF) MaxPlusLen() int { return 255 * p.Size() }

// Plus returns the first n octets of prf+(key, seed) (RFC 7296 section 2.13):
//
//	prf+ (K,S) = T1 | T2 | T3 | ...
//	T1 = prf (K, S | 0x01)
//	Tn = prf (K, Tn-1 | S | n)
func (p *PRF) Plus(key, seed []byte, n int) ([]byte, error) {
	if n < 0 || n > p.MaxPlusLen() {
		return nil, fmt.Errorf("ikecrypto: prf+ with %s cannot produce %d octets (at most %d)", p, n, p.MaxPlusLen())
	}
	size := p.Size()
	out := make([]byte, 0, (n+size-1)/size*size)
	mac := hmac.New(p.hash.New, key)
	var counter [1]byte
	for prev := 0; len(out) < n; {
		mac.Reset()
		mac.Write(out[prev:]) // Tn-1, empty for T1
		mac.Write(seed)
		counter[0]++
		mac.Write(counter[:])
		prev = len(out)
		out = mac.Sum(out)
	}
	return out[:n:n], nil
}
