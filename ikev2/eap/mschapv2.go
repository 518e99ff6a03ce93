package eap

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02) carries MS-CHAPv2
// packets (RFC 2759) in EAP Type 26. Type-Data is
//
//	OpCode(1) MS-CHAPv2-ID(1) MS-Length(2) body
//
// except for the peer's acknowledgements of Success and Failure, which are
// the OpCode alone. MS-Length is the EAP Length minus 5, that is the length
// from OpCode to the end.

// MSCHAPv2OpCode is the OpCode of an EAP-MSCHAPv2 packet.
type MSCHAPv2OpCode uint8

const (
	OpChallenge      MSCHAPv2OpCode = 1
	OpResponse       MSCHAPv2OpCode = 2
	OpSuccess        MSCHAPv2OpCode = 3
	OpFailure        MSCHAPv2OpCode = 4
	OpChangePassword MSCHAPv2OpCode = 7
)

var opNames = map[MSCHAPv2OpCode]string{
	OpChallenge: "Challenge", OpResponse: "Response", OpSuccess: "Success",
	OpFailure: "Failure", OpChangePassword: "Change-Password",
}

func (o MSCHAPv2OpCode) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return "OpCode(" + strconv.Itoa(int(o)) + ")"
}

// Fixed sizes of MS-CHAPv2 bodies.
const (
	msHeaderLen         = 4  // OpCode, MS-CHAPv2-ID, MS-Length
	msResponseValueLen  = 49 // Peer-Challenge 16, Reserved 8, NT-Response 24, Flags 1
	msChangePasswordLen = 582
)

// MSCHAPv2Packet is the Type-Data of an EAP-MSCHAPv2 packet.
//
// Challenge and Response carry Value (Value-Size gives its length) and Name.
// The authenticator's Success and Failure carry Message. The peer's Success
// and Failure acknowledgements carry nothing, not even an ID. Change-Password
// carries its fixed 582-byte body in Value.
type MSCHAPv2Packet struct {
	OpCode  MSCHAPv2OpCode
	ID      uint8 // MS-CHAPv2-ID
	Value   []byte
	Name    string
	Message string
}

// isAck reports whether the packet is a peer's bare Success or Failure
// acknowledgement.
func isAck(code Code, op MSCHAPv2OpCode) bool {
	return code == CodeResponse && (op == OpSuccess || op == OpFailure)
}

// DecodeMSCHAPv2 parses the Type-Data of an EAP-MSCHAPv2 packet. MS-Length
// is not trusted: the EAP Length already bounds the packet, and some servers
// are known to get MS-Length wrong, so a mismatch is tolerated.
func DecodeMSCHAPv2(p *Packet) (*MSCHAPv2Packet, error) {
	if !p.hasType() || p.Type != TypeMSCHAPv2 {
		return nil, fmt.Errorf("eap: %v is not EAP-MSCHAPv2", p)
	}
	d := p.Data
	if len(d) < 1 {
		return nil, fmt.Errorf("eap: %v: OpCode missing at offset 5", p)
	}
	m := &MSCHAPv2Packet{OpCode: MSCHAPv2OpCode(d[0])}
	if isAck(p.Code, m.OpCode) {
		if len(d) != 1 {
			return nil, fmt.Errorf("eap: %v: %v acknowledgement has %d bytes after the OpCode, want none", p, m.OpCode, len(d)-1)
		}
		return m, nil
	}
	if len(d) < msHeaderLen {
		return nil, fmt.Errorf("eap: %v: MS-CHAPv2 %v header needs %d bytes, %d present", p, m.OpCode, msHeaderLen, len(d))
	}
	m.ID = d[1]
	body := d[msHeaderLen:]
	const bodyOff = typedHeaderLen + msHeaderLen // offset of body in the EAP packet
	want := Code(0)
	switch m.OpCode {
	case OpChallenge, OpSuccess, OpFailure:
		want = CodeRequest
	case OpResponse, OpChangePassword:
		want = CodeResponse
	default:
		return nil, fmt.Errorf("eap: %v: unknown MS-CHAPv2 OpCode %d at offset 5", p, d[0])
	}
	if p.Code != want {
		return nil, fmt.Errorf("eap: %v: MS-CHAPv2 %v must travel in a %v", p, m.OpCode, want)
	}
	switch m.OpCode {
	case OpChallenge, OpResponse:
		if len(body) < 1 {
			return nil, fmt.Errorf("eap: %v: MS-CHAPv2 %v: Value-Size missing at offset %d", p, m.OpCode, bodyOff)
		}
		n := int(body[0])
		wantN := ChallengeLen
		if m.OpCode == OpResponse {
			wantN = msResponseValueLen
		}
		if n != wantN {
			return nil, fmt.Errorf("eap: %v: MS-CHAPv2 %v: Value-Size %d at offset %d, want %d", p, m.OpCode, n, bodyOff, wantN)
		}
		if len(body)-1 < n {
			return nil, fmt.Errorf("eap: %v: MS-CHAPv2 %v: Value of %d bytes at offset %d, only %d present", p, m.OpCode, n, bodyOff+1, len(body)-1)
		}
		m.Value, m.Name = body[1:1+n], string(body[1+n:])
	case OpSuccess, OpFailure:
		m.Message = string(body)
	case OpChangePassword:
		if len(body) != msChangePasswordLen {
			return nil, fmt.Errorf("eap: %v: MS-CHAPv2 Change-Password body is %d bytes, want %d", p, len(body), msChangePasswordLen)
		}
		m.Value = body
	}
	return m, nil
}

