package anyconnect

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// The headend's side of EAP-AnyConnect, an emulator of what an ASA does in
// the message order of the package documentation. Texts and the
// session-token format are guesses [?]; they live in the constants below.

// Errors a password or second-factor verifier returns. Unknown user and
// wrong password look the same to the client (another try, "Login
// failed."); a disabled account ends the exchange.
var (
	ErrUnknownUser     = errors.New("eap: unknown user")
	ErrWrongPassword   = errors.New("eap: wrong password")
	ErrAccountDisabled = errors.New("eap: account disabled")
)

// Texts and names the emulated headend uses [?].
const (
	acMsgGroup        = "Please select a group."
	acMsgLogin        = "Please enter your username and password."
	acMsgSecond       = "Please enter your second factor."
	acErrGroup        = "The group %q does not exist. Please select a group."
	acErrLogin        = "Login failed."
	acErrTooMany      = "Login failed: too many attempts."
	acErrDisabled     = "Login denied: the account is disabled."
	acErrCert         = "Certificate validation failed."
	acErrHostScan     = "Host scan failed."
	acPasswordField   = "password"
	acSecondField     = "secondary_password"
	acConfigClientTyp = "private"
)

// TunnelGroup is one tunnel group of the emulated headend. The steps it
// asks for run in this order: client certificate, username and password,
// second factor, host scan.
type TunnelGroup struct {
	Name      string
	Aliases   []string // also accepted in group-access and group-select, shown in the group list
	GroupURLs []string // accepted in group-access, exactly (trailing slash ignored)

	Password     bool // ask for username and password (CheckPassword)
	SecondFactor *SecondFactor
	ClientCert   bool // ask for a certificate inside EAP (VerifyCert)
	HostScan     *HostScanDemand

	Banner   string        // overrides the authenticator's Banner
	Profiles []ProfileFile // overrides the authenticator's Profiles
}

// SecondFactor is a second password-like field asked in its own round.
type SecondFactor struct {
	Name  string // field name, "secondary_password" when empty
	Label string
	Check func(group, user, value string) error // errors as for CheckPassword
}

// HostScanDemand is the posture check a group requires.
type HostScanDemand struct {
	Ticket, Token, BaseURI, WaitURI string
	// Verify checks the returned host-scan token; nil means it must equal
	// Token.
	Verify func(group, token string) error
}

type acAuthState uint8

const (
	acAuthIdle acAuthState = iota
	acAuthHello
	acAuthGroupList
	acAuthCert
	acAuthPassword
	acAuthSecond
	acAuthHostScan
	acAuthComplete
	acAuthFailing
	acAuthDone
)

// Authenticator is the headend's side of EAP-AnyConnect, an
// eap.Authenticator. It derives no MSK.
type Authenticator struct {
	Groups       []TunnelGroup
	DefaultGroup string // used when the client names no group
	// CheckPassword verifies a username and password of a group; return
	// ErrUnknownUser, ErrWrongPassword or ErrAccountDisabled (wrapped or
	// not). Other errors end the exchange.
	CheckPassword func(group, user, pass string) error
	// VerifyCert checks the client chain (leaf first) of TLV 3 and the
	// signature of TLV 1 over the IKE initiator's signed octets.
	VerifyCert func(chain []*x509.Certificate, signature []byte) error
	// Retries is how many refused answers (wrong password, unknown group,
	// ...) still get another form; 0 ends at the first.
	Retries    int
	CSPort     string // <csport>, "443" when empty
	Banner     string
	Profiles   []ProfileFile
	ConfigHash string    // <config-hash> in the opaque, left out when empty
	Rand       io.Reader // session id and token

	acAuthRun
}

// acAuthRun is the state of one exchange, reset by Start.
type acAuthRun struct {
	state    acAuthState
	id       uint8
	group    *TunnelGroup
	user     string
	opaque   *etree.Element
	failures int
	failErr  error
	init     *ConfigAuth
	chain    []*x509.Certificate
	session  string
	token    string

	certDone, passDone, secondDone, scanDone bool
}

func (a *Authenticator) Type() eap.ExpandedType { return MethodType }
func (a *Authenticator) MSK() []byte            { return nil }

// Group returns the tunnel group the client authenticates to, once known.
func (a *Authenticator) Group() string {
	if a.group == nil {
		return ""
	}
	return a.group.Name
}

// User returns the user name that passed CheckPassword.
func (a *Authenticator) User() string { return a.user }

// ClientInit returns the client's first init document.
func (a *Authenticator) ClientInit() *ConfigAuth { return a.init }

