package certgen

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/pem"
	"net"
	"testing"
)

// A root, an intermediate and a server leaf make a chain that crypto/x509
// verifies for the server's names.
func TestChain(t *testing.T) {
	root, err := SelfSigned(CA("root"))
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.Issue(CA("intermediate"))
	if err != nil {
		t.Fatal(err)
	}
	s := Server("vpn.example.com", "192.0.2.1", "backup.example.com")
	s.RSABits = 1024
	leaf, err := inter.Issue(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := leaf.Key.(*rsa.PrivateKey); !ok {
		t.Fatalf("RSABits gave a %T", leaf.Key)
	}
	if _, ok := root.Key.(*ecdsa.PrivateKey); !ok {
		t.Fatalf("the default key is a %T", root.Key)
	}
	c := leaf.Cert
	if c.Subject.CommonName != "vpn.example.com" || len(c.DNSNames) != 2 || len(c.IPAddresses) != 1 || !c.IPAddresses[0].Equal(net.ParseIP("192.0.2.1")) {
		t.Fatalf("names: CN %q, DNS %v, IP %v", c.Subject.CommonName, c.DNSNames, c.IPAddresses)
	}
	if inter.Cert.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign || !inter.Cert.IsCA || c.IsCA {
		t.Fatalf("CA flags: intermediate %v %v, leaf %v", inter.Cert.KeyUsage, inter.Cert.IsCA, c.IsCA)
	}
	spki, _ := x509.MarshalPKIXPublicKey(leaf.Key.Public())
	if ski := sha1.Sum(spki); !bytes.Equal(c.SubjectKeyId, ski[:]) || !bytes.Equal(c.AuthorityKeyId, inter.Cert.SubjectKeyId) {
		t.Fatalf("key identifiers: SKI %x, AKI %x", c.SubjectKeyId, c.AuthorityKeyId)
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root.Cert)
	inters.AddCert(inter.Cert)
	for _, host := range []string{"vpn.example.com", "192.0.2.1", "backup.example.com"} {
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, DNSName: host,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, DNSName: "other.example.com"}); err == nil {
		t.Error("verified for a name it does not carry")
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("a server certificate verified for clientAuth")
	}
}

func TestEncodings(t *testing.T) {
	ca := Must(SelfSigned(CA("ca")))
	cli := Must(ca.Issue(Client("alice")))
	rest := PEM(cli.Cert, ca.Cert)
	for _, want := range []*x509.Certificate{cli.Cert, ca.Cert} {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil || b.Type != "CERTIFICATE" || !bytes.Equal(b.Bytes, want.Raw) {
			t.Fatalf("PEM block %v, want %s", b, want.Subject)
		}
	}
	if d := DER(cli.Cert, ca.Cert); len(d) != 2 || !bytes.Equal(d[0], cli.Cert.Raw) || !bytes.Equal(d[1], ca.Cert.Raw) {
		t.Fatal("DER chain out of order")
	}
	kp, err := KeyPEM(cli.Key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(kp)
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil || !k.(*ecdsa.PrivateKey).Equal(cli.Key) {
		t.Fatalf("key PEM: %v", err)
	}
}

func TestSharedRSAKey(t *testing.T) {
	a, b, a2 := Must(SharedRSAKey(1024, 0)), Must(SharedRSAKey(1024, 1)), Must(SharedRSAKey(1024, 0))
	if a != a2 || a.Equal(b) || a.N.BitLen() != 1024 {
		t.Fatal("shared keys: the same number must give the same key, another number another key")
	}
}

func TestErrors(t *testing.T) {
	if _, err := SelfSigned(Server("bäd.example.com")); err == nil {
		t.Error("a DNS name that is no IA5String was accepted")
	}
	if _, err := NewKey(512 - 1); err == nil {
		t.Error("an RSA key of 511 bits was made")
	}
}