// Packet wraps m in an EAP packet with the given Code and Identifier.
func (m *MSCHAPv2Packet) Packet(code Code, id uint8) *Packet {
	var d []byte
	if isAck(code, m.OpCode) {
		d = []byte{byte(m.OpCode)}
	} else {
		d = []byte{byte(m.OpCode), m.ID, 0, 0}
		switch m.OpCode {
		case OpChallenge, OpResponse:
			d = append(d, byte(len(m.Value)))
			d = append(append(d, m.Value...), m.Name...)
		case OpSuccess, OpFailure:
			d = append(d, m.Message...)
		default:
			d = append(d, m.Value...)
		}
		binary.BigEndian.PutUint16(d[2:], uint16(len(d)))
	}
	return &Packet{Code: code, Identifier: id, Type: TypeMSCHAPv2, Data: d}
}

// Failure codes (E=) of RFC 2759 section 6, named after its ERROR_* names.
const (
	ErrorRestrictedLogonHours = 646
	ErrorAccountDisabled      = 647
	ErrorPasswordExpired      = 648
	ErrorNoDialinPermission   = 649
	ErrorAuthenticationFailed = 691
	ErrorChangingPassword     = 709
)

// MSCHAPv2Failure is the parsed Message of a Failure packet,
// "E=691 R=1 C=<32 hex> V=3 M=<text>" (RFC 2759 section 6). It is an error
// wrapping ErrAuthFailed.
type MSCHAPv2Failure struct {
	Code         int  // E=
	Retry        bool // R=1
	Challenge    [ChallengeLen]byte
	HasChallenge bool // C= was present
	Version      int  // V=, 0 when absent
	Text         string
}

func (f *MSCHAPv2Failure) Error() string {
	s := fmt.Sprintf("MS-CHAPv2 failure E=%d", f.Code)
	if name, ok := failureNames[f.Code]; ok {
		s += " (" + name + ")"
	}
	if f.Retry {
		s += ", retry allowed"
	}
	if f.Text != "" {
		s += ": " + f.Text
	}
	return s
}

func (f *MSCHAPv2Failure) Unwrap() error { return ErrAuthFailed }

var failureNames = map[int]string{
	ErrorRestrictedLogonHours: "restricted logon hours", ErrorAccountDisabled: "account disabled",
	ErrorPasswordExpired: "password expired", ErrorNoDialinPermission: "no dial-in permission",
	ErrorAuthenticationFailed: "authentication failure", ErrorChangingPassword: "error changing password",
}

