// Package certgen makes throwaway X.509 certificates: a CA, intermediate
// CAs and leaves with the subject, names, key usages, validity and key
// that a test or the demo headend asks for, and their PEM and DER
// encodings. Nothing it makes is meant to protect anything real.
package certgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"net"
	"sync"
	"time"
)

// Spec describes one certificate. CA, Server and Client return the specs
// of the common kinds, for the caller to adjust.
type Spec struct {
	Subject     pkix.Name
	DNSNames    []string
	IPAddresses []net.IP
	Emails      []string

	// CA makes a CA certificate (basicConstraints cA); its KeyUsage is
	// keyCertSign and cRLSign when left zero. Other certificates say
	// they are not a CA.
	CA                 bool
	KeyUsage           x509.KeyUsage
	ExtKeyUsage        []x509.ExtKeyUsage
	UnknownExtKeyUsage []asn1.ObjectIdentifier

	// NotBefore and NotAfter default to an hour ago and 30 days from now.
	NotBefore, NotAfter time.Time

	// SubjectKeyID defaults to the SHA-1 hash of the key's
	// SubjectPublicKeyInfo, the hash by which IKEv2 certificate requests
	// name CAs (RFC 7296 section 3.7).
	SubjectKeyID []byte

	// Key is the key to certify. When nil a new one is made: RSA of
	// RSABits bits, or ECDSA P-256 when RSABits is 0.
	Key     crypto.Signer
	RSABits int
}

// CA is the spec of a CA certificate named cn.
func CA(cn string) Spec {
	return Spec{Subject: pkix.Name{CommonName: cn}, CA: true}
}

// Server is the spec of a headend's certificate: the first host is the
// common name, every host a subject alternative name (an IP address
// where it parses as one, a DNS name otherwise), for serverAuth.
func Server(hosts ...string) Spec {
	s := Spec{KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if len(hosts) > 0 {
		s.Subject.CommonName = hosts[0]
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			s.IPAddresses = append(s.IPAddresses, ip)
		} else {
			s.DNSNames = append(s.DNSNames, h)
		}
	}
	return s
}

// Client is the spec of a user's certificate with common name name, for
// clientAuth.
func Client(name string) Spec {
	return Spec{Subject: pkix.Name{CommonName: name}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
}

// Cert is a certificate and its private key.
type Cert struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// SelfSigned makes a certificate for s signed by its own key: a root CA,
// or a leaf that nobody issued.
func SelfSigned(s Spec) (*Cert, error) { return issue(s, nil) }

// Issue makes a certificate for s signed by c.
func (c *Cert) Issue(s Spec) (*Cert, error) { return issue(s, c) }

func issue(s Spec, parent *Cert) (*Cert, error) {
	key := s.Key
	if key == nil {
		var err error
		if key, err = NewKey(s.RSABits); err != nil {
			return nil, err
		}
	}
	ski := s.SubjectKeyID
	if ski == nil {
		spki, err := x509.MarshalPKIXPublicKey(key.Public())
		if err != nil {
			return nil, fmt.Errorf("certgen: key of %q: %w", s.Subject, err)
		}
		sum := sha1.Sum(spki)
		ski = sum[:]
	}
	ku := s.KeyUsage
	if s.CA && ku == 0 {
		ku = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	now := time.Now()
	nb, na := s.NotBefore, s.NotAfter
	if nb.IsZero() {
		nb = now.Add(-time.Hour)
	}
	if na.IsZero() {
		na = now.Add(30 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{ // a nil SerialNumber gets a random one
		Subject:               s.Subject,
		DNSNames:              s.DNSNames,
		IPAddresses:           s.IPAddresses,
		EmailAddresses:        s.Emails,
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              ku,
		ExtKeyUsage:           s.ExtKeyUsage,
		UnknownExtKeyUsage:    s.UnknownExtKeyUsage,
		SubjectKeyId:          ski,
		BasicConstraintsValid: true,
		IsCA:                  s.CA,
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("certgen: certificate for %q: %w", s.Subject, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certgen: certificate for %q: %w", s.Subject, err)
	}
	return &Cert{Cert: c, Key: key}, nil
}

// NewKey makes an RSA key of rsaBits bits, or an ECDSA P-256 key when
// rsaBits is 0.
func NewKey(rsaBits int) (crypto.Signer, error) {
	if rsaBits != 0 {
		return rsa.GenerateKey(rand.Reader, rsaBits)
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

var shared struct {
	sync.Mutex
	keys map[[2]int]*rsa.PrivateKey
}

// SharedRSAKey returns RSA key number n of size bits, made on first use
// and kept for the life of the process: RSA key generation is slow, and
// tests that need several RSA keys can share a few. Different numbers
// give different keys.
func SharedRSAKey(bits, n int) (*rsa.PrivateKey, error) {
	shared.Lock()
	defer shared.Unlock()
	if k := shared.keys[[2]int{bits, n}]; k != nil {
		return k, nil
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, err
	}
	if shared.keys == nil {
		shared.keys = map[[2]int]*rsa.PrivateKey{}
	}
	shared.keys[[2]int{bits, n}] = k
	return k, nil
}

// Must returns v, and panics if err is set: for tests, where an error
// here is a mistake in the test.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// PEM encodes certs as PEM "CERTIFICATE" blocks, in the order given.
func PEM(certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// KeyPEM encodes key as a PKCS #8 PEM "PRIVATE KEY" block.
func KeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("certgen: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// DER returns the certificates' DER encodings in the order given, as
// IKEv2 CERT payloads carry a chain: the leaf first.
func DER(certs ...*x509.Certificate) [][]byte {
	out := make([][]byte, len(certs))
	for i, c := range certs {
		out[i] = c.Raw
	}
	return out
}
