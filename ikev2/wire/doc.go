// Package wire encodes and decodes IKEv2 messages (RFC 7296 section 3) and
// the fragment payloads of RFC 7383 and of Cisco peers.
//
// It is pure: bytes in, values out. It knows no keys; the SK and SKF
// payloads are carried as opaque ciphertext and protected elsewhere. Every
// length is checked against the buffer, and a malformed message gives a
// *DecodeError naming the payload and the offset, never a panic.
//
// Round trips are exact for well-formed input: Encode(Decode(b)) == b.
// Reserved fields and the critical bit of payloads this package knows are
// written as zero (RFC 7296 section 3.2 says a receiver ignores the critical
// bit of a payload it understands), so input that sets them is the one
// exception.
package wire
