package wire

import (
	"fmt"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// DecodeError reports a malformed message: which payload, where, and why.
type DecodeError struct {
	Payload iana.PayloadType // PayloadNone for the IKE header itself
	Offset  int              // byte offset in the buffer being decoded
	Reason  string
}

func (e *DecodeError) Error() string {
	what := "IKE header"
	if e.Payload != iana.PayloadNone {
		what = e.Payload.String() + " payload"
	}
	return fmt.Sprintf("ikev2: malformed %s at offset %d: %s", what, e.Offset, e.Reason)
}

func errorf(p iana.PayloadType, off int, format string, args ...any) *DecodeError {
	return &DecodeError{Payload: p, Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// UnsupportedCriticalPayloadError reports a payload type this package does
// not know whose critical bit is set. RFC 7296 section 2.5: the whole message
// is rejected and answered with UNSUPPORTED_CRITICAL_PAYLOAD carrying the
// type in its notification data.
type UnsupportedCriticalPayloadError struct {
	Type   iana.PayloadType
	Offset int
}

func (e *UnsupportedCriticalPayloadError) Error() string {
	return fmt.Sprintf("ikev2: unsupported critical payload type %d at offset %d", uint8(e.Type), e.Offset)
}