// String formats f as a Failure Message. V=3 is what RFC 2759 section 6
// asks of MS-CHAPv2 authenticators.
func (f *MSCHAPv2Failure) String() string {
	r := 0
	if f.Retry {
		r = 1
	}
	v := f.Version
	if v == 0 {
		v = 3
	}
	return fmt.Sprintf("E=%d R=%d C=%s V=%d M=%s", f.Code, r, strings.ToUpper(hex.EncodeToString(f.Challenge[:])), v, f.Text)
}

// ParseMSCHAPv2Failure parses a Failure Message. E= is required; R=, C=
// and V= are optional; M= runs to the end of the message, spaces included.
// Unknown fields are skipped.
func ParseMSCHAPv2Failure(msg string) (*MSCHAPv2Failure, error) {
	f := &MSCHAPv2Failure{}
	haveE := false
	rest := msg
	for rest != "" {
		var field string
		if strings.HasPrefix(rest, "M=") {
			f.Text, rest = rest[2:], ""
			break
		}
		field, rest, _ = strings.Cut(rest, " ")
		key, val, ok := strings.Cut(field, "=")
		if !ok {
			if field == "" {
				continue
			}
			return nil, fmt.Errorf("eap: MS-CHAPv2 Failure message %q: field %q has no '='", msg, field)
		}
		var err error
		switch key {
		case "E":
			f.Code, err = strconv.Atoi(val)
			haveE = err == nil
		case "R":
			if val != "0" && val != "1" {
				err = fmt.Errorf("retry flag %q is neither 0 nor 1", val)
			}
			f.Retry = val == "1"
		case "C":
			f.Challenge, err = parseChallenge(val)
			f.HasChallenge = err == nil
		case "V":
			f.Version, err = strconv.Atoi(val)
		}
		if err != nil {
			return nil, fmt.Errorf("eap: MS-CHAPv2 Failure message %q: field %s: %v", msg, key, err)
		}
	}
	if !haveE {
		return nil, fmt.Errorf("eap: MS-CHAPv2 Failure message %q has no E= error code", msg)
	}
	if f.Retry && !f.HasChallenge {
		return nil, fmt.Errorf("eap: MS-CHAPv2 Failure message %q allows a retry but has no C= challenge", msg)
	}
	return f, nil
}

// ParseMSCHAPv2Success splits a Success Message, "S=<40 hex> M=<text>"
// (RFC 2759 section 5), into the authenticator response ("S=...") and the
// text. M= is optional.
func ParseMSCHAPv2Success(msg string) (authResponse, text string, err error) {
	if len(msg) < AuthenticatorRespLen || !strings.HasPrefix(msg, "S=") {
		return "", "", fmt.Errorf("eap: MS-CHAPv2 Success message %q does not start with S= and 40 hex digits", msg)
	}
	authResponse, rest := msg[:AuthenticatorRespLen], msg[AuthenticatorRespLen:]
	if _, err := hex.DecodeString(authResponse[2:]); err != nil {
		return "", "", fmt.Errorf("eap: MS-CHAPv2 Success message %q: authenticator response: %v", msg, err)
	}
	rest = strings.TrimLeft(rest, " ")
	if rest != "" {
		var ok bool
		if text, ok = strings.CutPrefix(rest, "M="); !ok {
			return "", "", fmt.Errorf("eap: MS-CHAPv2 Success message %q: %q follows the authenticator response, want M=", msg, rest)
		}
	}
	return authResponse, text, nil
}

// responseValue splits the 49-byte Response Value.
func responseValue(v []byte) (peer [ChallengeLen]byte, nt [NTResponseLen]byte) {
	copy(peer[:], v[:ChallengeLen])
	copy(nt[:], v[ChallengeLen+8:])
	return
}

func makeResponseValue(peer *[ChallengeLen]byte, nt *[NTResponseLen]byte) []byte {
	v := make([]byte, msResponseValueLen) // Reserved and Flags stay zero
	copy(v, peer[:])
	copy(v[ChallengeLen+8:], nt[:])
	return v
}

