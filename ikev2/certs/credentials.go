package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vpnc-go/vpnc-go/ikev2"
	"software.sslmate.com/src/go-pkcs12"
)

// Errors that LoadCredentials wraps, for callers that react to them
// (ask for the password again, say what file is missing a key).
var (
	ErrWrongPassword = errors.New("wrong password")
	ErrNoKey         = errors.New("no private key")
	ErrNoCertificate = errors.New("no certificate")
	ErrKeyMismatch   = errors.New("the private key does not belong to the certificate")
)

// maxCredentialFile bounds what LoadCredentials reads from one file.
const maxCredentialFile = 1 << 20

// LoadCredentials reads a client certificate chain and its private
// key.
//
// certFile is PEM (CERTIFICATE blocks, and optionally the key too), DER
// certificates, or PKCS#12 (.p12/.pfx, decrypted with password). keyFile
// may be "" or equal to certFile when the key is in certFile; otherwise it
// is a PEM file with a PKCS#1 ("RSA PRIVATE KEY"), PKCS#8 ("PRIVATE KEY")
// or SEC 1 ("EC PRIVATE KEY") key, or a PKCS#12 file. Encrypted PEM keys are
// not supported (convert them to PKCS#12 or decrypt them). The leaf is the
// certificate whose public key matches the private key.
func LoadCredentials(certFile, keyFile string, password []byte) (*ikev2.Credentials, error) {
	certData, err := readCredentialFile(certFile, "certificate")
	if err != nil {
		return nil, err
	}
	certs, key, err := parseCredentialFile(certFile, certData, password)
	if err != nil {
		return nil, err
	}
	if keyFile != "" && filepath.Clean(keyFile) != filepath.Clean(certFile) {
		if key != nil {
			return nil, fmt.Errorf("certs: %s already holds a private key, and a key file %s was given too: give one", certFile, keyFile)
		}
		keyData, err := readCredentialFile(keyFile, "key")
		if err != nil {
			return nil, err
		}
		more, k, err := parseCredentialFile(keyFile, keyData, password)
		if err != nil {
			return nil, err
		}
		if k == nil {
			return nil, fmt.Errorf("certs: key file %s: %w found", keyFile, ErrNoKey)
		}
		key = k
		certs = append(certs, more...)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("certs: %s: %w found", certFile, ErrNoCertificate)
	}
	if key == nil {
		return nil, fmt.Errorf("certs: %s: %w found, and no key file was given", certFile, ErrNoKey)
	}
	keyWhere := certFile
	if keyFile != "" {
		keyWhere = keyFile
	}
	chain, err := orderChain(certs, key)
	if err != nil {
		return nil, fmt.Errorf("certs: the private key in %s does not match %s: %w", keyWhere, describeCerts(certFile, certs), ErrKeyMismatch)
	}
	return &ikev2.Credentials{Chain: chain, Signer: key, Source: certFile}, nil
}

func readCredentialFile(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("certs: %s file: %w", what, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCredentialFile+1))
	if err != nil {
		return nil, fmt.Errorf("certs: %s file %s: %w", what, path, err)
	}
	if len(data) > maxCredentialFile {
		return nil, fmt.Errorf("certs: %s file %s is larger than %d bytes", what, path, maxCredentialFile)
	}
	return data, nil
}

// parseCredentialFile reads certificates and at most one private key from
// PEM, DER or PKCS#12 data.
func parseCredentialFile(path string, data []byte, password []byte) ([]*x509.Certificate, crypto.Signer, error) {
	if len(data) == 0 {
		return nil, nil, fmt.Errorf("certs: %s is empty", path)
	}
	if isPEM(data) {
		return parsePEMCredentials(path, data)
	}
	// DER: one or more X.509 certificates, else PKCS#12.
	if certs, err := x509.ParseCertificates(data); err == nil && len(certs) > 0 {
		return certs, nil, nil
	}
	if k, err := parsePrivateKeyDER(data); err == nil {
		return nil, k, nil
	}
	return parsePKCS12(path, data, password)
}

