package eap

import (
	"errors"
	"fmt"
	"io"
)

// ErrAuthFailed is wrapped by every error that means the credentials were
// wrong, as opposed to a malformed or unexpected packet.
var ErrAuthFailed = errors.New("eap: authentication failed")

// Peer is the peer's side of one EAP method.
type Peer interface {
	// Type is the method's type; Requests of other types get a Nak
	// proposing it.
	Type() ExpandedType
	// Respond answers one Request of the method's type.
	Respond(req *Packet) (*Packet, error)
	// Done reports whether the method has finished on the peer's side,
	// so that an EAP-Success may be believed. A Success that arrives
	// earlier is refused, as in the peer state machine of RFC 4137, where
	// Success counts only once the method's decision allows it; for a
	// mutually authenticating method that means after the server proved
	// itself.
	Done() bool
	// MSK returns the Master Session Key after success, nil when the
	// method derives none.
	MSK() []byte
}

// Authenticator is the authenticator's side of one EAP method.
type Authenticator interface {
	Type() ExpandedType
	// Start returns the method's first Request, with Identifier id.
	Start(id uint8) (*Packet, error)
	// Next processes the peer's Response to the last Request. While the
	// method goes on it returns the next Request, with Identifier id. When
	// the method is over it returns nil: with a nil error the peer has
	// authenticated (send EAP-Success); with an error wrapping ErrAuthFailed
	// it has not (send EAP-Failure). Any other error reports a malformed or
	// unexpected Response.
	Next(resp *Packet, id uint8) (*Packet, error)
	// MSK returns the Master Session Key after success, nil when the
	// method derives none.
	MSK() []byte
}

// checkRequest verifies that req is a Request of type t.
func checkRequest(req *Packet, t Type) error {
	if req.Code != CodeRequest || req.Type != t {
		return fmt.Errorf("eap: %v where a %v Request was expected", req, t)
	}
	return nil
}

// checkResponse verifies that resp answers a Request of type t and
// Identifier id. A Nak is reported with what it proposes.
func checkResponse(resp *Packet, t Type, id uint8) error {
	if resp.Code != CodeResponse {
		return fmt.Errorf("eap: %v where a Response was expected", resp)
	}
	if resp.Identifier != id {
		return fmt.Errorf("eap: %v answers Identifier %d, the outstanding Request has %d", resp, resp.Identifier, id)
	}
	if resp.IsNak() {
		alts, err := resp.NakTypes()
		if err != nil {
			return err
		}
		return fmt.Errorf("eap: peer refused %v and proposes %v", t, alts)
	}
	if resp.Type != t {
		return fmt.Errorf("eap: %v answers a %v Request", resp, t)
	}
	return nil
}

// readRandom fills b from r, naming what it was for when r fails.
func readRandom(r io.Reader, b []byte, what string) error {
	if r == nil {
		return fmt.Errorf("eap: no random source for the %s", what)
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("eap: reading the %s: %w", what, err)
	}
	return nil
}

func ietf(t Type) ExpandedType { return ExpandedType{VendorID: VendorIETF, VendorType: uint32(t)} }

// NewIdentityRequest returns the Request an authenticator sends to learn the
// peer's identity (RFC 3748 section 5.1). prompt may be empty.
func NewIdentityRequest(id uint8, prompt string) *Packet {
	return newRequest(id, TypeIdentity, []byte(prompt))
}

// NewIdentityResponse answers an Identity Request.
func NewIdentityResponse(id uint8, identity string) *Packet {
	return newResponse(id, TypeIdentity, []byte(identity))
}

// IdentityOf returns the identity carried by an Identity Response.
func IdentityOf(resp *Packet) (string, error) {
	if resp.Code != CodeResponse || resp.Type != TypeIdentity {
		return "", fmt.Errorf("eap: %v is not an Identity Response", resp)
	}
	return string(resp.Data), nil
}

// NewNotificationResponse acknowledges a Notification Request, whose Data is
// text to show the user. RFC 3748 section 5.2: the Response has no data.
func NewNotificationResponse(id uint8) *Packet {
	return newResponse(id, TypeNotification, nil)
}

// Answerer is a Peer method that can pause for the user: its Respond
// returns a *NeedInput error, and Answer continues with the user's answer.
type Answerer interface {
	Answer(FormAnswer) (*Packet, error)
}

// IKEBinding is what the IKE SA carrying an EAP conversation (RFC 7296
// section 2.16) offers the methods that bind to it.
type IKEBinding interface {
	// SignInitiatorOctets signs the IKE initiator's signed octets (RFC
	// 7296 section 2.15) with the client certificate's key, hashed with
	// the negotiated PRF's hash: EAP-AnyConnect's certificate path (package
	// anyconnect) sends this as TLV 1.
	SignInitiatorOctets() ([]byte, error)
}

