package eap

import (
	"crypto/des"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf16"
)

// The MS-CHAPv2 computations of RFC 2759 section 8 and the MPPE key
// derivation of RFC 3079 section 3. SHA-1, MD4 and single DES are what these
// documents mandate; nothing here is a design choice.

// Sizes of MS-CHAPv2 values.
const (
	ChallengeLen         = 16 // Authenticator and Peer challenges
	NTResponseLen        = 24
	AuthenticatorRespLen = 42 // "S=" and 40 hex digits
	mschapKeyLen         = 16
)

// NTPasswordHash is MD4 over the password in UTF-16 little-endian (RFC 2759
// section 8.3).
func NTPasswordHash(password string) [16]byte {
	u := utf16.Encode([]rune(password))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return md4(b)
}

// challengeHash is RFC 2759 section 8.2: the first 8 bytes of
// SHA-1(PeerChallenge | AuthenticatorChallenge | UserName). Only the user
// name is hashed, without a Windows domain prefixed as "DOMAIN\user".
func challengeHash(peerChallenge, authChallenge *[ChallengeLen]byte, userName string) [8]byte {
	if i := strings.LastIndexByte(userName, '\\'); i >= 0 {
		userName = userName[i+1:]
	}
	h := sha1.New()
	h.Write(peerChallenge[:])
	h.Write(authChallenge[:])
	h.Write([]byte(userName))
	var out [8]byte
	copy(out[:], h.Sum(nil))
	return out
}

// desKey spreads 7 key bytes over the 8 bytes DES takes, 7 bits per byte
// with the low (parity) bit left zero (RFC 2759 section 8.6, DesEncrypt).
// crypto/des ignores parity bits.
func desKey(k []byte) []byte {
	var v uint64
	for _, b := range k[:7] {
		v = v<<8 | uint64(b)
	}
	out := make([]byte, 8)
	for i := range out {
		out[i] = byte(v>>(49-7*i)) << 1
	}
	return out
}

// challengeResponse is RFC 2759 section 8.5: the password hash, zero-padded
// to 21 bytes, used as three DES keys over the 8-byte challenge.
func challengeResponse(challenge [8]byte, passwordHash *[16]byte) [NTResponseLen]byte {
	var z [21]byte
	copy(z[:], passwordHash[:])
	var out [NTResponseLen]byte
	for i := range 3 {
		c, _ := des.NewCipher(desKey(z[7*i:])) // a key of 8 bytes cannot fail
		c.Encrypt(out[8*i:], challenge[:])
	}
	return out
}

// GenerateNTResponse is RFC 2759 section 8.1.
func GenerateNTResponse(authChallenge, peerChallenge *[ChallengeLen]byte, userName, password string) [NTResponseLen]byte {
	h := NTPasswordHash(password)
	return ntResponse(authChallenge, peerChallenge, userName, &h)
}

// ntResponse is GenerateNTResponse from the password hash, which is all an
// authenticator needs to store.
func ntResponse(authChallenge, peerChallenge *[ChallengeLen]byte, userName string, passwordHash *[16]byte) [NTResponseLen]byte {
	return challengeResponse(challengeHash(peerChallenge, authChallenge, userName), passwordHash)
}

// RFC 2759 section 8.7 constants.
var (
	authRespMagic1 = []byte("Magic server to client signing constant")
	authRespMagic2 = []byte("Pad to make it do more than one iteration")
)

// GenerateAuthenticatorResponse is RFC 2759 section 8.7: the string
// "S=" followed by 40 upper-case hex digits that the authenticator sends in
// its Success message to prove it knows the password too.
func GenerateAuthenticatorResponse(password string, ntResponse *[NTResponseLen]byte, peerChallenge, authChallenge *[ChallengeLen]byte, userName string) string {
	ph := NTPasswordHash(password)
	return authenticatorResponse(&ph, ntResponse, peerChallenge, authChallenge, userName)
}

