package client

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// ErrNoAnswer is matched (errors.Is) by a *NoIKEv2Error when no address of
// the headend answered IKE_SA_INIT at all.
var ErrNoAnswer = errors.New("the headend did not answer")

// NoIKEv2Error is the failure of a connection in which the headend did not
// take up IKEv2: no address answered IKE_SA_INIT within AuthTimeout (or
// before IKE gave up retransmitting), or the headend answered it with an
// error notification (RFC 7296 section 2.21.1), such as NO_PROPOSAL_CHOSEN.
// Front ends use it to say what that most likely means, for example that
// the headend speaks AnyConnect only over SSL/DTLS.
type NoIKEv2Error struct {
	// Tried are the addresses tried, in order.
	Tried []netip.AddrPort
	// Timeout is how long each silent address was given.
	Timeout time.Duration
	// Refusal is the headend's error answer to IKE_SA_INIT, from the last
	// address in Tried; nil when none answered.
	Refusal error
}

func (e *NoIKEv2Error) Error() string {
	addrs := make([]string, len(e.Tried))
	for i, a := range e.Tried {
		addrs[i] = a.String()
	}
	if e.Refusal != nil {
		return fmt.Sprintf("%s refused IKEv2: %v", addrs[len(addrs)-1], e.Refusal)
	}
	return fmt.Sprintf("%v: no answer to IKE_SA_INIT from %s (UDP) within %s", ErrNoAnswer, strings.Join(addrs, ", "), e.Timeout)
}

// Is matches ErrNoAnswer when nothing answered.
func (e *NoIKEv2Error) Is(target error) bool { return target == ErrNoAnswer && e.Refusal == nil }

// Unwrap returns the refusal, if any.
func (e *NoIKEv2Error) Unwrap() error { return e.Refusal }

// refusedInit reports whether err is the headend's error notification in
// answer to IKE_SA_INIT: it is there but declines IKEv2 with us.
func refusedInit(err error) bool {
	var pe *ikev2.PeerError
	return errors.As(err, &pe) && pe.Exchange == iana.IKE_SA_INIT
}
