package anyconnect

import (
	"crypto/x509"
	"errors"
	"testing"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
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

// converseBound runs a certificate conversation through a eap.PeerSession
// bound to ike and returns the signature the headend received.
func converseBound(t *testing.T, p *Peer, ike eap.IKEBinding) []byte {
	t.Helper()
	var got []byte
	a := &Authenticator{Groups: []TunnelGroup{{Name: "Certs", ClientCert: true}}, Rand: testRand(),
		VerifyCert: func(_ []*x509.Certificate, sig []byte) error { got = sig; return nil }}
	s := &eap.PeerSession{Method: p, IKE: ike}
	id := uint8(1)
	req, err := a.Start(id)
	for req != nil && err == nil {
		var resp *eap.Packet
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
	p := &Peer{Client: testClient(), GroupAccess: "Certs", Certificates: []*x509.Certificate{leaf, ca}}
	if got := converseBound(t, p, ike); string(got) != "from the IKE SA" || ike.calls != 1 {
		t.Fatalf("headend got %q after %d binding calls", got, ike.calls)
	}
	if p.SignInit != nil || p.ike != nil {
		t.Fatal("the binding stayed in the caller's method")
	}

	// A SignInit the caller set wins over the binding.
	ike = &staticBinding{sig: []byte("from the IKE SA")}
	p = &Peer{Client: testClient(), GroupAccess: "Certs", Certificates: []*x509.Certificate{leaf, ca},
		SignInit: func() ([]byte, error) { return []byte("from the caller"), nil }}
	if got := converseBound(t, p, ike); string(got) != "from the caller" || ike.calls != 0 {
		t.Fatalf("headend got %q after %d binding calls", got, ike.calls)
	}
}

// TestPeerSessionAnswerNothingPending answers a peer that asked nothing:
// an error, but not an authentication failure.
func TestPeerSessionAnswerNothingPending(t *testing.T) {
	s := &eap.PeerSession{Method: &Peer{}}
	if _, err := s.Answer(eap.FormAnswer{}); err == nil || errors.Is(err, eap.ErrAuthFailed) {
		t.Fatalf("an AnyConnect peer with no form pending: %v", err)
	}
}
