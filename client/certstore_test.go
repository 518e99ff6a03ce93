package client

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/profile"
)

// writeCert writes a self-signed certificate and its key into one PEM file.
func writeCert(t *testing.T, dir, name, cn string, eku x509.ExtKeyUsage) {
	t.Helper()
	s := certgen.Client(cn)
	s.Subject.OrganizationalUnit = []string{"VPN"}
	s.ExtKeyUsage = []x509.ExtKeyUsage{eku}
	c := certgen.Must(certgen.SelfSigned(s))
	key := certgen.Must(certgen.KeyPEM(c.Key))
	if err := os.WriteFile(filepath.Join(dir, name), append(certgen.PEM(c.Cert), key...), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSelectCertificate(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir, "a-server.pem", "vpn.example.com", x509.ExtKeyUsageServerAuth)
	writeCert(t, dir, "b-alice.pem", "alice", x509.ExtKeyUsageClientAuth)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.pem"), []byte("not PEM"), 0o644)

	m := &profile.CertificateMatch{ExtendedKeyUsage: []string{"ClientAuth"},
		DistinguishedName: []profile.DNRule{{Name: "CN", Pattern: "ali", Wildcard: true, MatchCase: true}}}
	c, err := SelectCertificate([]string{dir}, m, time.Now())
	if err != nil || c.Subject() != "CN=alice,OU=VPN" {
		t.Fatalf("got %v %v", c, err)
	}
	m.DistinguishedName[0].NotEqual = true
	if _, err := SelectCertificate([]string{dir}, m, time.Now()); err == nil {
		t.Fatal("a NotEqual rule that excludes the only client certificate matched")
	}
	if _, err := SelectCertificate([]string{t.TempDir()}, nil, time.Now()); err == nil || !strings.Contains(err.Error(), "--cert") {
		t.Fatalf("empty folder: %v", err)
	}
}
