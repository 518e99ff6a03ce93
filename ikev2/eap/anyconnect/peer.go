package anyconnect

import (
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/beevik/etree"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// The client's side of EAP-AnyConnect. The package documentation gives the
// message order; choices marked [RE] follow the recorded run in
// testdata/vectors/eap-anyconnect.

// Defaults of the client header and capabilities [RE].
const (
	DefaultVersion  = "4.10.07073"
	DefaultPlatform = "linux-64"
	// GroupListField is the name of the select that lists tunnel groups;
	// its choice also goes back as <group-select>.
	GroupListField = "group_list"
	// UserNameField is the field that Peer.UserName pre-fills.
	UserNameField = "username"
)

// DefaultInitAuthMethods are the capabilities of the first init, and
// DefaultCertInitAuthMethods those of the init that carries the
// certificate, as recorded [RE].
var (
	DefaultInitAuthMethods     = []string{"multiple-cert", "single-sign-on", "single-sign-on-v2"}
	DefaultCertInitAuthMethods = []string{"multiple-cert"}
)

// ClientInfo is what the client header says about the client.
type ClientInfo struct {
	Version  string // <version who="vpn">, DefaultVersion when empty
	Platform string // <device-id> text, DefaultPlatform when empty
	// Optional device-id attributes, left out when empty.
	ComputerName, DeviceType, PlatformVersion, UniqueID, UniqueIDGlobal string
	// MACAddresses: the first init lists them all; later messages only the
	// public-interface ones (all of them if none is public), as recorded [RE].
	MACAddresses []MACAddress
}

// header fills the client header of c.
func (ci *ClientInfo) header(c *ConfigAuth, allMACs bool) {
	c.Version = &ClientVersion{Who: ConfigAuthClient, Value: def(ci.Version, DefaultVersion)}
	c.DeviceID = &DeviceID{Platform: def(ci.Platform, DefaultPlatform), ComputerName: ci.ComputerName,
		DeviceType: ci.DeviceType, PlatformVersion: ci.PlatformVersion, UniqueID: ci.UniqueID, UniqueIDGlobal: ci.UniqueIDGlobal}
	var macs []MACAddress
	for _, m := range ci.MACAddresses {
		if allMACs || m.PublicInterface {
			macs = append(macs, m)
		}
	}
	if len(macs) == 0 {
		macs = append(macs, ci.MACAddresses...)
	}
	c.MACAddresses = macs
}

// HostScanRequest is the headend's posture-check demand, handed to the
// configured HostScan wrapper.
type HostScanRequest struct {
	Host    string // Peer.Host
	CSPort  string // HTTPS port of the headend's client services
	Ticket  string
	Token   string
	BaseURI string
	WaitURI string
}

// Error is a refusal from the headend: an <error> in an auth-request
// without a form, or in a complete. It wraps eap.ErrAuthFailed.
type Error struct {
	In   ConfigAuthType
	ID   string
	Text string
}

func (e *Error) Error() string {
	t := e.Text
	if t == "" {
		t = "(no text)"
	}
	return fmt.Sprintf("eap: AnyConnect headend refused in %s: %s", e.In, t)
}

func (e *Error) Unwrap() error { return eap.ErrAuthFailed }

// Complete is what the headend's complete message gave.
type Complete struct {
	SessionID    string
	SessionToken string
	Message      string
	Banner       string // from <auth> or <config>
	CSPort       string
	Profiles     []ProfileFile
	// Domains of the dynamic split tunnel custom attributes.
	DynamicSplitExcludeDomains []string
	DynamicSplitIncludeDomains []string
	Document                   *ConfigAuth // the whole message
}

type acPeerState uint8

const (
	acPeerStart acPeerState = iota // waiting for hello
	acPeerAuth                     // init sent, waiting for auth-request or complete
	acPeerDone                     // ack sent
)

// Peer is the client's side of EAP-AnyConnect, an eap.Peer. It derives no
// MSK.
//
// Input from the user: when an auth-request carries a form, the peer fills
// every field it can (configured UserName and Answers, values the user
// gave earlier, the headend's defaults). When nothing is missing and the
// headend reported no error it answers at once. Otherwise, with Prompt set
// it calls Prompt; without, Respond returns an *eap.NeedInput error and the
// exchange pauses until Answer. Passwords the user types are used once;
// after an <error> the form is shown again with the text fields it already
// knows filled in and the password fields empty.
type Peer struct {
	Client      ClientInfo
	GroupAccess string // the profile's UserGroup (name or group URL)
	GroupSelect string // optional <group-select> of the init
	// AuthMethods and CertAuthMethods override the capabilities of the
	// first init and of the certificate init.
	AuthMethods     []string
	CertAuthMethods []string

	UserName string         // pre-fills the "username" field
	Answers  eap.FormAnswer // known answers by field name (saved password, ...)
	Prompt   func(*eap.Form) (eap.FormAnswer, error)

	// Certificates is the client chain, leaf first, sent when the headend
	// asks for a certificate. The signature of TLV 1 covers what only the
	// IKE layer knows: it comes from SignInit when set, otherwise from the
	// eap.PeerSession's IKEBinding.
	Certificates []*x509.Certificate
	SignInit     func() ([]byte, error)

	// HostScan runs the posture check the headend may demand, typically a
	// user-supplied wrapper program, and returns the host-scan token.
	// Nothing runs when it is nil: the exchange fails instead.
	HostScan func(HostScanRequest) (token string, err error)
	Host     string // headend host, passed to HostScan

	state    acPeerState
	ike      eap.IKEBinding // of the Request being answered
	known    map[string]string
	opaque   *etree.Element
	pending  *acPending
	complete *Complete
}

type acPending struct {
	id            uint8
	form          *eap.Form
	hostScanToken *string
}

func (p *Peer) Type() eap.ExpandedType { return MethodType }
func (p *Peer) Done() bool             { return p.state == acPeerDone }
func (p *Peer) MSK() []byte            { return nil }

// Complete returns what the headend's complete message gave, nil before.
func (p *Peer) Complete() *Complete { return p.complete }

// Pending returns the form waiting for Answer, nil when none is.
func (p *Peer) Pending() *eap.NeedInput {
	if p.pending == nil {
		return nil
	}
	return &eap.NeedInput{Identifier: p.pending.id, Form: p.pending.form, Missing: p.pending.form.Missing(nil)}
}

// RespondBound answers req with the IKE SA's binding at hand (see
// eap.BoundPeer).
func (p *Peer) RespondBound(req *eap.Packet, ike eap.IKEBinding) (*eap.Packet, error) {
	p.ike = ike
	defer func() { p.ike = nil }()
	return p.Respond(req)
}

// Respond answers one EAP-AnyConnect Request. See the type's comment for
// *eap.NeedInput; a refusal from the headend is an *Error.
func (p *Peer) Respond(req *eap.Packet) (*eap.Packet, error) {
	if req.Code != eap.CodeRequest || req.Expanded() != MethodType {
		return nil, fmt.Errorf("eap: %v where an AnyConnect Request was expected", req)
	}
	m, err := FromPacket(req)
	if err != nil {
		return nil, err
	}
	x := m.XML()
	if x == nil {
		return nil, fmt.Errorf("eap: %v: no XML TLV (type 0)", req)
	}
	doc, err := ParseConfigAuth(x)
	if err != nil {
		return nil, fmt.Errorf("eap: %v: %w", req, err)
	}
	id := req.Identifier
	switch p.state {
	case acPeerStart:
		if doc.Type != ConfigAuthHello {
			return nil, fmt.Errorf("eap: AnyConnect %s where hello was expected (Request id=%d)", doc.Type, id)
		}
		p.known = map[string]string{}
		for k, v := range p.Answers {
			p.known[k] = v
		}
		if p.UserName != "" {
			if _, ok := p.known[UserNameField]; !ok {
				p.known[UserNameField] = p.UserName
			}
		}
		r := &ConfigAuth{Type: ConfigAuthInit, GroupAccess: p.GroupAccess, GroupSelect: p.GroupSelect,
			Capabilities: &Capabilities{AuthMethods: orDefault(p.AuthMethods, DefaultInitAuthMethods)}}
		p.Client.header(r, true)
		pkt, err := acPacket(eap.CodeResponse, id, nil, r)
		if err == nil {
			p.state = acPeerAuth
		}
		return pkt, err
	case acPeerAuth:
		switch doc.Type {
		case ConfigAuthAuthRequest:
			return p.authRequest(id, doc)
		case ConfigAuthComplete:
			return p.completeMsg(id, doc)
		}
		return nil, fmt.Errorf("eap: AnyConnect %s where auth-request or complete was expected (Request id=%d)", doc.Type, id)
	}
	return nil, fmt.Errorf("eap: AnyConnect %s (Request id=%d) after the exchange completed", doc.Type, id)
}

func orDefault(v, d []string) []string {
	if v == nil {
		return d
	}
	return v
}

// docError returns the text of an <error> at the top or inside <auth>.
func docError(doc *ConfigAuth) *AuthMessage {
	if doc.Error != nil {
		return doc.Error
	}
	if doc.Auth != nil && doc.Auth.Error != nil {
		return doc.Auth.Error
	}
	return nil
}

func (p *Peer) authRequest(id uint8, doc *ConfigAuth) (*eap.Packet, error) {
	p.pending = nil
	p.opaque = doc.Opaque
	errMsg := docError(doc)
	hasForm := doc.Auth != nil && doc.Auth.Form != nil && len(doc.Auth.Form.Items) > 0
	if errMsg != nil && !hasForm {
		return nil, &Error{In: doc.Type, ID: errMsg.ID, Text: errMsg.Text}
	}
	if doc.ClientCertRequest {
		return p.certInit(id)
	}
	var token *string
	if hs := doc.HostScan; hs != nil {
		if p.HostScan == nil {
			return nil, fmt.Errorf("eap: AnyConnect headend demands a posture check (HostScan, ticket %q) and no wrapper is configured: "+
				"set anyconnect.Peer.HostScan to a function that runs a CSD/HostScan wrapper program (like OpenConnect's --csd-wrapper) "+
				"for the ticket and returns the host-scan token", hs.Ticket)
		}
		t, err := p.HostScan(HostScanRequest{Host: p.Host, CSPort: doc.CSPort, Ticket: hs.Ticket, Token: hs.Token, BaseURI: hs.BaseURI, WaitURI: hs.WaitURI})
		if err != nil {
			return nil, fmt.Errorf("eap: AnyConnect host scan: %w", err)
		}
		if !eap.ValidText(t) {
			return nil, fmt.Errorf("eap: AnyConnect host scan returned a token XML cannot carry")
		}
		token = &t
	}
	if !hasForm {
		if token == nil && (doc.Auth == nil || !doc.Auth.AuthenticationComplete) {
			return nil, fmt.Errorf("eap: AnyConnect auth-request (Request id=%d) asks for nothing this client knows: no form, certificate request or host scan", id)
		}
		return p.reply(id, nil, nil, token)
	}
	form, err := formFromAuth(doc.Auth)
	if err != nil {
		return nil, err
	}
	if errMsg != nil {
		form.Error = errMsg.Text
		for _, f := range form.Fields {
			if f.Kind == eap.FieldPassword {
				delete(p.known, f.Name)
			}
		}
	}
	for i := range form.Fields {
		f := &form.Fields[i]
		v, ok := p.known[f.Name]
		if f.Kind == eap.FieldSelect && !ok && f.Name == GroupListField && p.GroupSelect != "" {
			v, ok = p.GroupSelect, true
		}
		if ok && f.Kind != eap.FieldHidden && (f.Kind != eap.FieldSelect || f.HasOption(v)) {
			f.Value = v
		}
	}
	p.pending = &acPending{id: id, form: form, hostScanToken: token}
	if errMsg == nil && len(form.Missing(nil)) == 0 {
		return p.Answer(nil)
	}
	if p.Prompt != nil {
		a, err := p.Prompt(form)
		if err != nil {
			p.pending = nil
			return nil, fmt.Errorf("eap: AnyConnect prompt: %w", err)
		}
		pkt, err := p.Answer(a)
		if err != nil {
			p.pending = nil
		}
		return pkt, err
	}
	return nil, p.Pending()
}

// Answer completes the Request that Respond paused on with *eap.NeedInput and
// returns its Response. An answer that does not fit the form is refused
// with a *FormError and the form stays pending.
func (p *Peer) Answer(a eap.FormAnswer) (*eap.Packet, error) {
	if p.pending == nil {
		return nil, errors.New("eap: AnyConnect: no form is waiting for an answer")
	}
	values, err := p.pending.form.Resolve(a)
	if err != nil {
		return nil, err
	}
	pend := p.pending
	pkt, err := p.reply(pend.id, pend.form, values, pend.hostScanToken)
	if err != nil {
		return nil, err
	}
	p.pending = nil
	for _, f := range pend.form.Fields {
		if f.Kind == eap.FieldText || f.Kind == eap.FieldSelect {
			p.known[f.Name] = values[f.Name]
		}
	}
	return pkt, nil
}

// reply builds an auth-reply: the header, empty session-id and
// session-token, the opaque echoed, every field as an element named after
// it, group-select when a group list was shown, and the host-scan token.
func (p *Peer) reply(id uint8, form *eap.Form, values map[string]string, token *string) (*eap.Packet, error) {
	r := &ConfigAuth{Type: ConfigAuthAuthReply, SessionID: ptr(""), SessionToken: ptr(""), Opaque: p.opaque,
		Auth: &Auth{}, HostScanToken: token}
	p.Client.header(r, false)
	if form != nil {
		for _, f := range form.Fields {
			r.Auth.Answers = append(r.Auth.Answers, FormValue{Name: f.Name, Value: values[f.Name]})
			if f.Name == GroupListField {
				r.GroupSelect = values[f.Name]
			}
		}
	}
	return acPacket(eap.CodeResponse, id, nil, r)
}

// certInit answers <client-cert-request/> with an init carrying TLV 3
// (chain), TLV 1 (signature) and TLV 0, in the recorded order.
func (p *Peer) certInit(id uint8) (*eap.Packet, error) {
	if len(p.Certificates) == 0 {
		return nil, errors.New("eap: AnyConnect headend requests a client certificate and anyconnect.Peer.Certificates is empty")
	}
	sign := p.SignInit
	if sign == nil && p.ike != nil {
		sign = p.ike.SignInitiatorOctets
	}
	if sign == nil {
		return nil, errors.New("eap: AnyConnect headend requests a client certificate and there is no IKE binding or SignInit to sign with")
	}
	chain, err := EncodeCertChainPKCS7(p.Certificates)
	if err != nil {
		return nil, err
	}
	sig, err := sign()
	if err != nil {
		return nil, fmt.Errorf("eap: AnyConnect certificate signature: %w", err)
	}
	if len(sig) == 0 {
		return nil, errors.New("eap: AnyConnect certificate signature: SignInit returned nothing")
	}
	r := &ConfigAuth{Type: ConfigAuthInit, GroupAccess: p.GroupAccess, GroupSelect: p.GroupSelect, Opaque: p.opaque,
		Capabilities: &Capabilities{AuthMethods: orDefault(p.CertAuthMethods, DefaultCertInitAuthMethods)}}
	p.Client.header(r, false)
	return acPacket(eap.CodeResponse, id, []TLV{{TLVCertChain, chain}, {TLVSignature, sig}}, r)
}

func (p *Peer) completeMsg(id uint8, doc *ConfigAuth) (*eap.Packet, error) {
	if e := docError(doc); e != nil {
		return nil, &Error{In: doc.Type, ID: e.ID, Text: e.Text}
	}
	c := &Complete{CSPort: doc.CSPort, Document: doc}
	if doc.SessionID != nil {
		c.SessionID = *doc.SessionID
	}
	if doc.SessionToken != nil {
		c.SessionToken = *doc.SessionToken
	}
	if a := doc.Auth; a != nil {
		c.Banner = a.Banner
		if a.Message != nil {
			c.Message = a.Message.Text
		}
	}
	if cfg := doc.Config; cfg != nil {
		if c.Banner == "" {
			c.Banner = cfg.Banner
		}
		c.CSPort = def(cfg.CSPort, c.CSPort)
		c.Profiles = cfg.Profiles
		c.DynamicSplitExcludeDomains = cfg.DynamicSplitExcludeDomains()
		c.DynamicSplitIncludeDomains = cfg.DynamicSplitIncludeDomains()
	}
	r := &ConfigAuth{Type: ConfigAuthAck}
	p.Client.header(r, false)
	pkt, err := acPacket(eap.CodeResponse, id, nil, r)
	if err != nil {
		return nil, err
	}
	p.complete, p.state, p.pending = c, acPeerDone, nil
	return pkt, nil
}

// acPacket builds an EAP-AnyConnect packet: the given TLVs, then TLV 0
// with doc.
func acPacket(code eap.Code, id uint8, tlvs []TLV, doc *ConfigAuth) (*eap.Packet, error) {
	x, err := doc.Marshal()
	if err != nil {
		return nil, err
	}
	m := &Message{Code: code, Identifier: id, TLVs: append(tlvs, TLV{TLVXML, x})}
	pkt, err := m.Packet()
	if err != nil {
		return nil, err
	}
	if pkt.Len() > 0xFFFF {
		return nil, fmt.Errorf("eap: AnyConnect %s of %d bytes exceeds the EAP limit of 65535", doc.Type, pkt.Len())
	}
	return pkt, nil
}