func parsePEMCredentials(path string, data []byte) ([]*x509.Certificate, crypto.Signer, error) {
	var certs []*x509.Certificate
	var key crypto.Signer
	rest := data
	for n := 1; ; n++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("certs: %s: PEM block %d (CERTIFICATE): %w", path, n, err)
			}
			certs = append(certs, c)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if key != nil {
				return nil, nil, fmt.Errorf("certs: %s: more than one private key", path)
			}
			if _, encrypted := b.Headers["DEK-Info"]; encrypted {
				return nil, nil, fmt.Errorf("certs: %s: PEM block %d: encrypted PEM keys are not supported: use a PKCS#12 file or decrypt the key (openssl pkey -in KEY -out PLAIN)", path, n)
			}
			k, err := parsePrivateKeyBlock(b)
			if err != nil {
				return nil, nil, fmt.Errorf("certs: %s: PEM block %d (%s): %w", path, n, b.Type, err)
			}
			key = k
		case "ENCRYPTED PRIVATE KEY":
			return nil, nil, fmt.Errorf("certs: %s: PEM block %d: encrypted PKCS#8 keys are not supported: use a PKCS#12 file or decrypt the key (openssl pkey -in KEY -out PLAIN)", path, n)
		}
	}
	return certs, key, nil
}

func parsePrivateKeyBlock(b *pem.Block) (crypto.Signer, error) {
	var k any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, err
	}
	return asSigner(k)
}

func parsePrivateKeyDER(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return asSigner(k)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("not a DER private key")
}

func asSigner(k any) (crypto.Signer, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	default:
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
}

func parsePKCS12(path string, data []byte, password []byte) ([]*x509.Certificate, crypto.Signer, error) {
	k, leaf, cas, err := pkcs12.DecodeChain(data, string(password))
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
			return nil, nil, fmt.Errorf("certs: %s: %w for this PKCS#12 file", path, ErrWrongPassword)
		}
		return nil, nil, fmt.Errorf("certs: %s is not PEM, DER or a readable PKCS#12 file: %w", path, err)
	}
	s, err := asSigner(k)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %s: %w", path, err)
	}
	return append([]*x509.Certificate{leaf}, cas...), s, nil
}

// orderChain puts the certificate that matches key first, then its
// issuers as far as they link, then the remaining certificates in their
// order. Duplicates are dropped.
func orderChain(certs []*x509.Certificate, key crypto.Signer) ([]*x509.Certificate, error) {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := key.Public().(equaler)
	if !ok {
		return nil, errors.New("key type cannot be compared")
	}
	var uniq []*x509.Certificate
	for _, c := range certs {
		dup := false
		for _, u := range uniq {
			if u.Equal(c) {
				dup = true
				break
			}
		}
		if !dup {
			uniq = append(uniq, c)
		}
	}
	leafAt := -1
	for i, c := range uniq {
		if pub.Equal(c.PublicKey) {
			leafAt = i
			break
		}
	}
	if leafAt < 0 {
		return nil, ErrKeyMismatch
	}
	used := make([]bool, len(uniq))
	used[leafAt] = true
	chain := []*x509.Certificate{uniq[leafAt]}
	for cur := uniq[leafAt]; ; {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) {
			break
		}
		next := -1
		for i, c := range uniq {
			if !used[i] && issuedBy(cur, c) {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		chain = append(chain, uniq[next])
		cur = uniq[next]
	}
	for i, c := range uniq {
		if !used[i] {
			chain = append(chain, c)
		}
	}
	return chain, nil
}

// issuedBy reports whether parent looks like child's issuer: by name, and
// by key identifier where both carry one. Signatures are not checked here
// (this only orders the chain; the headend verifies it).
func issuedBy(child, parent *x509.Certificate) bool {
	if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return false
	}
	if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 {
		return bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId)
	}
	return true
}

func describeCerts(path string, certs []*x509.Certificate) string {
	names := make([]string, 0, len(certs))
	for _, c := range certs {
		names = append(names, printable(c.Subject.String()))
	}
	return fmt.Sprintf("any certificate in %s (%s)", path, strings.Join(names, "; "))
}