// MSCHAPv2Peer is the peer's side of EAP-MSCHAPv2.
type MSCHAPv2Peer struct {
	UserName string
	Password string
	Rand     io.Reader // source of the Peer-Challenge
	// Retry, when set, is asked for a new password after a Failure that
	// allows a retry; ok == false declines, and the Failure is acknowledged.
	Retry func(f *MSCHAPv2Failure) (password string, ok bool)
	// AskRetry, when Retry is nil, pauses instead: Respond returns a
	// *NeedInput with a password form, and Answer gives the new password
	// (or declines with an empty answer). For callers that cannot block.
	AskRetry bool

	authChallenge [ChallengeLen]byte
	peerChallenge [ChallengeLen]byte
	ntResponse    [NTResponseLen]byte
	responded     bool
	done          bool
	msk           []byte
	failure       *MSCHAPv2Failure
	retry         *msRetry // a retry waiting for Answer
}

// msRetry is the Failure Request whose retry waits for a new password.
type msRetry struct {
	id, msID uint8
	form     *Form
}

func (m *MSCHAPv2Peer) Type() ExpandedType { return ietf(TypeMSCHAPv2) }
func (m *MSCHAPv2Peer) Done() bool         { return m.done }
func (m *MSCHAPv2Peer) MSK() []byte        { return m.msk }

// Failure returns the last Failure the authenticator reported, or nil.
func (m *MSCHAPv2Peer) Failure() *MSCHAPv2Failure { return m.failure }

func (m *MSCHAPv2Peer) Respond(req *Packet) (*Packet, error) {
	if err := checkRequest(req, TypeMSCHAPv2); err != nil {
		return nil, err
	}
	ms, err := DecodeMSCHAPv2(req)
	if err != nil {
		return nil, err
	}
	switch ms.OpCode {
	case OpChallenge:
		copy(m.authChallenge[:], ms.Value)
		return m.respond(req.Identifier, ms.ID)
	case OpSuccess:
		if !m.responded {
			return nil, fmt.Errorf("eap: %v: MS-CHAPv2 Success before any Response", req)
		}
		auth, _, err := ParseMSCHAPv2Success(ms.Message)
		if err != nil {
			return nil, err
		}
		// RFC 2759 section 5: a missing or wrong authenticator response
		// means the server does not know the password; end the session.
		if !CheckAuthenticatorResponse(m.Password, &m.ntResponse, &m.peerChallenge, &m.authChallenge, m.UserName, auth) {
			return nil, fmt.Errorf("eap: %v: MS-CHAPv2 authenticator response does not prove knowledge of the password", req)
		}
		m.done, m.failure = true, nil
		m.msk = MSCHAPv2MSK(m.Password, &m.ntResponse)
		return (&MSCHAPv2Packet{OpCode: OpSuccess}).Packet(CodeResponse, req.Identifier), nil
	case OpFailure:
		f, err := ParseMSCHAPv2Failure(ms.Message)
		if err != nil {
			return nil, err
		}
		m.failure = f
		if f.Retry && m.Retry == nil && m.AskRetry {
			form := &Form{Title: "MS-CHAPv2", Error: f.Error(), Fields: []Field{
				{Name: "password", Label: "Password", Kind: FieldPassword}}}
			m.retry = &msRetry{id: req.Identifier, msID: ms.ID, form: form}
			return nil, &NeedInput{Identifier: req.Identifier, Form: form, Missing: []string{"password"}}
		}
		if f.Retry && m.Retry != nil {
			if pw, ok := m.Retry(f); ok {
				// [MS-CHAP] 3.2.5.4: the C= value becomes the
				// authenticator challenge, with a fresh peer challenge.
				// Which MS-CHAPv2-ID the retry carries is not written
				// down; like a new challenge round, it is incremented.
				m.Password, m.authChallenge = pw, f.Challenge
				return m.respond(req.Identifier, ms.ID+1)
			}
		}
		return (&MSCHAPv2Packet{OpCode: OpFailure}).Packet(CodeResponse, req.Identifier), nil
	}
	return nil, fmt.Errorf("eap: %v: unexpected MS-CHAPv2 %v", req, ms.OpCode)
}

