package eap

import (
	//lint:ignore SA1019 MS-CHAPv2 (RFC 2759) mandates MD4 for the NT password hash.
	xmd4 "golang.org/x/crypto/md4"
)

// md4 returns the MD4 digest of msg (RFC 1320). MS-CHAPv2 needs it for the
// NT password hash; MD4 is broken as a hash, so use it for nothing else.
func md4(msg []byte) [16]byte {
	h := xmd4.New()
	h.Write(msg)
	return [16]byte(h.Sum(nil))
}
