package client

import (
	"errors"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/certs"
)

// UntrustedCert is a headend certificate a session refused, with what a
// person needs to decide whether to trust its key (by its pin).
type UntrustedCert struct {
	Host      string // the name the session checked the certificate against
	Reason    string // every problem found
	Subject   string // the leaf's subject (RFC 4514), "" when none parsed
	Issuer    string
	PinSHA256 string // "pin-sha256:...", what Options.Pins (and --servercert) take
	NotBefore time.Time
	NotAfter  time.Time
}

// UntrustedCertOf finds the refused certificate behind a session's error
// (a DisconnectedEvent's or ErrorEvent's), if that was the failure.
func UntrustedCertOf(err error) (*UntrustedCert, bool) {
	var ue *certs.UntrustedError
	if errors.As(err, &ue) {
		return &UntrustedCert{Host: ue.Host, Reason: ue.Reason, Subject: ue.Subject, Issuer: ue.Issuer,
			PinSHA256: ue.PinSHA256, NotBefore: ue.NotBefore, NotAfter: ue.NotAfter}, true
	}
	// An error that crossed a process boundary (the agent's events).
	var carrier interface{ UntrustedCert() *UntrustedCert }
	if errors.As(err, &carrier) && carrier.UntrustedCert() != nil {
		return carrier.UntrustedCert(), true
	}
	return nil, false
}
