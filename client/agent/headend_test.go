package agent

// An in-process headend for the agent's tests: an ikev2.Server reached
// through a fake data plane, so a real client.Session runs inside the
// agent with no sockets, TUN devices or root. The pieces are a minimal
// copy of client/session_test.go's harness (until it is shared as a
// test-support package).

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

const (
	testUser     = "alice"
	testPassword = "correct horse battery"
	headendName  = "vpn.example.com"
)

var (
	headendAddr = netip.MustParseAddrPort("192.0.2.1:500")
	clientAddr  = netip.MustParseAddrPort("192.0.2.2:40000")
)

type testHeadend struct {
	mu    sync.Mutex
	srv   *ikev2.Server
	onIKE func(netip.AddrPort, bool, []byte)
}

type fakePlane struct {
	h  *testHeadend
	mu sync.Mutex
	n  int // CHILD SAs installed
}

func (f *fakePlane) LocalAddr(netip.AddrPort) (netip.AddrPort, error) { return clientAddr, nil }
func (f *fakePlane) Device() (string, int)                            { return "vpnc0", 1400 }
func (f *fakePlane) Stats() client.Stats                              { return client.Stats{PacketsIn: 7} }
func (f *fakePlane) Close() error                                     { return nil }
func (f *fakePlane) Usage(uint32) (uint64, bool)                      { return 0, false }
func (f *fakePlane) Remove(*ikev2.ChildSA)                            {}
func (f *fakePlane) Install(*ikev2.ChildSA, []netip.Prefix) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return nil
}

func (f *fakePlane) SendIKE(_ netip.AddrPort, encap bool, msgs [][]byte) error {
	h := f.h
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range msgs {
		h.deliver(h.srv.HandleDatagram(time.Now(), clientAddr, encap, m))
	}
	return nil
}

// deliver passes the headend's datagrams to the client (lock held).
func (h *testHeadend) deliver(acts []ikev2.Action) {
	for _, a := range acts {
		if s, ok := a.(ikev2.Send); ok {
			from := headendAddr
			if s.Encap {
				from = netip.AddrPortFrom(from.Addr(), 4500)
			}
			for _, d := range s.Datagrams {
				h.onIKE(from, s.Encap, d)
			}
		}
	}
}

func (h *testHeadend) tick(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.mu.Lock()
			h.deliver(h.srv.HandleTimeout(time.Now()))
			h.mu.Unlock()
		}
	}
}

// newTestHeadend makes a headend speaking EAP-AnyConnect to alice, and
// the CA file that trusts it.
func newTestHeadend(t *testing.T) (*testHeadend, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: headendName}, DNSNames: []string{headendName},
		IPAddresses: []net.IP{net.IP(headendAddr.Addr().AsSlice())},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr("10.2.2.10")
	srv, err := ikev2.NewServer(ikev2.ServerConfig{
		Local:       headendAddr,
		Credentials: &ikev2.Credentials{Chain: [][]byte{leafDER, caDER}, Signer: key},
		AskIdentity: func(c ikev2.EAPClient) bool { return !c.AnyConnect },
		EAP: func(ikev2.EAPClient) (eap.Authenticator, error) {
			return &eap.AnyConnectAuthenticator{Groups: []eap.TunnelGroup{{Name: "ASA-IKEV2", Password: true}},
				DefaultGroup: "ASA-IKEV2", Rand: rand.Reader, Retries: 1,
				CheckPassword: func(_, user, pass string) error {
					if user != testUser || pass != testPassword {
						return eap.ErrWrongPassword
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
	if err != nil {
		t.Fatal(err)
	}
	h := &testHeadend{srv: srv}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go h.tick(ctx)
	return h, caFile
}

// newSession is the agent's NewSession against h: fake data plane and a
// recording network configuration.
func (h *testHeadend) newSession(o client.Options) (*client.Session, error) {
	return client.New(o, client.Deps{
		NetConfig: &netcfg.Fake{},
		NewDataPlane: func(c client.DataPlaneConfig) (client.DataPlane, error) {
			h.mu.Lock()
			h.onIKE = c.OnIKE
			h.mu.Unlock()
			return &fakePlane{h: h}, nil
		},
		Resolve: func(host string) ([]netip.Addr, error) {
			if host == headendName {
				return []netip.Addr{headendAddr.Addr()}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
	})
}
