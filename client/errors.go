package client

import (
	"errors"

	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// ErrDisconnected is the reason of a session the user ended.
var ErrDisconnected = errors.New("disconnected by the user")

// ErrAuthFailed matches (with errors.Is) a session that ended because
// authentication failed: the headend refused the credentials, or its own
// authentication did not verify.
var ErrAuthFailed = errors.New("authentication failed")

// sessionError gives the protocol layers' errors the client's names
// without changing their text.
type sessionError struct{ err error }

func (e sessionError) Error() string { return e.err.Error() }
func (e sessionError) Unwrap() error { return e.err }
func (e sessionError) Is(target error) bool {
	return target == ErrAuthFailed && (errors.Is(e.err, ikev2.ErrAuthFailed) || errors.Is(e.err, eap.ErrAuthFailed))
}

// publicError wraps err so that callers can tell its kind by the client's
// sentinels.
func publicError(err error) error {
	if err == nil {
		return nil
	}
	return sessionError{err}
}
