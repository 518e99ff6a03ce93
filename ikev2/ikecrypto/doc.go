// Package ikecrypto holds the cryptographic transforms of IKEv2 (RFC 7296):
// the negotiated PRF and prf+, integrity algorithms, the Encrypted (SK)
// payload cipher, Diffie-Hellman groups, key derivation, and the AUTH
// payload computations.
//
// The package is pure: it opens no sockets, reads no clocks and uses no
// global randomness. Functions that need random octets take an io.Reader,
// normally crypto/rand.Reader. (Go 1.26's crypto/ecdsa ignores that reader
// when signing; see the individual functions.)
//
// Transform IDs and AUTH methods are those of package wire. Errors wrap one
// of the sentinel errors below so callers can tell, with errors.Is, a peer's
// bad input (ErrIntegrity, ErrMalformed, ErrInvalidPublicValue,
// ErrSignature) from a local configuration problem (ErrUnsupported,
// ErrKeyLength).
package ikecrypto

import "errors"

var (
	// ErrUnsupported reports a transform, group or method this package does
	// not implement.
	ErrUnsupported = errors.New("ikecrypto: unsupported")
	// ErrKeyLength reports a key of the wrong size for its algorithm.
	ErrKeyLength = errors.New("ikecrypto: wrong key length")
	// ErrIntegrity reports an Encrypted payload whose ICV (or AEAD tag) does
	// not match: the message was altered or keyed differently.
	ErrIntegrity = errors.New("ikecrypto: integrity check failed")
	// ErrMalformed reports an Encrypted payload that cannot be what a
	// correct peer sends: too short, misaligned, or a bad Pad Length.
	ErrMalformed = errors.New("ikecrypto: malformed encrypted payload")
	// ErrInvalidPublicValue reports a peer's Key Exchange data that fails
	// validation.
	ErrInvalidPublicValue = errors.New("ikecrypto: invalid Diffie-Hellman public value")
	// ErrSignature reports AUTH data that does not verify.
	ErrSignature = errors.New("ikecrypto: authentication data does not verify")
)