func authenticatorResponse(passwordHash *[16]byte, ntResponse *[NTResponseLen]byte, peerChallenge, authChallenge *[ChallengeLen]byte, userName string) string {
	phh := md4(passwordHash[:])
	h := sha1.New()
	h.Write(phh[:])
	h.Write(ntResponse[:])
	h.Write(authRespMagic1)
	digest := h.Sum(nil)
	ch := challengeHash(peerChallenge, authChallenge, userName)
	h.Reset()
	h.Write(digest)
	h.Write(ch[:])
	h.Write(authRespMagic2)
	return "S=" + strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// CheckAuthenticatorResponse is RFC 2759 section 8.8. The comparison takes
// the same time wherever the strings differ. Hex digits are compared
// case-insensitively: section 5 requires upper case but a lenient peer loses
// nothing by accepting lower case.
func CheckAuthenticatorResponse(password string, ntResponse *[NTResponseLen]byte, peerChallenge, authChallenge *[ChallengeLen]byte, userName, received string) bool {
	want := GenerateAuthenticatorResponse(password, ntResponse, peerChallenge, authChallenge, userName)
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToUpper(received))) == 1
}

// RFC 3079 section 3.4 constants.
var (
	mppeMasterMagic = []byte("This is the MPPE Master Key")
	// "Magic2": the client's send key, the server's receive key.
	mppeClientSendMagic = []byte("On the client side, this is the send key; on the server side, it is the receive key.")
	// "Magic3": the client's receive key, the server's send key.
	mppeClientRecvMagic = []byte("On the client side, this is the receive key; on the server side, it is the send key.")
	mppeSHSPad1         = make([]byte, 40)
	mppeSHSPad2         = []byte(strings.Repeat("\xf2", 40))
)

// mppeMasterKey is GetMasterKey of RFC 3079 section 3.4.
func mppeMasterKey(passwordHashHash *[16]byte, ntResponse *[NTResponseLen]byte) [mschapKeyLen]byte {
	h := sha1.New()
	h.Write(passwordHashHash[:])
	h.Write(ntResponse[:])
	h.Write(mppeMasterMagic)
	var out [mschapKeyLen]byte
	copy(out[:], h.Sum(nil))
	return out
}

// mppeStartKey is GetAsymmetricStartKey of RFC 3079 section 3.4 for a
// 128-bit key, with the magic already chosen by direction.
func mppeStartKey(masterKey *[mschapKeyLen]byte, magic []byte) [mschapKeyLen]byte {
	h := sha1.New()
	h.Write(masterKey[:])
	h.Write(mppeSHSPad1)
	h.Write(magic)
	h.Write(mppeSHSPad2)
	var out [mschapKeyLen]byte
	copy(out[:], h.Sum(nil))
	return out
}

// MSKLen is the length of an EAP Master Session Key (RFC 3748 section 7.10).
const MSKLen = 64

// MSCHAPv2MSK derives the EAP-MSCHAPv2 Master Session Key from the password
// and the NT-Response of a successful exchange. Both roles get the same 64
// bytes.
//
// The layout comes from Microsoft's [MS-CHAP] specification, section 3.1.5.1:
// MSK = MasterReceiveKey | MasterSendKey | 32 zero bytes, naming the keys as
// the authenticator sees them. The authenticator's receive key is the one RFC
// 3079 derives with "Magic2" (the client's send key), so on either side the
// Magic2 key comes first and the Magic3 key second.
func MSCHAPv2MSK(password string, ntResponse *[NTResponseLen]byte) []byte {
	ph := NTPasswordHash(password)
	return msk(&ph, ntResponse)
}

func msk(passwordHash *[16]byte, ntResponse *[NTResponseLen]byte) []byte {
	phh := md4(passwordHash[:])
	mk := mppeMasterKey(&phh, ntResponse)
	first := mppeStartKey(&mk, mppeClientSendMagic)
	second := mppeStartKey(&mk, mppeClientRecvMagic)
	msk := make([]byte, MSKLen)
	copy(msk, first[:])
	copy(msk[mschapKeyLen:], second[:])
	return msk
}

// parseChallenge reads 32 hex digits into a challenge, as the C= field of a
// Failure message carries it (RFC 2759 section 6).
func parseChallenge(s string) ([ChallengeLen]byte, error) {
	var c [ChallengeLen]byte
	if len(s) != 2*ChallengeLen {
		return c, fmt.Errorf("challenge %q has %d hex digits, want %d", s, len(s), 2*ChallengeLen)
	}
	if _, err := hex.Decode(c[:], []byte(s)); err != nil {
		return c, fmt.Errorf("challenge %q: %v", s, err)
	}
	return c, nil
}

func constantTimeEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
