//go:build linux

package swan

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKIOptions shape the throwaway PKI of one test.
type PKIOptions struct {
	ServerHost string // an address or name: the server certificate's SAN and CN
	ServerBits int    // RSA key size of the server (2048 when 0)
	// Intermediates is the number of CAs between the root and the server:
	// they are sent in the IKE_AUTH response and make it larger.
	Intermediates    int
	IntermediateBits int    // 2048 when 0
	Client           string // CN and SAN (email) of an RSA client certificate; none when empty
	// ClientKeyID, when set, is the client certificate's subject key
	// identifier, as text: strongSwan matches an IDi of type ID_KEY_ID
	// against it.
	ClientKeyID string
}

// PKI is what MakePKI wrote: paths of PEM files.
type PKI struct {
	CA            string   // root CA certificate
	Intermediates []string // intermediate CA certificates, root side first
	ServerCert    string   // leaf only
	ServerKey     string   // PKCS#8
	ClientCert    string   // leaf only
	ClientKey     string
	ClientChain   string // leaf and intermediates, for vpnc-go --cert
}

type issuer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// MakePKI makes a root CA (RSA 2048), a chain of intermediate CAs, an RSA
// server certificate and optionally an RSA client certificate issued by
// the last intermediate (or the root), written as PEM files into dir.
// Nothing here protects anything real.
func MakePKI(dir string, o PKIOptions) (*PKI, error) {
	if o.ServerBits == 0 {
		o.ServerBits = 2048
	}
	if o.IntermediateBits == 0 {
		o.IntermediateBits = 2048
	}
	p := &PKI{}
	serial := int64(1)
	next := func() *big.Int { serial++; return big.NewInt(serial) }
	now := time.Now()
	write := func(name string, blocks ...*pem.Block) (string, error) {
		path := filepath.Join(dir, name)
		var b []byte
		for _, blk := range blocks {
			b = append(b, pem.EncodeToMemory(blk)...)
		}
		return path, os.WriteFile(path, b, 0o600)
	}
	certBlock := func(c *x509.Certificate) *pem.Block { return &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw} }
	issue := func(tmpl *x509.Certificate, bits int, parent *issuer) (*issuer, error) {
		key, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, err
		}
		pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
		ski := sha1.Sum(pub)
		if tmpl.SubjectKeyId == nil {
			tmpl.SubjectKeyId = ski[:]
		}
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(7*24*time.Hour)
		pc, pk := tmpl, crypto.Signer(key)
		if parent != nil {
			pc, pk = parent.cert, parent.key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, pc, &key.PublicKey, pk)
		if err != nil {
			return nil, err
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		return &issuer{c, key}, nil
	}
	caTmpl := func(cn string) *x509.Certificate {
		return &x509.Certificate{SerialNumber: next(), Subject: pkix.Name{Organization: []string{"vpnc-go interop"}, CommonName: cn},
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	}
	root, err := issue(caTmpl("interop root CA"), 2048, nil)
	if err != nil {
		return nil, err
	}
	if p.CA, err = write("ca.pem", certBlock(root.cert)); err != nil {
		return nil, err
	}
	iss := root
	var chain []*pem.Block
	for i := range o.Intermediates {
		im, err := issue(caTmpl(fmt.Sprintf("interop intermediate CA %d", i+1)), o.IntermediateBits, iss)
		if err != nil {
			return nil, err
		}
		path, err := write(fmt.Sprintf("intermediate%d.pem", i+1), certBlock(im.cert))
		if err != nil {
			return nil, err
		}
		p.Intermediates = append(p.Intermediates, path)
		chain = append([]*pem.Block{certBlock(im.cert)}, chain...)
		iss = im
	}
	srvTmpl := &x509.Certificate{SerialNumber: next(), Subject: pkix.Name{Organization: []string{"vpnc-go interop"}, CommonName: o.ServerHost},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if ip := net.ParseIP(o.ServerHost); ip != nil {
		srvTmpl.IPAddresses = []net.IP{ip}
	} else {
		srvTmpl.DNSNames = []string{o.ServerHost}
	}
	srv, err := issue(srvTmpl, o.ServerBits, iss)
	if err != nil {
		return nil, err
	}
	if p.ServerCert, err = write("server.pem", certBlock(srv.cert)); err != nil {
		return nil, err
	}
	if p.ServerKey, err = writeKey(dir, "server.key", srv.key); err != nil {
		return nil, err
	}
	if o.Client != "" {
		cliTmpl := &x509.Certificate{SerialNumber: next(), Subject: pkix.Name{Organization: []string{"vpnc-go interop"}, CommonName: o.Client},
			EmailAddresses: []string{o.Client + "@corp.example"},
			KeyUsage:       x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		if o.ClientKeyID != "" {
			cliTmpl.SubjectKeyId = []byte(o.ClientKeyID)
		}
		cli, err := issue(cliTmpl, 2048, iss)
		if err != nil {
			return nil, err
		}
		if p.ClientCert, err = write("client.pem", certBlock(cli.cert)); err != nil {
			return nil, err
		}
		if p.ClientChain, err = write("client-chain.pem", append([]*pem.Block{certBlock(cli.cert)}, chain...)...); err != nil {
			return nil, err
		}
		if p.ClientKey, err = writeKey(dir, "client.key", cli.key); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func writeKey(dir, name string, key crypto.Signer) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// Install copies the PKI into a charon's swanctl folders: the CAs into
// x509ca, the server certificate into x509 and its key into private.
// The caller names them in swanctl.conf as server.pem.
func (p *PKI) Install(c *Charon, cert, key string) error {
	copyTo := func(src, sub string) error {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(c.SwanctlDir(), sub, filepath.Base(src)), b, 0o600)
	}
	for _, ca := range append([]string{p.CA}, p.Intermediates...) {
		if err := copyTo(ca, "x509ca"); err != nil {
			return err
		}
	}
	if err := copyTo(cert, "x509"); err != nil {
		return err
	}
	return copyTo(key, "private")
}
