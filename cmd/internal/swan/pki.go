//go:build linux

package swan

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
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
	write := func(path *string, name string, data []byte) error {
		*path = filepath.Join(dir, name)
		return os.WriteFile(*path, data, 0o600)
	}
	// writeLeaf writes c's certificate and key as name.pem and name.key.
	writeLeaf := func(certPath, keyPath *string, name string, c *certgen.Cert) error {
		key, err := certgen.KeyPEM(c.Key)
		if err != nil {
			return err
		}
		if err := write(certPath, name+".pem", certgen.PEM(c.Cert)); err != nil {
			return err
		}
		return write(keyPath, name+".key", key)
	}
	spec := func(s certgen.Spec, bits int) certgen.Spec {
		s.Subject.Organization = []string{"vpnc-go interop"}
		s.RSABits = bits
		return s
	}
	root, err := certgen.SelfSigned(spec(certgen.CA("interop root CA"), 2048))
	if err != nil {
		return nil, err
	}
	if err := write(&p.CA, "ca.pem", certgen.PEM(root.Cert)); err != nil {
		return nil, err
	}
	iss := root
	var chain []*x509.Certificate // intermediates, leaf side first
	for i := range o.Intermediates {
		im, err := iss.Issue(spec(certgen.CA(fmt.Sprintf("interop intermediate CA %d", i+1)), o.IntermediateBits))
		if err != nil {
			return nil, err
		}
		var path string
		if err := write(&path, fmt.Sprintf("intermediate%d.pem", i+1), certgen.PEM(im.Cert)); err != nil {
			return nil, err
		}
		p.Intermediates = append(p.Intermediates, path)
		chain = append([]*x509.Certificate{im.Cert}, chain...)
		iss = im
	}
	s := spec(certgen.Server(o.ServerHost), o.ServerBits)
	s.KeyUsage |= x509.KeyUsageKeyEncipherment
	srv, err := iss.Issue(s)
	if err != nil {
		return nil, err
	}
	if err := writeLeaf(&p.ServerCert, &p.ServerKey, "server", srv); err != nil {
		return nil, err
	}
	if o.Client != "" {
		s := spec(certgen.Client(o.Client), 2048)
		s.Emails = []string{o.Client + "@corp.example"}
		if o.ClientKeyID != "" {
			s.SubjectKeyID = []byte(o.ClientKeyID)
		}
		cli, err := iss.Issue(s)
		if err != nil {
			return nil, err
		}
		if err := writeLeaf(&p.ClientCert, &p.ClientKey, "client", cli); err != nil {
			return nil, err
		}
		if err := write(&p.ClientChain, "client-chain.pem", certgen.PEM(append([]*x509.Certificate{cli.Cert}, chain...)...)); err != nil {
			return nil, err
		}
	}
	return p, nil
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
