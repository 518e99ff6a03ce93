package clienttest

import (
	"crypto/rand"
	"crypto/x509"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
)

// HeadendName is the name the ASA headend's certificate carries (beside
// HeadendAddr) and the resolver of Deps knows.
const HeadendName = "vpn.example.com"

// ASA is what a test tells an ASA-like headend: its one user and the
// banner of its group policy (none when empty).
type ASA struct {
	User, Password string
	Banner         string
}

// NewASA starts a headend like the seed ASA for EAP-AnyConnect clients:
// tunnel group ASA-IKEV2 with a password form, one user, the address
// 10.2.2.10/24, DNS 198.51.100.53 for corp.example and the split network
// 198.51.100.0/24. It returns the headend and a CA file that trusts it.
func NewASA(t testing.TB, a ASA) (h *Headend, caFile string) {
	t.Helper()
	ca := certgen.Must(certgen.SelfSigned(certgen.CA("CA")))
	leaf := certgen.Must(ca.Issue(certgen.Server(HeadendName, HeadendAddr.String())))
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, certgen.PEM(ca.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	h = NewHeadend(t, ikev2.ServerConfig{
		Credentials: &ikev2.Credentials{Chain: []*x509.Certificate{leaf.Cert, ca.Cert}, Signer: leaf.Key},
		AskIdentity: func(c ikev2.EAPClient) bool { return !c.AnyConnect },
		EAP: func(ikev2.EAPClient) (eap.Authenticator, error) {
			return &anyconnect.Authenticator{Groups: []anyconnect.TunnelGroup{{Name: "ASA-IKEV2", Password: true}},
				DefaultGroup: "ASA-IKEV2", Rand: rand.Reader, Retries: 1,
				CheckPassword: func(_, user, pass string) error {
					if user != a.User || pass != a.Password {
						return anyconnect.ErrWrongPassword
					}
					return nil
				}}, nil
		},
		Assign: func(ikev2.ClientInfo) (*ikev2.Lease, error) {
			return &ikev2.Lease{Config: &ikev2.Assignment{
				Address4: netip.MustParsePrefix("10.2.2.10/24"), DNS: []netip.Addr{netip.MustParseAddr("198.51.100.53")},
				Domains: []string{"corp.example"}, Include: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
				Banner: a.Banner,
			}}, nil
		},
	})
	return h, caFile
}

// Deps are a session's operating-system parts wired to h: its data plane,
// a recording network configuration, and a resolver that knows only
// HeadendName.
func (h *Headend) Deps() client.Deps {
	return client.Deps{
		NetConfig:    &netcfg.Fake{},
		NewDataPlane: h.NewDataPlane,
		Resolve: func(host string) ([]netip.Addr, error) {
			if host == HeadendName {
				return []netip.Addr{HeadendAddr}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
	}
}
