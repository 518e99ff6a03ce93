package client

import (
	"bytes"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/certs"
)

// ServerTrust is the headend's certificate chain as last received and
// what the session decided about it. It holds public parts only.
type ServerTrust struct {
	// Name is the name the chain was checked for.
	Name string
	// Time is when it was checked.
	Time time.Time
	// Chain is the certificates as received (DER), leaf first.
	Chain [][]byte
	// Trusted says whether the session accepted the chain; ByPin, that a
	// pin on the leaf's key accepted it.
	Trusted bool
	ByPin   bool
	// Problems are why it was refused, or what a pin overrode.
	Problems []string
}

// ServerTrust returns the last headend chain the session checked and its
// verdict; false before any was received.
func (s *Session) ServerTrust() (ServerTrust, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.trust == nil {
		return ServerTrust{}, false
	}
	t := *s.trust
	t.Chain = append([][]byte(nil), t.Chain...)
	t.Problems = append([]string(nil), t.Problems...)
	return t, true
}

func (s *Session) recordTrust(name string, at time.Time, chain [][]byte, v *certs.Verified, err error) {
	t := &ServerTrust{Name: name, Time: at.UTC()}
	for _, c := range chain {
		t.Chain = append(t.Chain, bytes.Clone(c))
	}
	if err != nil {
		t.Problems = []string{err.Error()}
	} else {
		t.Trusted, t.ByPin, t.Problems = true, v.ByPin, append([]string(nil), v.Overridden...)
	}
	s.mu.Lock()
	s.trust = t
	s.mu.Unlock()
}
