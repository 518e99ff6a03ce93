package client

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs"
	"github.com/vpnc-go/vpnc-go/profile"
)

// CertDirs are the folders searched for client certificates when none is
// given: PEM files holding a certificate (chain) and its key, or PKCS#12
// files without a password. System first, then the user's.
func CertDirs() []string {
	dirs := []string{"/etc/vpnc-go/certs"}
	if d, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "vpnc-go", "certs"))
	}
	return dirs
}

// Certificate is a client certificate chain with the key of its leaf: it
// authenticates IKE-RSA/IKE-ECDSA and EAP-AnyConnect's certificate step.
type Certificate struct{ cred *ikev2.Credentials }

// LoadCertificate reads a client certificate chain and its key: PEM files
// (the key in certFile or keyFile) or a PKCS#12 file with its password.
func LoadCertificate(certFile, keyFile, password string) (*Certificate, error) {
	cred, err := certs.LoadCredentials(certFile, keyFile, []byte(password))
	if err != nil {
		return nil, err
	}
	return &Certificate{cred}, nil
}

// Subject is the leaf's subject name, for messages.
func (c *Certificate) Subject() string { return c.cred.Leaf().Subject.String() }

// Source is the file the certificate came from.
func (c *Certificate) Source() string { return c.cred.Source }

// SelectCertificate loads every certificate of dirs and picks the one the
// profile's rules match (AnyConnect's CertificateMatch; with no rules, any valid
// client certificate). Files that do not load are reported in the error
// only when nothing matches.
func SelectCertificate(dirs []string, match *profile.CertificateMatch, now time.Time) (*Certificate, error) {
	var cands []*ikev2.Credentials
	var skipped []string
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names {
			ext := strings.ToLower(filepath.Ext(n))
			if ext != ".pem" && ext != ".p12" && ext != ".pfx" && ext != ".crt" {
				continue
			}
			c, err := certs.LoadCredentials(filepath.Join(dir, n), "", nil)
			if err != nil {
				skipped = append(skipped, err.Error())
				continue
			}
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		msg := fmt.Sprintf("no client certificate with its key in %s", strings.Join(dirs, ", "))
		if len(skipped) > 0 {
			msg += " (" + strings.Join(skipped, "; ") + ")"
		}
		return nil, errors.New(msg + "; give one with --cert")
	}
	var rules profile.CertificateMatch
	if match != nil {
		rules = *match
	}
	cred, err := certs.Select(cands, rules, now)
	if err != nil {
		return nil, err
	}
	return &Certificate{cred}, nil
}