// BoundPeer is a Peer method that uses the IKEBinding of its session:
// when the session has one, it calls RespondBound instead of Respond.
type BoundPeer interface {
	Peer
	RespondBound(req *Packet, ike IKEBinding) (*Packet, error)
}

// PeerSession runs the peer's side of a whole EAP conversation: it answers
// Identity and Notification itself, hands the Requests of its method to
// Method, refuses other methods with a Nak, and interprets Success and
// Failure.
type PeerSession struct {
	Identity string
	Method   Peer
	// Notify, when set, is given the text of each Notification Request.
	Notify func(text string)
	// IKE, when set, is the IKE SA under the conversation, for methods
	// that bind to it.
	IKE IKEBinding

	succeeded bool
	answered  bool  // a Response was sent
	lastID    uint8 // the Identifier of the last Response sent
}

// Answer continues a method that paused for the user (a *NeedInput from
// Handle) with the user's answer.
func (s *PeerSession) Answer(a FormAnswer) (*Packet, error) {
	m, ok := s.Method.(Answerer)
	if !ok {
		return nil, errors.New("eap: the method does not ask the user anything")
	}
	return s.sent(m.Answer(a))
}

// sent records the Identifier of a Response about to go out.
func (s *PeerSession) sent(p *Packet, err error) (*Packet, error) {
	if p != nil && err == nil {
		s.answered, s.lastID = true, p.Identifier
	}
	return p, err
}

// checkResultID applies RFC 3748 section 4.2: a Success or Failure
// carries the Identifier of the Response it answers; one that does not
// answers nothing this peer sent.
func (s *PeerSession) checkResultID(p *Packet) error {
	switch {
	case !s.answered:
		return fmt.Errorf("eap: EAP-%s id=%d before any Response was sent", p.Code, p.Identifier)
	case p.Identifier != s.lastID:
		return fmt.Errorf("eap: EAP-%s id=%d does not answer the last Response (id=%d; RFC 3748 section 4.2)", p.Code, p.Identifier, s.lastID)
	}
	return nil
}

// Handle processes one packet from the authenticator. It returns the
// Response to send; nil with a nil error after EAP-Success; nil with an error
// wrapping ErrAuthFailed after EAP-Failure.
func (s *PeerSession) Handle(p *Packet) (*Packet, error) {
	return s.sent(s.handle(p))
}

func (s *PeerSession) handle(p *Packet) (*Packet, error) {
	switch p.Code {
	case CodeSuccess:
		if s.Method == nil || !s.Method.Done() {
			return nil, fmt.Errorf("eap: EAP-Success id=%d before the method finished", p.Identifier)
		}
		if err := s.checkResultID(p); err != nil {
			return nil, err
		}
		s.succeeded = true
		return nil, nil
	case CodeFailure:
		// A Failure that answers no Response of ours still ends the
		// conversation (inside IKEv2 nothing else can follow it), but
		// it says so.
		if err := s.checkResultID(p); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrAuthFailed)
		}
		if f, ok := s.Method.(interface{ Failure() *MSCHAPv2Failure }); ok && f.Failure() != nil {
			return nil, fmt.Errorf("eap: EAP-Failure id=%d after %w", p.Identifier, f.Failure())
		}
		return nil, fmt.Errorf("eap: EAP-Failure id=%d: %w", p.Identifier, ErrAuthFailed)
	case CodeRequest:
	default:
		return nil, fmt.Errorf("eap: %v sent to the peer", p)
	}
	switch {
	case p.Type == TypeIdentity:
		return NewIdentityResponse(p.Identifier, s.Identity), nil
	case p.Type == TypeNotification:
		if s.Notify != nil {
			s.Notify(string(p.Data))
		}
		return NewNotificationResponse(p.Identifier), nil
	case s.Method != nil && p.Expanded() == s.Method.Type():
		if b, ok := s.Method.(BoundPeer); ok && s.IKE != nil {
			return b.RespondBound(p, s.IKE)
		}
		return s.Method.Respond(p)
	}
	// RFC 3748 section 5.3: answer an unwanted legacy type with a legacy
	// Nak, an unwanted expanded type with an Expanded Nak.
	var want []ExpandedType
	if s.Method != nil {
		want = append(want, s.Method.Type())
	}
	if p.Type == TypeExpanded {
		return NewExpandedNak(p.Identifier, want...), nil
	}
	var legacy []Type
	for _, w := range want {
		if w.VendorID == VendorIETF && w.VendorType < uint32(TypeExpanded) {
			legacy = append(legacy, Type(w.VendorType))
		} else {
			legacy = append(legacy, TypeExpanded)
		}
	}
	return NewNak(p.Identifier, legacy...), nil
}

// Succeeded reports whether the conversation ended in an accepted
// EAP-Success.
func (s *PeerSession) Succeeded() bool { return s.succeeded }

// MSK returns the method's Master Session Key after success, or nil.
func (s *PeerSession) MSK() []byte {
	if !s.succeeded || s.Method == nil {
		return nil
	}
	return s.Method.MSK()
}
