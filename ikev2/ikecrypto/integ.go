package ikecrypto

import (
	"crypto"
	"crypto/hmac"
	"fmt"
	"hash"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// integAlgs lists the HMAC integrity transforms: the hash, and the ICV
// length the output is truncated to (RFC 2403, RFC 2404, RFC 4868 section 2.3).
var integAlgs = map[iana.IntegID]struct {
	hash   crypto.Hash
	icvLen int
}{
	iana.AUTH_HMAC_MD5_96:       {crypto.MD5, 12},
	iana.AUTH_HMAC_SHA1_96:      {crypto.SHA1, 12},
	iana.AUTH_HMAC_SHA2_256_128: {crypto.SHA256, 16},
	iana.AUTH_HMAC_SHA2_384_192: {crypto.SHA384, 24},
	iana.AUTH_HMAC_SHA2_512_256: {crypto.SHA512, 32},
}

// Integ is a negotiated integrity algorithm (transform type 3). It is
// stateless and safe for concurrent use; the keyed MAC it makes is not.
type Integ struct {
	id     iana.IntegID
	hash   crypto.Hash
	icvLen int
}

// NewInteg returns the integrity algorithm for transform id (a iana.AUTH_*
// constant). AUTH_NONE is not an algorithm and is rejected; see IntegKeyLen.
func NewInteg(id iana.IntegID) (*Integ, error) {
	a, ok := integAlgs[id]
	if !ok {
		return nil, fmt.Errorf("%w: integrity transform %s", ErrUnsupported, id)
	}
	return &Integ{id: id, hash: a.hash, icvLen: a.icvLen}, nil
}

// IntegKeyLen returns the key length of integrity transform id, 0 for
// AUTH_NONE (used with combined-mode ciphers).
func IntegKeyLen(id iana.IntegID) (int, error) {
	if id == iana.AUTH_NONE {
		return 0, nil
	}
	i, err := NewInteg(id)
	if err != nil {
		return 0, err
	}
	return i.KeyLen(), nil
}

// ID returns the transform ID.
func (i *Integ) ID() iana.IntegID { return i.id }

// String names the transform, e.g. "HMAC_SHA2_256_128".
func (i *Integ) String() string { return i.id.String() }

// KeyLen returns the key length: the hash output length (RFC 2404 section 3,
// RFC 4868 section 2.1.1).
func (i *Integ) KeyLen() int { return i.hash.Size() }

// ICVLen returns the length of the truncated output, the Integrity Checksum
// Data (RFC 4868 section 2.3).
func (i *Integ) ICVLen() int { return i.icvLen }

// Key returns the algorithm keyed with key, which must be KeyLen octets.
func (i *Integ) Key(key []byte) (*MAC, error) {
	if len(key) != i.KeyLen() {
		return nil, fmt.Errorf("%w: %s key is %d octets, want %d", ErrKeyLength, i, len(key), i.KeyLen())
	}
	return &MAC{h: hmac.New(i.hash.New, key), icvLen: i.icvLen}, nil
}

// MAC is a keyed integrity algorithm producing truncated ICVs. It keeps
// hash state between calls and is not safe for concurrent use.
type MAC struct {
	h      hash.Hash
	icvLen int
	sum    [64]byte // scratch for the untruncated HMAC, large enough for SHA-512
}

// ICVLen returns the length of the ICVs that Sum appends.
func (m *MAC) ICVLen() int { return m.icvLen }

// Sum appends to dst the ICV of data[0] | data[1] | ...
func (m *MAC) Sum(dst []byte, data ...[]byte) []byte {
	return append(dst, m.compute(data)...)
}

// Verify reports, in constant time, whether icv is the ICV of data.
func (m *MAC) Verify(icv []byte, data ...[]byte) bool {
	return hmac.Equal(icv, m.compute(data))
}

// compute returns the truncated HMAC in m's scratch buffer.
func (m *MAC) compute(data [][]byte) []byte {
	m.h.Reset()
	for _, d := range data {
		m.h.Write(d)
	}
	return m.h.Sum(m.sum[:0])[:m.icvLen]
}