// Certificates returns the client chain received in TLV 3.
func (a *Authenticator) Certificates() []*x509.Certificate { return a.chain }

// Session returns the session id and token sent in complete.
func (a *Authenticator) Session() (id, token string) { return a.session, a.token }

// Start returns the hello.
func (a *Authenticator) Start(id uint8) (*eap.Packet, error) {
	a.acAuthRun = acAuthRun{}
	return a.send(id, acAuthHello, nil, &ConfigAuth{Type: ConfigAuthHello})
}

func (a *Authenticator) send(id uint8, st acAuthState, tlvs []TLV, doc *ConfigAuth) (*eap.Packet, error) {
	pkt, err := acPacket(eap.CodeRequest, id, tlvs, doc)
	if err != nil {
		return nil, err
	}
	a.id, a.state, a.opaque = id, st, doc.Opaque
	return pkt, nil
}

// Next processes the client's Response; see eap.Authenticator.
func (a *Authenticator) Next(resp *eap.Packet, id uint8) (*eap.Packet, error) {
	if a.state == acAuthIdle || a.state == acAuthDone {
		return nil, fmt.Errorf("eap: AnyConnect Response %v with no Request outstanding", resp)
	}
	if resp.Code != eap.CodeResponse {
		return nil, fmt.Errorf("eap: %v where an AnyConnect Response was expected", resp)
	}
	if resp.Identifier != a.id {
		return nil, fmt.Errorf("eap: %v answers Identifier %d, the outstanding Request has %d", resp, resp.Identifier, a.id)
	}
	if resp.IsNak() {
		alts, err := resp.NakTypes()
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("eap: peer refused %v and proposes %v", MethodType, alts)
	}
	if a.state == acAuthFailing {
		a.state = acAuthDone
		return nil, a.failErr
	}
	m, err := FromPacket(resp)
	if err != nil {
		return nil, err
	}
	x := m.XML()
	if x == nil {
		return nil, fmt.Errorf("eap: %v: no XML TLV (type 0)", resp)
	}
	doc, err := ParseConfigAuth(x)
	if err != nil {
		return nil, fmt.Errorf("eap: %v: %w", resp, err)
	}
	want := ConfigAuthAuthReply
	switch a.state {
	case acAuthHello, acAuthCert:
		want = ConfigAuthInit
	case acAuthComplete:
		want = ConfigAuthAck
	}
	if doc.Type != want {
		return nil, fmt.Errorf("eap: AnyConnect %s (Response id=%d) where %s was expected", doc.Type, resp.Identifier, want)
	}
	if a.opaque != nil && !bytes.Equal(xmlCanonical(doc.Opaque), xmlCanonical(a.opaque)) {
		return nil, fmt.Errorf("eap: AnyConnect %s (Response id=%d) does not echo the opaque sent", doc.Type, resp.Identifier)
	}
	switch a.state {
	case acAuthHello:
		a.init = doc
		name := doc.GroupSelect
		g := a.findGroup(name)
		if g == nil {
			name = doc.GroupAccess
			g = a.findGroup(name)
		}
		if g == nil && name == "" && a.DefaultGroup != "" {
			name = a.DefaultGroup
			g = a.findGroup(name)
		}
		if g == nil {
			return a.groupList(id, fmt.Sprintf(acErrGroup, name))
		}
		a.group = g
	case acAuthGroupList:
		name := doc.GroupSelect
		if name == "" {
			name, _ = answer(doc, GroupListField)
		}
		g := a.findGroup(name)
		if g == nil {
			cause := fmt.Errorf("eap: AnyConnect group %q unknown: %w", name, eap.ErrAuthFailed)
			if !a.refused() {
				return a.failing(id, acErrTooMany, cause)
			}
			return a.groupList(id, fmt.Sprintf(acErrGroup, name))
		}
		a.group = g
	case acAuthCert:
		if pkt, err := a.checkCert(id, m); pkt != nil || err != nil {
			return pkt, err
		}
		a.certDone = true
	case acAuthPassword:
		user, _ := answer(doc, UserNameField)
		pass, _ := answer(doc, acPasswordField)
		if pkt, err := a.verdict(id, a.CheckPassword(a.group.Name, user, pass), user, a.passwordForm); pkt != nil || err != nil {
			return pkt, err
		}
		a.user, a.passDone = user, true
	case acAuthSecond:
		v, _ := answer(doc, a.secondName())
		if pkt, err := a.verdict(id, a.group.SecondFactor.Check(a.group.Name, a.user, v), a.user, a.secondForm); pkt != nil || err != nil {
			return pkt, err
		}
		a.secondDone = true
	case acAuthHostScan:
		hs := a.group.HostScan
		var err error
		switch {
		case doc.HostScanToken == nil:
			err = errors.New("no host-scan-token in the reply")
		case hs.Verify != nil:
			err = hs.Verify(a.group.Name, *doc.HostScanToken)
		case *doc.HostScanToken != hs.Token:
			err = fmt.Errorf("host-scan-token %q, want %q", *doc.HostScanToken, hs.Token)
		}
		if err != nil {
			return a.failing(id, acErrHostScan, fmt.Errorf("eap: AnyConnect host scan: %w: %w", eap.ErrAuthFailed, err))
		}
		a.scanDone = true
	case acAuthComplete:
		a.state = acAuthDone
		return nil, nil
	}
	return a.nextStep(id)
}

