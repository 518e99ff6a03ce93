package certs

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// PinPrefix starts the pin form that PinOf returns.
const PinPrefix = "pin-sha256:"

// HexPinPrefix starts the hex pin form (see the package documentation).
const HexPinPrefix = "sha256:"

// ErrInvalidPin is wrapped by every error about a pin string that cannot be
// read.
var ErrInvalidPin = errors.New("invalid pin")

// Pin is a parsed pin. The zero Pin matches nothing.
type Pin struct {
	hex  bool // written as sha256:<hex>; matches the SPKI or the whole certificate
	sum  [sha256.Size]byte
	text string
}

// String returns the pin as the user wrote it, trimmed.
func (p Pin) String() string { return p.text }

// PinOf returns "pin-sha256:" and the base64 of the SHA-256 of the
// certificate's SubjectPublicKeyInfo. It returns "" for a nil certificate.
func PinOf(cert *x509.Certificate) string {
	if cert == nil {
		return ""
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return PinPrefix + base64.StdEncoding.EncodeToString(sum[:])
}

// FingerprintOf returns "sha256:" and the lower-case hex SHA-256 of the whole
// DER certificate, or "" for a nil certificate.
func FingerprintOf(cert *x509.Certificate) string {
	if cert == nil {
		return ""
	}
	sum := sha256.Sum256(cert.Raw)
	return HexPinPrefix + hex.EncodeToString(sum[:])
}

// ParsePin reads one pin in either accepted form. Errors wrap ErrInvalidPin
// and say which forms are accepted.
func ParsePin(s string) (Pin, error) {
	t := strings.TrimSpace(s)
	lower := strings.ToLower(t)
	bad := func(why string) (Pin, error) {
		return Pin{}, fmt.Errorf("certs: pin %q: %w: %s (want %s<base64 of SHA-256 of the public key> or %s<64 hex digits>)",
			printable(t), ErrInvalidPin, why, PinPrefix, HexPinPrefix)
	}
	switch {
	case strings.HasPrefix(lower, PinPrefix):
		v := strings.TrimSpace(t[len(PinPrefix):])
		v = strings.TrimRight(v, "=")
		raw, err := base64.RawStdEncoding.DecodeString(v)
		if err != nil {
			return bad("the value is not standard base64")
		}
		if len(raw) != sha256.Size {
			return bad(fmt.Sprintf("the value decodes to %d bytes, a SHA-256 has %d", len(raw), sha256.Size))
		}
		p := Pin{text: t}
		copy(p.sum[:], raw)
		return p, nil
	case strings.HasPrefix(lower, HexPinPrefix):
		v := strings.TrimSpace(t[len(HexPinPrefix):])
		v = strings.ReplaceAll(v, ":", "")
		raw, err := hex.DecodeString(v)
		if err != nil {
			return bad("the value is not hex")
		}
		if len(raw) != sha256.Size {
			return bad(fmt.Sprintf("the value has %d hex digits, a full SHA-256 has %d", len(v), 2*sha256.Size))
		}
		p := Pin{hex: true, text: t}
		copy(p.sum[:], raw)
		return p, nil
	case strings.HasPrefix(lower, "sha1:") || strings.HasPrefix(lower, "pin-sha1:"):
		return bad("SHA-1 pins are not accepted")
	case t == "":
		return bad("empty")
	default:
		return bad("unknown form")
	}
}

// ParsePins reads every pin; the first bad one is the error.
func ParsePins(pins []string) ([]Pin, error) {
	out := make([]Pin, 0, len(pins))
	for _, s := range pins {
		p, err := ParsePin(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Matches reports whether the pin matches the certificate.
func (p Pin) Matches(cert *x509.Certificate) bool {
	if cert == nil || p.text == "" {
		return false
	}
	spki := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	if subtle.ConstantTimeCompare(spki[:], p.sum[:]) == 1 {
		return true
	}
	if p.hex {
		whole := sha256.Sum256(cert.Raw)
		return subtle.ConstantTimeCompare(whole[:], p.sum[:]) == 1
	}
	return false
}

func anyPinMatches(pins []Pin, cert *x509.Certificate) bool {
	for _, p := range pins {
		if p.Matches(cert) {
			return true
		}
	}
	return false
}
