package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
)

// clientLeaf makes a client certificate under the test intermediate.
func clientLeaf(t *testing.T, p *testPKI, key crypto.Signer) *x509.Certificate {
	t.Helper()
	s := certgen.Client("alice")
	s.Key = key
	return issue(t, p.interCA, s).Cert
}

func pemKey(t *testing.T, k crypto.Signer, form string) []byte {
	t.Helper()
	var b *pem.Block
	switch form {
	case "pkcs1":
		b = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.(*rsa.PrivateKey))}
	case "sec1":
		der, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		b = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	default:
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		b = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	return pem.EncodeToMemory(b)
}

func writeFile(t *testing.T, dir, name string, parts ...[]byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	var data []byte
	for _, p := range parts {
		data = append(data, p...)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkCreds checks the leaf, the chain order and that the signer signs for
// the leaf's key.
func checkCreds(t *testing.T, cc *ikev2.Credentials, want ...*x509.Certificate) {
	t.Helper()
	if len(cc.Chain) != len(want) {
		t.Fatalf("chain has %d certificates, want %d", len(cc.Chain), len(want))
	}
	for i := range want {
		if !cc.Chain[i].Equal(want[i]) {
			t.Fatalf("chain[%d] = %s, want %s", i, cc.Chain[i].Subject, want[i].Subject)
		}
	}
	digest := sha256.Sum256([]byte("IKE signed octets"))
	var opts crypto.SignerOpts = crypto.SHA256
	msg := digest[:]
	if _, ok := cc.Signer.(ed25519.PrivateKey); ok {
		opts, msg = crypto.Hash(0), []byte("IKE signed octets")
	}
	sig, err := cc.Signer.Sign(rand.Reader, msg, opts)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cc.Leaf()
	a := x509.ECDSAWithSHA256
	switch leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		a = x509.SHA256WithRSA
	case ed25519.PublicKey:
		a = x509.PureEd25519
	}
	if err := leaf.CheckSignature(a, []byte("IKE signed octets"), sig); err != nil {
		t.Fatalf("signer does not sign for the leaf: %v", err)
	}
}

func TestLoadPEMSeparateFiles(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		form string
		key  crypto.Signer
	}{
		{"pkcs1", testRSAKey(t, 2)},
		{"sec1", testECKey(t)},
		{"pkcs8", testECKey(t)},
		{"pkcs8", testRSAKey(t, 1)},
	} {
		leaf := clientLeaf(t, p, tc.key)
		// The CA comes first in the file: the loader puts the leaf first
		// and orders the rest up the chain.
		certFile := writeFile(t, dir, tc.form+"-cert.pem", certgen.PEM(p.root), certgen.PEM(leaf), certgen.PEM(p.inter))
		keyFile := writeFile(t, dir, tc.form+"-key.pem", pemKey(t, tc.key, tc.form))
		cc, err := LoadCredentials(certFile, keyFile, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.form, err)
		}
		checkCreds(t, cc, leaf, p.inter, p.root)
		if cc.Source != certFile {
			t.Errorf("Source = %q", cc.Source)
		}
	}
}

