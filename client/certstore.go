package client

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

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

// MatchRules converts a profile's CertificateMatch to the certs package's
// rules.
func MatchRules(m *profile.CertificateMatch) certs.MatchRules {
	var r certs.MatchRules
	if m == nil {
		return r
	}
	r.KeyUsage, r.ExtendedKeyUsage, r.CustomExtendedKeyUsage = m.KeyUsage, m.ExtendedKeyUsage, m.CustomExtendedKeyUsage
	for _, d := range m.DistinguishedName {
		rule := certs.NewDNRule(d.Name, d.Pattern)
		rule.Wildcard, rule.MatchCase = d.Wildcard, d.MatchCase
		if d.NotEqual {
			rule.Operator = certs.NotEqual
		}
		r.DistinguishedName = append(r.DistinguishedName, rule)
	}
	return r
}

// SelectCertificate loads every certificate of dirs and picks the one the
// rules match (AnyConnect's CertificateMatch; with no rules, any valid
// client certificate). Files that do not load are reported in the error
// only when nothing matches.
func SelectCertificate(dirs []string, rules certs.MatchRules, now time.Time) (*certs.ClientCredentials, error) {
	var cands []*certs.ClientCredentials
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
			c, err := certs.LoadClientCredentials(filepath.Join(dir, n), "", nil)
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
	return certs.Select(cands, rules, now)
}