// Answer continues after the *NeedInput of a retry: with a new password it
// answers the authenticator's new challenge; with none it acknowledges the
// Failure, which ends the method.
func (m *MSCHAPv2Peer) Answer(a FormAnswer) (*Packet, error) {
	r := m.retry
	if r == nil {
		return nil, errors.New("eap: MS-CHAPv2 is not waiting for a password")
	}
	m.retry = nil
	pw := a["password"]
	if pw == "" {
		return (&MSCHAPv2Packet{OpCode: OpFailure}).Packet(CodeResponse, r.id), nil
	}
	// [MS-CHAP] 3.2.5.4: the C= value becomes the authenticator
	// challenge, with a fresh peer challenge (see Respond).
	m.Password, m.authChallenge = pw, m.failure.Challenge
	return m.respond(r.id, r.msID+1)
}

// respond builds the Response to the current authenticator challenge.
func (m *MSCHAPv2Peer) respond(id, msID uint8) (*Packet, error) {
	if err := readRandom(m.Rand, m.peerChallenge[:], "MS-CHAPv2 peer challenge"); err != nil {
		return nil, err
	}
	m.ntResponse = GenerateNTResponse(&m.authChallenge, &m.peerChallenge, m.UserName, m.Password)
	m.responded = true
	ms := &MSCHAPv2Packet{OpCode: OpResponse, ID: msID,
		Value: makeResponseValue(&m.peerChallenge, &m.ntResponse), Name: m.UserName}
	return ms.Packet(CodeResponse, id), nil
}

// MSCHAPv2Authenticator is the authenticator's side of EAP-MSCHAPv2 for one
// user whose password it knows.
type MSCHAPv2Authenticator struct {
	Name     string    // server name, sent in the Challenge
	UserName string    // if set, the Response must name this user
	Password string    // the user's password, or:
	NTHash   [16]byte  // its NT hash (RFC 2759 section 8.3), used when Password is empty
	Rand     io.Reader // source of challenges
	Retries  int       // wrong answers that still get R=1
	Message  string    // optional M= text of the Success message

	state         msState
	id            uint8
	authChallenge [ChallengeLen]byte
	failure       *MSCHAPv2Failure
	msk           []byte
}

type msState uint8

const (
	msIdle msState = iota
	msAwaitResponse
	msAwaitSuccessAck
	msAwaitFailureAck // or a retry Response when retries remain
	msDone
)

func (a *MSCHAPv2Authenticator) Type() ExpandedType { return ietf(TypeMSCHAPv2) }
func (a *MSCHAPv2Authenticator) MSK() []byte        { return a.msk }

func (a *MSCHAPv2Authenticator) Start(id uint8) (*Packet, error) {
	if err := readRandom(a.Rand, a.authChallenge[:], "MS-CHAPv2 authenticator challenge"); err != nil {
		return nil, err
	}
	a.state, a.id = msAwaitResponse, id
	ms := &MSCHAPv2Packet{OpCode: OpChallenge, ID: id, Value: a.authChallenge[:], Name: a.Name}
	return ms.Packet(CodeRequest, id), nil
}

func (a *MSCHAPv2Authenticator) Next(resp *Packet, id uint8) (*Packet, error) {
	if a.state == msIdle || a.state == msDone {
		return nil, fmt.Errorf("eap: MS-CHAPv2 Response %v while no Request is outstanding", resp)
	}
	if err := checkResponse(resp, TypeMSCHAPv2, a.id); err != nil {
		return nil, err
	}
	ms, err := DecodeMSCHAPv2(resp)
	if err != nil {
		return nil, err
	}
	switch {
	case ms.OpCode == OpResponse && (a.state == msAwaitResponse || a.state == msAwaitFailureAck && a.failure.Retry):
		return a.check(ms, id)
	case ms.OpCode == OpSuccess && a.state == msAwaitSuccessAck:
		a.state = msDone
		return nil, nil
	case ms.OpCode == OpFailure && a.state == msAwaitFailureAck:
		a.state = msDone
		return nil, fmt.Errorf("eap: %w", a.failure)
	}
	return nil, fmt.Errorf("eap: %v: unexpected MS-CHAPv2 %v", resp, ms.OpCode)
}

