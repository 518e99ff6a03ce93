package eap

import (
	"encoding/binary"
	"math/bits"
)

// md4 returns the MD4 digest of msg (RFC 1320). MS-CHAPv2 needs it for the
// NT password hash; it is written out here rather than pulled from the
// deprecated golang.org/x/crypto/md4. MD4 is broken as a hash: use it for
// nothing but the protocol that mandates it.
func md4(msg []byte) [16]byte {
	s := [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}

	// Section 3.1-3.2: pad with one 1 bit, zeros up to 56 mod 64 bytes,
	// then the bit length, little-endian.
	n := len(msg)
	padded := make([]byte, (n+8)/64*64+64)
	copy(padded, msg)
	padded[n] = 0x80
	binary.LittleEndian.PutUint64(padded[len(padded)-8:], uint64(n)<<3)

	var x [16]uint32
	for blk := padded; len(blk) > 0; blk = blk[64:] {
		for i := range x {
			x[i] = binary.LittleEndian.Uint32(blk[4*i:])
		}
		r := s
		// Section 3.4: three rounds of sixteen steps. Each step updates one
		// register; the roles a, b, c, d rotate by one register per step.
		for step := range 48 {
			a, b, c, d := &r[(64-step)%4], r[(65-step)%4], r[(66-step)%4], r[(67-step)%4]
			var f, k uint32
			var sh int
			i := step % 16
			switch step / 16 {
			case 0:
				f, k, sh = b&c|^b&d, x[i], md4Shift[0][i%4]
			case 1:
				f, k, sh = b&c|b&d|c&d, x[i%4*4+i/4]+0x5a827999, md4Shift[1][i%4]
			default:
				f, k, sh = b^c^d, x[md4Round3[i]]+0x6ed9eba1, md4Shift[2][i%4]
			}
			*a = bits.RotateLeft32(*a+f+k, sh)
		}
		for i := range s {
			s[i] += r[i]
		}
	}
	var out [16]byte
	for i, v := range s {
		binary.LittleEndian.PutUint32(out[4*i:], v)
	}
	return out
}

var (
	md4Shift  = [3][4]int{{3, 7, 11, 19}, {3, 5, 9, 13}, {3, 9, 11, 15}}
	md4Round3 = [16]int{0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15}
)