func TestLoadPEMOneFileAndEd25519(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := clientLeaf(t, p, edKey)
	both := writeFile(t, dir, "both.pem", pemKey(t, edKey, "pkcs8"), certgen.PEM(leaf), certgen.PEM(p.inter))
	for _, keyFile := range []string{"", both} {
		cc, err := LoadCredentials(both, keyFile, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkCreds(t, cc, leaf, p.inter)
	}
}

func TestLoadDERCertificate(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	k := testECKey(t)
	leaf := clientLeaf(t, p, k)
	certFile := writeFile(t, dir, "leaf.der", leaf.Raw)
	keyFile := writeFile(t, dir, "key.pem", pemKey(t, k, "sec1"))
	cc, err := LoadCredentials(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkCreds(t, cc, leaf)
}

func TestLoadPKCS12(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	password := []byte("correct horse")
	for name, enc := range map[string]*pkcs12.Encoder{
		"modern": pkcs12.Modern2023,
		"legacy": pkcs12.LegacyDES,
	} {
		for _, key := range []crypto.Signer{testRSAKey(t, 2), testECKey(t)} {
			leaf := clientLeaf(t, p, key)
			pfx, err := enc.Encode(key, leaf, []*x509.Certificate{p.root, p.inter}, string(password))
			if err != nil {
				t.Fatal(err)
			}
			f := writeFile(t, dir, name+".p12", pfx)
			cc, err := LoadCredentials(f, "", password)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkCreds(t, cc, leaf, p.inter, p.root)

			_, err = LoadCredentials(f, "", []byte("wrong"))
			if !errors.Is(err, ErrWrongPassword) || !strings.Contains(err.Error(), f) {
				t.Errorf("%s wrong password: %v", name, err)
			}
		}
	}
}

func TestLoadPKCS12EmptyPassword(t *testing.T) {
	p := newTestPKI(t)
	key := testECKey(t)
	leaf := clientLeaf(t, p, key)
	pfx, err := pkcs12.Modern2023.Encode(key, leaf, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	f := writeFile(t, t.TempDir(), "nopass.pfx", pfx)
	cc, err := LoadCredentials(f, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkCreds(t, cc, leaf)
}

func TestLoadKeyMismatch(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	leaf := clientLeaf(t, p, testECKey(t))
	certFile := writeFile(t, dir, "cert.pem", certgen.PEM(leaf), certgen.PEM(p.inter))
	keyFile := writeFile(t, dir, "other-key.pem", pemKey(t, testECKey(t), "pkcs8"))
	_, err := LoadCredentials(certFile, keyFile, nil)
	if !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("want ErrKeyMismatch, got %v", err)
	}
	for _, want := range []string{certFile, keyFile, "CN=alice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	k := testECKey(t)
	leaf := clientLeaf(t, p, k)
	certOnly := writeFile(t, dir, "cert.pem", certgen.PEM(leaf))
	keyOnly := writeFile(t, dir, "key.pem", pemKey(t, k, "pkcs8"))
	both := writeFile(t, dir, "both.pem", certgen.PEM(leaf), pemKey(t, k, "pkcs8"))
	encrypted := writeFile(t, dir, "enc.pem", certgen.PEM(leaf), pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0}}))
	legacyEnc := writeFile(t, dir, "legacy.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"}, Bytes: []byte{1}}))
	twoKeys := writeFile(t, dir, "two.pem", certgen.PEM(leaf), pemKey(t, k, "pkcs8"), pemKey(t, k, "sec1"))
	garbage := writeFile(t, dir, "garbage.bin", []byte("not a certificate at all"))
	empty := writeFile(t, dir, "empty.pem")
	missing := filepath.Join(dir, "missing.pem")

	for _, tc := range []struct {
		name, cert, key string
		is              error
		says            []string
	}{
		{"no key", certOnly, "", ErrNoKey, []string{certOnly}},
		{"missing key file", certOnly, certOnly + "x", os.ErrNotExist, []string{certOnly + "x"}},
		{"key file holds no key", certOnly, writeFile(t, dir, "nokey.pem", certgen.PEM(p.inter)), ErrNoKey, []string{"nokey.pem"}},
		{"no certificate", keyOnly, "", ErrNoCertificate, []string{keyOnly}},
		{"two keys given", both, keyOnly, nil, []string{both, keyOnly, "give one"}},
		{"missing file", missing, "", os.ErrNotExist, []string{missing}},
		{"encrypted pkcs8", encrypted, "", nil, []string{encrypted, "encrypted PKCS#8"}},
		{"encrypted legacy pem", legacyEnc, "", nil, []string{legacyEnc, "encrypted PEM"}},
		{"two keys in one file", twoKeys, "", nil, []string{twoKeys, "more than one private key"}},
		{"garbage", garbage, "", nil, []string{garbage, "PKCS#12"}},
		{"empty", empty, "", nil, []string{empty, "empty"}},
	} {
		_, err := LoadCredentials(tc.cert, tc.key, nil)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v is not %v", tc.name, err, tc.is)
		}
		for _, s := range tc.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: message lacks %q: %v", tc.name, s, err)
			}
		}
	}
}