// refused counts a refused answer and reports whether another try is left.
func (a *Authenticator) refused() bool {
	a.failures++
	return a.failures <= a.Retries
}

// verdict turns a verifier's answer into the next message: nil, nil to go
// on; another form after a wrong answer; an error message when the account
// is disabled or the tries are used up.
func (a *Authenticator) verdict(id uint8, err error, user string, again func(uint8, string) (*eap.Packet, error)) (*eap.Packet, error) {
	if err == nil {
		return nil, nil
	}
	cause := fmt.Errorf("eap: AnyConnect group %q user %q: %w: %w", a.group.Name, user, eap.ErrAuthFailed, err)
	switch {
	case errors.Is(err, ErrAccountDisabled):
		return a.failing(id, acErrDisabled, cause)
	case errors.Is(err, ErrUnknownUser), errors.Is(err, ErrWrongPassword):
		if !a.refused() {
			return a.failing(id, acErrTooMany, cause)
		}
		return again(id, acErrLogin)
	}
	return a.failing(id, acErrLogin, cause)
}

func answer(doc *ConfigAuth, name string) (string, bool) {
	if doc.Auth == nil {
		return "", false
	}
	for _, v := range doc.Auth.Answers {
		if v.Name == name {
			return v.Value, true
		}
	}
	return "", false
}

func (a *Authenticator) findGroup(name string) *TunnelGroup {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	for i := range a.Groups {
		g := &a.Groups[i]
		if strings.EqualFold(g.Name, name) {
			return g
		}
		for _, al := range g.Aliases {
			if strings.EqualFold(al, name) {
				return g
			}
		}
		for _, u := range g.GroupURLs {
			if strings.TrimSuffix(u, "/") == strings.TrimSuffix(name, "/") {
				return g
			}
		}
	}
	return nil
}

func (a *Authenticator) nextStep(id uint8) (*eap.Packet, error) {
	g := a.group
	switch {
	case g.ClientCert && !a.certDone:
		return a.send(id, acAuthCert, nil, &ConfigAuth{Type: ConfigAuthAuthRequest, CSPort: a.csport(), ClientCertRequest: true})
	case g.Password && !a.passDone:
		return a.passwordForm(id, "")
	case g.SecondFactor != nil && !a.secondDone:
		return a.secondForm(id, "")
	case g.HostScan != nil && !a.scanDone:
		hs := g.HostScan
		return a.send(id, acAuthHostScan, nil, &ConfigAuth{Type: ConfigAuthAuthRequest, Opaque: a.newOpaque(), CSPort: a.csport(),
			Auth:     &Auth{ID: "main", AuthenticationComplete: true},
			HostScan: &HostScan{Ticket: hs.Ticket, Token: hs.Token, BaseURI: hs.BaseURI, WaitURI: hs.WaitURI}})
	}
	return a.complete(id)
}

func (a *Authenticator) csport() string { return def(a.CSPort, "443") }

func (a *Authenticator) newOpaque() *etree.Element {
	o := etree.NewElement("opaque")
	o.CreateAttr("is-for", "sg")
	if a.group != nil {
		o.CreateElement("tunnel-group").SetText(a.group.Name)
	}
	if a.ConfigHash != "" {
		o.CreateElement("config-hash").SetText(a.ConfigHash)
	}
	return o
}

func (a *Authenticator) formRequest(id uint8, st acAuthState, message, errText string, items ...AuthFormItem) (*eap.Packet, error) {
	auth := &Auth{ID: "main", Message: &AuthMessage{Text: message}, Form: &AuthForm{Items: items}}
	if errText != "" {
		auth.Error = &AuthMessage{Text: errText}
	}
	return a.send(id, st, nil, &ConfigAuth{Type: ConfigAuthAuthRequest, Opaque: a.newOpaque(), Auth: auth})
}

