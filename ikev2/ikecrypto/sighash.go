package ikecrypto

import (
	"crypto"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
)

// HashAlgorithm is a hash identifier of the SIGNATURE_HASH_ALGORITHMS
// notify (RFC 7427 section 4, IANA "IKEv2 Hash Algorithms").
type HashAlgorithm uint16

const (
	HashSHA1     HashAlgorithm = 1
	HashSHA2_256 HashAlgorithm = 2
	HashSHA2_384 HashAlgorithm = 3
	HashSHA2_512 HashAlgorithm = 4
	HashIdentity HashAlgorithm = 5 // RFC 8420, for EdDSA; not a digest
)

var hashAlgorithms = map[HashAlgorithm]struct {
	name string
	hash crypto.Hash
}{
	HashSHA1:     {"SHA1", crypto.SHA1},
	HashSHA2_256: {"SHA2_256", crypto.SHA256},
	HashSHA2_384: {"SHA2_384", crypto.SHA384},
	HashSHA2_512: {"SHA2_512", crypto.SHA512},
	HashIdentity: {"IDENTITY", 0},
}

func (h HashAlgorithm) String() string {
	if a, ok := hashAlgorithms[h]; ok {
		return a.name
	}
	return "HASH(" + strconv.Itoa(int(h)) + ")"
}

// Hash returns the digest h names, or 0 for Identity and unknown values.
func (h HashAlgorithm) Hash() crypto.Hash { return hashAlgorithms[h].hash }

// DefaultSignatureHashes are the hashes this package signs with under
// method 14, in order of preference: what to announce in
// SIGNATURE_HASH_ALGORITHMS.
var DefaultSignatureHashes = []HashAlgorithm{HashSHA2_256, HashSHA2_384, HashSHA2_512}

// EncodeSignatureHashes returns the notification data of
// SIGNATURE_HASH_ALGORITHMS: each hash as two octets (RFC 7427 section 4).
func EncodeSignatureHashes(hashes []HashAlgorithm) []byte {
	out := make([]byte, 0, 2*len(hashes))
	for _, h := range hashes {
		out = binary.BigEndian.AppendUint16(out, uint16(h))
	}
	return out
}

// DecodeSignatureHashes parses SIGNATURE_HASH_ALGORITHMS notification
// data. Unknown values are kept; an odd length is an error.
func DecodeSignatureHashes(data []byte) ([]HashAlgorithm, error) {
	if len(data)%2 != 0 {
		return nil, fmt.Errorf("ikecrypto: SIGNATURE_HASH_ALGORITHMS data of %d octets is not a list of 2-octet values", len(data))
	}
	hashes := make([]HashAlgorithm, len(data)/2)
	for i := range hashes {
		hashes[i] = HashAlgorithm(binary.BigEndian.Uint16(data[2*i:]))
	}
	return hashes, nil
}

// ChooseSignatureHash returns the first of ours (in our order of
// preference) that the peer announced and that SignAuth can use with
// method 14, and false when there is none; then the peer cannot verify a
// method 14 signature from us and a legacy method must be used.
func ChooseSignatureHash(ours, peer []HashAlgorithm) (crypto.Hash, bool) {
	for _, h := range ours {
		if slices.Contains(peer, h) && slices.ContainsFunc(sigAlgorithms, func(a sigAlgorithm) bool { return a.hash == h.Hash() }) {
			return h.Hash(), true
		}
	}
	return 0, false
}
