package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"
)

// All certificates in these tests are made at run time with throwaway keys.

// testNow is the fixed "current time" of the tests.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

var (
	rsaKeyOnce sync.Once
	rsaKeys    []*rsa.PrivateKey
)

// testRSAKey returns one of a few RSA keys made once per test run (RSA key
// generation is slow).
func testRSAKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	rsaKeyOnce.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys = append(rsaKeys, k)
		}
	})
	return rsaKeys[i%len(rsaKeys)]
}

func testECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type certSpec struct {
	subject    pkix.Name
	dns        []string
	ips        []net.IP
	isCA       bool
	ku         x509.KeyUsage
	eku        []x509.ExtKeyUsage
	unknownEKU []asn1.ObjectIdentifier
	notBefore  time.Time
	notAfter   time.Time
}

var serial int64 = 1000

// issue makes a certificate for key, signed by parent/parentKey, or
// self-signed when parent is nil.
func issue(t testing.TB, spec certSpec, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	serial++
	nb, na := spec.notBefore, spec.notAfter
	if nb.IsZero() {
		nb = testNow.Add(-24 * time.Hour)
	}
	if na.IsZero() {
		na = testNow.Add(365 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               spec.subject,
		DNSNames:              spec.dns,
		IPAddresses:           spec.ips,
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              spec.ku,
		ExtKeyUsage:           spec.eku,
		UnknownExtKeyUsage:    spec.unknownEKU,
		BasicConstraintsValid: true,
		IsCA:                  spec.isCA,
	}
	if spec.isCA && tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cn(s string) pkix.Name { return pkix.Name{CommonName: s} }

// testPKI is a root CA (RSA), an intermediate (ECDSA) and helpers to make
// server leaves under the intermediate.
type testPKI struct {
	root, inter       *x509.Certificate
	rootKey, interKey crypto.Signer
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	p := &testPKI{rootKey: testRSAKey(t, 0), interKey: testECKey(t)}
	p.root = issue(t, certSpec{subject: pkix.Name{CommonName: "Test Root CA", Organization: []string{"vpnc-go tests"}}, isCA: true}, p.rootKey, nil, nil)
	p.inter = issue(t, certSpec{subject: cn("Test Intermediate CA"), isCA: true}, p.interKey, p.root, p.rootKey)
	return p
}

// leaf makes a server certificate under the intermediate with serverAuth
// unless spec says otherwise.
func (p *testPKI) leaf(t testing.TB, spec certSpec) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	k := testECKey(t)
	if spec.subject.CommonName == "" && len(spec.subject.Names) == 0 {
		spec.subject = cn("vpn.example.com")
	}
	if spec.eku == nil && spec.unknownEKU == nil {
		spec.eku = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	if spec.ku == 0 {
		spec.ku = x509.KeyUsageDigitalSignature
	}
	return issue(t, spec, k, p.inter, p.interKey), k
}

func ders(certs ...*x509.Certificate) [][]byte {
	out := make([][]byte, len(certs))
	for i, c := range certs {
		out[i] = c.Raw
	}
	return out
}

// cfgFor trusts only the given CAs (no system roots) for host at testNow.
func cfgFor(host string, cas ...*x509.Certificate) TrustConfig {
	return TrustConfig{Host: host, Now: testNow, ExtraCAs: cas}
}
