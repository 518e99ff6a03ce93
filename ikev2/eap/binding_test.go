package eap

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
)

// staticBinding signs with a fixed value and counts its calls.
type staticBinding struct {
	sig   []byte
	calls int
}

func (b *staticBinding) SignInitiatorOctets() ([]byte, error) {
	b.calls++
	return b.sig, nil
}

// converseBound runs a certificate conversation through a PeerSession
// bound to ike and returns the signature the headend received.
func converseBound(t *testing.T, p *AnyConnectPeer, ike IKEBinding) []byte {
	t.Helper()
	var got []byte
	a := &AnyConnectAuthenticator{Groups: []TunnelGroup{{Name: "Certs", ClientCert: true}}, Rand: &counterRand{},
		VerifyCert: func(_ []*x509.Certificate, sig []byte) error { got = sig; return nil }}
	s := &PeerSession{Method: p, IKE: ike}
	id := uint8(1)
	req, err := a.Start(id)
	for req != nil && err == nil {
		var resp *Packet
		if resp, err = s.Handle(wire(t, req)); err != nil {
			t.Fatalf("peer: %v", err)
		}
		id++
		req, err = a.Next(wire(t, resp), id)
	}
	if err != nil {
		t.Fatalf("headend: %v", err)
	}
	return got
}

func TestIKEBindingSignsCertificateInit(t *testing.T) {
	leaf, ca := testChain()
	ike := &staticBinding{sig: []byte("from the IKE SA")}
	p := &AnyConnectPeer{Client: testClient(), GroupAccess: "Certs", Certificates: []*x509.Certificate{leaf, ca}}
	if got := converseBound(t, p, ike); string(got) != "from the IKE SA" || ike.calls != 1 {
		t.Fatalf("headend got %q after %d binding calls", got, ike.calls)
	}
	if p.SignInit != nil || p.ike != nil {
		t.Fatal("the binding stayed in the caller's method")
	}

	// A SignInit the caller set wins over the binding.
	ike = &staticBinding{sig: []byte("from the IKE SA")}
	p = &AnyConnectPeer{Client: testClient(), GroupAccess: "Certs", Certificates: []*x509.Certificate{leaf, ca},
		SignInit: func() ([]byte, error) { return []byte("from the caller"), nil }}
	if got := converseBound(t, p, ike); string(got) != "from the caller" || ike.calls != 0 {
		t.Fatalf("headend got %q after %d binding calls", got, ike.calls)
	}
}

func TestPeerSessionAnswerNeedsAnAnswerer(t *testing.T) {
	s := &PeerSession{Method: &MD5Peer{Secret: "x"}}
	if _, err := s.Answer(FormAnswer{"password": "x"}); err == nil || !strings.Contains(err.Error(), "does not ask") {
		t.Fatalf("MD5 answered a form: %v", err)
	}
	s = &PeerSession{Method: &AnyConnectPeer{}}
	if _, err := s.Answer(FormAnswer{}); err == nil || errors.Is(err, ErrAuthFailed) {
		t.Fatalf("an AnyConnect peer with no form pending: %v", err)
	}
}