func (a *Authenticator) groupList(id uint8, errText string) (*eap.Packet, error) {
	sel := AuthFormItem{Element: "select", Name: GroupListField, Label: "GROUP:"}
	for _, g := range a.Groups {
		label := g.Name
		if len(g.Aliases) > 0 {
			label = g.Aliases[0]
		}
		sel.Options = append(sel.Options, AuthFormOption{Value: g.Name, Label: label})
	}
	return a.formRequest(id, acAuthGroupList, acMsgGroup, errText, sel)
}

func (a *Authenticator) passwordForm(id uint8, errText string) (*eap.Packet, error) {
	return a.formRequest(id, acAuthPassword, acMsgLogin, errText,
		AuthFormItem{Element: "input", Type: "text", Name: UserNameField, Label: "Username:"},
		AuthFormItem{Element: "input", Type: "password", Name: acPasswordField, Label: "Password:"})
}

func (a *Authenticator) secondName() string {
	return def(a.group.SecondFactor.Name, acSecondField)
}

func (a *Authenticator) secondForm(id uint8, errText string) (*eap.Packet, error) {
	sf := a.group.SecondFactor
	if sf.Check == nil {
		return nil, fmt.Errorf("eap: AnyConnect group %q: SecondFactor.Check is not set", a.group.Name)
	}
	return a.formRequest(id, acAuthSecond, acMsgSecond, errText,
		AuthFormItem{Element: "input", Type: "password", Name: a.secondName(), Label: def(sf.Label, "Second Password:"), SecondAuth: true})
}

// failing sends an auth-request holding only an error; whatever the client
// answers, the method then ends with cause.
func (a *Authenticator) failing(id uint8, text string, cause error) (*eap.Packet, error) {
	pkt, err := a.send(id, acAuthFailing, nil, &ConfigAuth{Type: ConfigAuthAuthRequest, Auth: &Auth{ID: "main", Error: &AuthMessage{Text: text}}})
	if err != nil {
		return nil, err
	}
	a.failErr = cause
	return pkt, nil
}

func (a *Authenticator) checkCert(id uint8, m *Message) (*eap.Packet, error) {
	p7, ok1 := m.Find(TLVCertChain)
	sig, ok2 := m.Find(TLVSignature)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("eap: AnyConnect init answering client-cert-request lacks TLV %v or %v", TLVCertChain, TLVSignature)
	}
	chain, err := DecodeCertChainPKCS7(p7)
	if err != nil {
		return nil, err
	}
	a.chain = chain
	if a.VerifyCert == nil {
		return nil, fmt.Errorf("eap: AnyConnect group %q asks for a certificate and VerifyCert is not set", a.group.Name)
	}
	if err := a.VerifyCert(chain, sig); err != nil {
		return a.failing(id, acErrCert, fmt.Errorf("eap: AnyConnect client certificate %q: %w: %w", chain[0].Subject, eap.ErrAuthFailed, err))
	}
	return nil, nil
}

func (a *Authenticator) complete(id uint8) (*eap.Packet, error) {
	var r [33]byte
	if a.Rand == nil {
		return nil, errors.New("eap: no random source for the AnyConnect session id and token")
	}
	if _, err := io.ReadFull(a.Rand, r[:]); err != nil {
		return nil, fmt.Errorf("eap: reading the AnyConnect session id and token: %w", err)
	}
	a.session = strconv.FormatUint(uint64(binary.BigEndian.Uint32(r[0:4])), 10)
	a.token = fmt.Sprintf("%06d@%s@%04d@%X", binary.BigEndian.Uint32(r[4:8])%1000000, a.session,
		binary.BigEndian.Uint32(r[8:12])%10000, r[13:33])
	cfg := &Config{Attrs: []XMLAttr{{"client", ConfigAuthClient}, {"type", acConfigClientTyp}},
		Banner: def(a.group.Banner, a.Banner), CSPort: a.csport(), Profiles: a.Profiles}
	if a.group.Profiles != nil {
		cfg.Profiles = a.group.Profiles
	}
	return a.send(id, acAuthComplete, nil, &ConfigAuth{Type: ConfigAuthComplete, SessionID: ptr(a.session), SessionToken: ptr(a.token),
		Auth:         &Auth{ID: "success", Message: &AuthMessage{ID: "0", Params: []string{"", ""}}},
		Capabilities: &Capabilities{CryptoSupported: []string{"ssl-dhe"}},
		Config:       cfg})
}
