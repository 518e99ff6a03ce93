package headend

import (
	"crypto/x509"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
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
	ca, err := certgen.SelfSigned(certgen.CA("vpnc-go demo CA"))
	if err != nil {
		return err
	}
	s := certgen.Server(append([]string{host}, moreHosts...)...)
	s.RSABits = 2048
	s.KeyUsage |= x509.KeyUsageKeyEncipherment
	srv, err := ca.Issue(s)
	if err != nil {
		return err
	}
	cli, err := ca.Issue(certgen.Client(user))
	if err != nil {
		return err
	}
	srvKey, err := certgen.KeyPEM(srv.Key)
	if err != nil {
		return err
	}
	cliKey, err := certgen.KeyPEM(cli.Key)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{CAFile, certgen.PEM(ca.Cert), 0o644},
		{ServerCertFile, certgen.PEM(srv.Cert, ca.Cert), 0o644},
		{ServerKeyFile, srvKey, 0o600},
		{ClientCertFile, certgen.PEM(cli.Cert), 0o644},
		{ClientKeyFile, cliKey, 0o600},
	} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
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
