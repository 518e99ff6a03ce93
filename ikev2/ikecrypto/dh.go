package ikecrypto

import (
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// ecGroups lists the elliptic-curve groups with the length of their scalars
// and the mask for the first scalar octet (P-521 scalars have 521 bits).
var ecGroups = map[iana.DHGroup]struct {
	curve     ecdh.Curve
	scalarLen int
	topMask   byte
}{
	iana.DH_ECP256:     {ecdh.P256(), 32, 0xff},
	iana.DH_ECP384:     {ecdh.P384(), 48, 0xff},
	iana.DH_ECP521:     {ecdh.P521(), 66, 0x01},
	iana.DH_CURVE25519: {ecdh.X25519(), 32, 0xff},
}

// DH is one side's ephemeral Diffie-Hellman key for a negotiated group
// (transform type 4). It is safe for concurrent use.
type DH struct {
	group iana.DHGroup
	pub   []byte

	modp *modpGroup
	x    *big.Int // MODP private exponent

	ec *ecdh.PrivateKey
}

// NewDH generates a key pair in group (a iana.DH_* constant): MODP groups 2,
// 5, 14 and 15 (RFC 2409, RFC 3526), ECP groups 19, 20 and 21 (RFC 5903)
// and Curve25519, group 31 (RFC 8031). The private key is drawn from rand.
func NewDH(group iana.DHGroup, rand io.Reader) (*DH, error) {
	if g, ok := modpGroups[group]; ok {
		return newMODPKey(group, g, rand)
	}
	if g, ok := ecGroups[group]; ok {
		// crypto/ecdh's GenerateKey ignores its reader since Go 1.26; draw
		// the scalar from rand and let NewPrivateKey reject the rare value
		// that is not below the group order.
		scalar := make([]byte, g.scalarLen)
		for range 32 {
			if _, err := io.ReadFull(rand, scalar); err != nil {
				return nil, fmt.Errorf("ikecrypto: generating %s key: %w", group, err)
			}
			scalar[0] &= g.topMask
			if k, err := g.curve.NewPrivateKey(scalar); err == nil {
				clear(scalar)
				return &DH{group: group, ec: k, pub: ecPublicValue(group, k.PublicKey())}, nil
			}
		}
		return nil, fmt.Errorf("ikecrypto: generating %s key: random source gives no valid scalar", group)
	}
	return nil, fmt.Errorf("%w: Diffie-Hellman group %s", ErrUnsupported, group)
}

func newMODPKey(group iana.DHGroup, g *modpGroup, r io.Reader) (*DH, error) {
	// x is uniform in [2, 2^expBits+1], far below p-2 (see modpGroup).
	x, err := rand.Int(r, new(big.Int).Lsh(big.NewInt(1), uint(g.expBits)))
	if err != nil {
		return nil, fmt.Errorf("ikecrypto: generating %s key: %w", group, err)
	}
	x.Add(x, big.NewInt(2))
	y := new(big.Int).Exp(big.NewInt(2), x, g.p)
	return &DH{group: group, modp: g, x: x, pub: y.FillBytes(make([]byte, g.size))}, nil
}

// ecPublicValue encodes a public key as Key Exchange data: x | y without
// the 0x04 prefix for ECP groups (RFC 5903 section 7), the 32-octet
// u-coordinate for Curve25519 (RFC 8031 section 2).
func ecPublicValue(group iana.DHGroup, pub *ecdh.PublicKey) []byte {
	b := pub.Bytes()
	if group != iana.DH_CURVE25519 {
		b = b[1:]
	}
	return b
}

// Group returns the group's transform ID.
func (k *DH) Group() iana.DHGroup { return k.group }

// PublicValue returns the Key Exchange Data to send in the KE payload
// (RFC 7296 section 3.4). The caller must not modify it.
func (k *DH) PublicValue() []byte { return k.pub }

// PublicValueLen returns the length of Key Exchange Data in group, which a
// peer's KE payload must match.
func PublicValueLen(group iana.DHGroup) (int, error) {
	if g, ok := modpGroups[group]; ok {
		return g.size, nil
	}
	switch group {
	case iana.DH_ECP256, iana.DH_ECP384, iana.DH_ECP521:
		return 2 * ecGroups[group].scalarLen, nil
	case iana.DH_CURVE25519:
		return 32, nil
	}
	return 0, fmt.Errorf("%w: Diffie-Hellman group %s", ErrUnsupported, group)
}

// SharedSecret validates the peer's Key Exchange Data and returns g^ir:
//   - MODP: the value must be as long as the prime and 1 < y < p-1
//     (RFC 6989 section 2.1); g^ir is left-padded with zeros to the length
//     of the prime (RFC 7296 section 2.14).
//   - ECP: x | y must be a point on the curve, not the point at infinity
//     (RFC 6989 section 2.3); g^ir is the x coordinate (RFC 5903 section 7).
//   - Curve25519: 32 octets; an all-zero result is rejected (RFC 8031
//     section 2.3).
//
// Validation failures wrap ErrInvalidPublicValue.
func (k *DH) SharedSecret(peer []byte) ([]byte, error) {
	want, _ := PublicValueLen(k.group)
	if len(peer) != want {
		return nil, fmt.Errorf("%w: %s value is %d octets, want %d", ErrInvalidPublicValue, k.group, len(peer), want)
	}
	if k.modp != nil {
		y := new(big.Int).SetBytes(peer)
		if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(k.modp.pMinus1) >= 0 {
			return nil, fmt.Errorf("%w: %s value is not in [2, p-2]", ErrInvalidPublicValue, k.group)
		}
		// math/big is not constant-time, so the exponent's timing may leak;
		// the ECP groups and Curve25519 do not have that weakness.
		z := new(big.Int).Exp(y, k.x, k.modp.p)
		return z.FillBytes(make([]byte, k.modp.size)), nil
	}
	enc := peer
	if k.group != iana.DH_CURVE25519 {
		enc = make([]byte, 1+len(peer))
		enc[0] = 4 // SEC 1 uncompressed point
		copy(enc[1:], peer)
	}
	pub, err := k.ec.Curve().NewPublicKey(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidPublicValue, k.group, err)
	}
	z, err := k.ec.ECDH(pub)
	if err != nil { // X25519: low-order point, all-zero result
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidPublicValue, k.group, err)
	}
	return z, nil
}
