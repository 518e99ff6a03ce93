package headend

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI file names that GeneratePKI writes and the example configuration
// uses.
const (
	CAFile         = "ca.pem"
	ServerCertFile = "server.pem"
	ServerKeyFile  = "server.key"
	ClientCertFile = "client.pem"
	ClientKeyFile  = "client.key"
)

// GeneratePKI writes a throwaway CA, a headend certificate for host (a name
// or an address; RSA-2048, as ASAs usually have) and a client certificate
// for user into dir, for demos and tests. The headend certificate also
// names moreHosts (a headend reached under several addresses, such as a
// backup server). Nothing here is meant to protect anything real.
func GeneratePKI(dir, host, user string, moreHosts ...string) error {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vpnc-go demo CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return err
	}
	srvKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	srv := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range append([]string{host}, moreHosts...) {
		if ip := net.ParseIP(h); ip != nil {
			srv.IPAddresses = append(srv.IPAddresses, ip)
		} else {
			srv.DNSNames = append(srv.DNSNames, h)
		}
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	cliKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	cli := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: user},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	cliDER, err := x509.CreateCertificate(rand.Reader, cli, ca, &cliKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	srvKeyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		return err
	}
	cliKeyDER, err := x509.MarshalPKCS8PrivateKey(cliKey)
	if err != nil {
		return err
	}
	files := []struct {
		name   string
		blocks []*pem.Block
		mode   os.FileMode
	}{
		{CAFile, []*pem.Block{{Type: "CERTIFICATE", Bytes: caDER}}, 0o644},
		{ServerCertFile, []*pem.Block{{Type: "CERTIFICATE", Bytes: srvDER}, {Type: "CERTIFICATE", Bytes: caDER}}, 0o644},
		{ServerKeyFile, []*pem.Block{{Type: "PRIVATE KEY", Bytes: srvKeyDER}}, 0o600},
		{ClientCertFile, []*pem.Block{{Type: "CERTIFICATE", Bytes: cliDER}}, 0o644},
		{ClientKeyFile, []*pem.Block{{Type: "PRIVATE KEY", Bytes: cliKeyDER}}, 0o600},
	}
	for _, f := range files {
		var b []byte
		for _, blk := range f.blocks {
			b = append(b, pem.EncodeToMemory(blk)...)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b, f.mode); err != nil {
			return fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	return nil
}

// SeedConfig is the annotated example configuration that mirrors the seed
// ASA (testdata/headend/asa-seed.toml links to it). Its relative file
// names expect GeneratePKI's files beside it.
//
//go:embed asa-seed.toml
var SeedConfig []byte