// check verifies a Response and answers with a Success or Failure Request.
// Success and Failure echo the Response's MS-CHAPv2-ID.
func (a *MSCHAPv2Authenticator) check(ms *MSCHAPv2Packet, id uint8) (*Packet, error) {
	if a.UserName != "" && ms.Name != a.UserName {
		return nil, fmt.Errorf("eap: MS-CHAPv2 Response names user %q, expected %q: %w", ms.Name, a.UserName, ErrAuthFailed)
	}
	peer, nt := responseValue(ms.Value)
	ph := a.NTHash
	if a.Password != "" {
		ph = NTPasswordHash(a.Password)
	}
	want := ntResponse(&a.authChallenge, &peer, ms.Name, &ph)
	a.id = id
	if constantTimeEqual(want[:], nt[:]) {
		a.state = msAwaitSuccessAck
		a.msk = msk(&ph, &nt)
		msg := authenticatorResponse(&ph, &nt, &peer, &a.authChallenge, ms.Name)
		if a.Message != "" {
			msg += " M=" + a.Message
		}
		return (&MSCHAPv2Packet{OpCode: OpSuccess, ID: ms.ID, Message: msg}).Packet(CodeRequest, id), nil
	}
	f := &MSCHAPv2Failure{Code: ErrorAuthenticationFailed, Retry: a.Retries > 0, HasChallenge: true, Version: 3,
		Text: "Authentication failed"}
	if err := readRandom(a.Rand, f.Challenge[:], "MS-CHAPv2 retry challenge"); err != nil {
		return nil, err
	}
	if f.Retry {
		a.Retries--
		a.authChallenge = f.Challenge
	}
	a.failure, a.state = f, msAwaitFailureAck
	return (&MSCHAPv2Packet{OpCode: OpFailure, ID: ms.ID, Message: f.String()}).Packet(CodeRequest, id), nil
}

// MSCHAPv2ChangePasswordBody is the fixed body of a Change-Password
// Response (RFC 2759 section 7, carried as in the EAP-MSCHAPv2 draft). The
// package lays it out but does not compute the encrypted fields.
type MSCHAPv2ChangePasswordBody struct {
	EncryptedPassword [516]byte
	EncryptedHash     [16]byte
	PeerChallenge     [ChallengeLen]byte
	NTResponse        [NTResponseLen]byte // 8 reserved zero bytes precede it
	Flags             uint16
}

// ChangePassword returns the fields of a Change-Password packet.
func (m *MSCHAPv2Packet) ChangePassword() (*MSCHAPv2ChangePasswordBody, error) {
	if m.OpCode != OpChangePassword || len(m.Value) != msChangePasswordLen {
		return nil, fmt.Errorf("eap: MS-CHAPv2 %v with %d bytes is not a Change-Password body", m.OpCode, len(m.Value))
	}
	c := &MSCHAPv2ChangePasswordBody{}
	v := m.Value
	v = v[copy(c.EncryptedPassword[:], v):]
	v = v[copy(c.EncryptedHash[:], v):]
	v = v[copy(c.PeerChallenge[:], v)+8:]
	v = v[copy(c.NTResponse[:], v):]
	c.Flags = binary.BigEndian.Uint16(v)
	return c, nil
}

// Packet lays c out as a Change-Password packet with the given MS-CHAPv2-ID.
func (c *MSCHAPv2ChangePasswordBody) Packet(msID uint8) *MSCHAPv2Packet {
	v := make([]byte, 0, msChangePasswordLen)
	v = append(v, c.EncryptedPassword[:]...)
	v = append(v, c.EncryptedHash[:]...)
	v = append(v, c.PeerChallenge[:]...)
	v = append(v, make([]byte, 8)...)
	v = append(v, c.NTResponse[:]...)
	v = binary.BigEndian.AppendUint16(v, c.Flags)
	return &MSCHAPv2Packet{OpCode: OpChangePassword, ID: msID, Value: v}
}
