package gui

// A real agent (client/agent's Server, running a real client.Session)
// with an in-process headend behind it (client/clienttest): no sockets
// but the agent's own, no TUN device, no root.

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/client/clienttest"
	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/profile"
)

const (
	testUser     = "alice"
	testPassword = "correct horse battery"
	testBanner   = "Authorized users only."
	headendName  = "vpn.example.com"
)

// startAgent serves an agent on a socket in a temporary folder and
// returns the socket's path.
func startAgent(t *testing.T) string {
	t.Helper()
	return startAgentTrusting(t, true)
}

// startAgentTrusting is startAgent with the headend's CA given to the
// agent (trusted) or not (its certificate is refused).
func startAgentTrusting(t *testing.T, trusted bool) string {
	t.Helper()
	ca := certgen.Must(certgen.SelfSigned(certgen.CA("CA")))
	headendAddr := netip.AddrPortFrom(clienttest.HeadendAddr, 500)
	leaf := certgen.Must(ca.Issue(certgen.Server(headendName, headendAddr.Addr().String())))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, certgen.PEM(ca.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
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
				Address4: netip.MustParsePrefix("10.2.2.10/24"), DNS: []netip.Addr{netip.MustParseAddr("198.51.100.53")},
				Domains: []string{"corp.example"}, Include: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
				Banner: testBanner,
			}}, nil
		},
	})
	newSession := func(o client.Options) (*client.Session, error) {
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
	if !trusted {
		caFile = ""
	}
	srv, err := agent.NewServer(agent.Config{
		Policy:     &agent.Policy{CAFile: caFile, Profiles: func() *profile.Catalog { return &profile.Catalog{} }},
		NewSession: newSession,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Build:      "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(t.TempDir(), "agent.sock")
	l, err := agent.Listen(socket, "")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return socket
}
