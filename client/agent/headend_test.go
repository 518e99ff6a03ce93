package agent

// An in-process headend for the agent's tests (client/clienttest), so a
// real client.Session runs inside the agent with no sockets, TUN devices
// or root.

import (
	"crypto/rand"
	"crypto/x509"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/clienttest"
	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
)

const (
	testUser     = "alice"
	testPassword = "correct horse battery"
	headendName  = "vpn.example.com"
)

var headendAddr = netip.AddrPortFrom(clienttest.HeadendAddr, 500)

// testHeadend is the shared in-process headend with the CA file that
// trusts it.
type testHeadend struct{ *clienttest.Headend }

// newTestHeadend makes a headend speaking EAP-AnyConnect to alice, and
// the CA file that trusts it.
func newTestHeadend(t *testing.T) (*testHeadend, string) {
	t.Helper()
	ca := certgen.Must(certgen.SelfSigned(certgen.CA("CA")))
	leaf := certgen.Must(ca.Issue(certgen.Server(headendName, headendAddr.Addr().String())))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, certgen.PEM(ca.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr("10.2.2.10")
	h := clienttest.NewHeadend(t, ikev2.ServerConfig{
		Credentials: &ikev2.Credentials{Chain: []*x509.Certificate{leaf.Cert, ca.Cert}, Signer: leaf.Key},
		AskIdentity: func(c ikev2.EAPClient) bool { return !c.AnyConnect },
		EAP: func(ikev2.EAPClient) (eap.Authenticator, error) {
			return &anyconnect.Authenticator{Groups: []anyconnect.TunnelGroup{{Name: "ASA-IKEV2", Password: true}},
				DefaultGroup: "ASA-IKEV2", Rand: rand.Reader, Retries: 1,
				CheckPassword: func(_, user, pass string) error {
					if user != testUser || pass != testPassword {
						return anyconnect.ErrWrongPassword
					}
					return nil
				}}, nil
		},
		Assign: func(ikev2.ClientInfo) (*ikev2.Lease, error) {
			return &ikev2.Lease{Config: &ikev2.Assignment{
				Address4: netip.PrefixFrom(addr, 24), DNS: []netip.Addr{netip.MustParseAddr("198.51.100.53")},
				Domains: []string{"corp.example"}, Include: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
			}}, nil
		},
	})
	return &testHeadend{h}, caFile
}

// newSession is the agent's NewSession against h: its data plane and a
// recording network configuration.
func (h *testHeadend) newSession(o client.Options) (*client.Session, error) {
	return client.New(o, client.Deps{
		NetConfig:    &netcfg.Fake{},
		NewDataPlane: h.NewDataPlane,
		Resolve: func(host string) ([]netip.Addr, error) {
			if host == headendName {
				return []netip.Addr{headendAddr.Addr()}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
	})
}
