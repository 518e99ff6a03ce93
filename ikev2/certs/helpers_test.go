package certs

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
)

// All certificates in these tests are made at run time with throwaway keys.

// testNow is the fixed "current time" of the tests.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// testRSAKey returns RSA key number i of those the tests share (RSA key
// generation is slow).
func testRSAKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	k, err := certgen.SharedRSAKey(2048, i)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testECKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := certgen.NewKey(0)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// issue makes a certificate for spec, valid from a day before testNow for
// a year unless spec says otherwise, signed by parent or self-signed when
// parent is nil.
func issue(t testing.TB, parent *certgen.Cert, spec certgen.Spec) *certgen.Cert {
	t.Helper()
	if spec.NotBefore.IsZero() {
		spec.NotBefore = testNow.Add(-24 * time.Hour)
	}
	if spec.NotAfter.IsZero() {
		spec.NotAfter = testNow.Add(365 * 24 * time.Hour)
	}
	sign := certgen.SelfSigned
	if parent != nil {
		sign = parent.Issue
	}
	c, err := sign(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cn(s string) pkix.Name { return pkix.Name{CommonName: s} }

// testPKI is a root CA (RSA) and an intermediate CA (ECDSA) under it, with
// a helper to make server leaves under the intermediate.
type testPKI struct {
	rootCA, interCA *certgen.Cert     // the issuers
	root, inter     *x509.Certificate // their certificates
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	root := issue(t, nil, certgen.Spec{Subject: pkix.Name{CommonName: "Test Root CA", Organization: []string{"vpnc-go tests"}},
		CA: true, Key: testRSAKey(t, 0)})
	inter := issue(t, root, certgen.CA("Test Intermediate CA"))
	return &testPKI{rootCA: root, interCA: inter, root: root.Cert, inter: inter.Cert}
}

// leaf makes a server certificate under the intermediate with serverAuth
// unless spec says otherwise.
func (p *testPKI) leaf(t testing.TB, spec certgen.Spec) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	if spec.Subject.CommonName == "" && len(spec.Subject.Names) == 0 {
		spec.Subject = cn("vpn.example.com")
	}
	if spec.ExtKeyUsage == nil && spec.UnknownExtKeyUsage == nil {
		spec.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	if spec.KeyUsage == 0 {
		spec.KeyUsage = x509.KeyUsageDigitalSignature
	}
	c := issue(t, p.interCA, spec)
	return c.Cert, c.Key
}

// cfgFor trusts only the given CAs (no system roots) for host at testNow.
func cfgFor(host string, cas ...*x509.Certificate) TrustConfig {
	return TrustConfig{Host: host, Now: testNow, ExtraCAs: cas}
}
