package anyconnect

import (
	"crypto/x509"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// acRun is the outcome of an in-memory conversation.
type acRun struct {
	authErr, peerErr error
	asked            []*eap.NeedInput
	lastID           uint8 // Identifier of the last Request
}

// acConverse runs auth against peer through eap.PeerSession, answering every
// eap.NeedInput with answer (a nil answer stops there), until one side stops.
func acConverse(t *testing.T, a *Authenticator, p *Peer, answer func(*eap.NeedInput) eap.FormAnswer) acRun {
	t.Helper()
	var run acRun
	s := &eap.PeerSession{Method: p}
	id := uint8(1)
	req, err := a.Start(id)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	for range 20 {
		run.lastID = req.Identifier
		resp, err := s.Handle(wire(t, req))
		var ni *eap.NeedInput
		for errors.As(err, &ni) && answer != nil {
			run.asked = append(run.asked, ni)
			a := answer(ni)
			if a == nil {
				break
			}
			resp, err = p.Answer(a)
		}
		if err != nil {
			run.peerErr = err
			return run
		}
		id++
		req, err = a.Next(wire(t, resp), id)
		if req == nil {
			final := eap.NewSuccess(resp.Identifier)
			if err != nil {
				final = eap.NewFailure(resp.Identifier)
			}
			run.authErr = err
			_, run.peerErr = s.Handle(wire(t, final))
			if err == nil && (!s.Succeeded() || s.MSK() != nil) {
				t.Fatalf("peer did not accept EAP-Success: %v", run.peerErr)
			}
			return run
		}
		if err != nil {
			t.Fatalf("Next returned both a Request and %v", err)
		}
	}
	t.Fatal("conversation did not end")
	return run
}

// finish sends the headend a final ack after the peer stopped on an
// error-only message, as a client that acknowledges would, and returns the
// authenticator's verdict.
func finish(t *testing.T, a *Authenticator, id uint8) error {
	t.Helper()
	ack, err := acPacket(eap.CodeResponse, id, nil, &ConfigAuth{Type: ConfigAuthAck})
	if err != nil {
		t.Fatal(err)
	}
	req, err := a.Next(ack, id+1)
	if req != nil {
		t.Fatalf("headend went on after its error message: %v", req)
	}
	return err
}

var testUsers = map[string]struct {
	pass     string
	disabled bool
}{
	"alice": {pass: `s3cr<e>t&"'`},
	"bob":   {pass: "pw", disabled: true},
}

func checkTestPassword(group, user, pass string) error {
	u, ok := testUsers[user]
	switch {
	case !ok:
		return ErrUnknownUser
	case u.disabled:
		return fmt.Errorf("user %s: %w", user, ErrAccountDisabled)
	case u.pass != pass:
		return ErrWrongPassword
	}
	return nil
}

func passwordHeadend() *Authenticator {
	return &Authenticator{
		Groups: []TunnelGroup{
			{Name: "Staff", Aliases: []string{"staff-vpn"}, GroupURLs: []string{"https://vpn.example/staff"}, Password: true},
			{Name: "Other", Password: true},
		},
		CheckPassword: checkTestPassword, Retries: 2, Banner: "Welcome", Rand: testRand(),
		Profiles: []ProfileFile{{Type: "profile", ServiceType: "user", URI: "/CACHE/p.xml", Hash: "AB", HashType: "sha1"}},
	}
}

func testClient() ClientInfo {
	return ClientInfo{MACAddresses: []MACAddress{{"02-00-5e-00-53-01", true}}}
}

func answerWith(answers ...eap.FormAnswer) func(*eap.NeedInput) eap.FormAnswer {
	i := 0
	return func(*eap.NeedInput) eap.FormAnswer {
		if i == len(answers) {
			return nil
		}
		i++
		return answers[i-1]
	}
}

func TestRoundTripPassword(t *testing.T) {
	a := passwordHeadend()
	p := &Peer{Client: testClient(), GroupAccess: "https://vpn.example/staff/", UserName: "alice"}
	run := acConverse(t, a, p, answerWith(eap.FormAnswer{"password": testUsers["alice"].pass}))
	if run.authErr != nil || run.peerErr != nil {
		t.Fatalf("auth %v peer %v", run.authErr, run.peerErr)
	}
	if len(run.asked) != 1 || !reflect.DeepEqual(run.asked[0].Missing, []string{"password"}) ||
		run.asked[0].Form.Field("username").Value != "alice" || run.asked[0].Form.Message != acMsgLogin {
		t.Fatalf("asked %+v", run.asked)
	}
	if a.Group() != "Staff" || a.User() != "alice" {
		t.Errorf("group %q user %q", a.Group(), a.User())
	}
	c := p.Complete()
	id, token := a.Session()
	if c.SessionID != id || c.SessionToken != token || c.Banner != "Welcome" || c.CSPort != "443" || !reflect.DeepEqual(c.Profiles, a.Profiles) {
		t.Errorf("complete %+v", c)
	}
}

// TestRoundTripPrompt uses the synchronous Prompt callback and
// preset answers instead of eap.NeedInput.
func TestRoundTripPrompt(t *testing.T) {
	var forms []*eap.Form
	p := &Peer{Client: testClient(), GroupAccess: "staff-vpn",
		Prompt: func(f *eap.Form) (eap.FormAnswer, error) {
			forms = append(forms, f)
			return eap.FormAnswer{"username": "alice", "password": testUsers["alice"].pass}, nil
		}}
	if run := acConverse(t, passwordHeadend(), p, nil); run.authErr != nil || run.peerErr != nil || len(forms) != 1 {
		t.Fatalf("auth %v peer %v forms %d", run.authErr, run.peerErr, len(forms))
	}
	// With every answer known in advance nothing is asked.
	p = &Peer{Client: testClient(), GroupAccess: "Staff", UserName: "alice", Answers: eap.FormAnswer{"password": testUsers["alice"].pass}}
	if run := acConverse(t, passwordHeadend(), p, nil); run.authErr != nil || run.peerErr != nil || len(run.asked) != 0 {
		t.Fatalf("auth %v peer %v asked %d", run.authErr, run.peerErr, len(run.asked))
	}
}

func TestRoundTripWrongThenRight(t *testing.T) {
	a := passwordHeadend()
	// The saved password is wrong: it is sent once, then the user is asked.
	p := &Peer{Client: testClient(), GroupAccess: "Staff", UserName: "alice", Answers: eap.FormAnswer{"password": "old"}}
	run := acConverse(t, a, p, answerWith(eap.FormAnswer{"password": "typo"}, eap.FormAnswer{"password": testUsers["alice"].pass}))
	if run.authErr != nil || run.peerErr != nil {
		t.Fatalf("auth %v peer %v", run.authErr, run.peerErr)
	}
	if len(run.asked) != 2 {
		t.Fatalf("asked %d times", len(run.asked))
	}
	for _, ni := range run.asked {
		if ni.Form.Error != acErrLogin || !reflect.DeepEqual(ni.Missing, []string{"password"}) || ni.Form.Field("username").Value != "alice" {
			t.Errorf("retry form %+v missing %v", ni.Form, ni.Missing)
		}
	}
}

func TestRoundTripTooManyAttempts(t *testing.T) {
	a := passwordHeadend()
	a.Retries = 1
	p := &Peer{Client: testClient(), GroupAccess: "Staff", UserName: "mallory"}
	run := acConverse(t, a, p, func(*eap.NeedInput) eap.FormAnswer { return eap.FormAnswer{"password": "guess"} })
	var ace *Error
	if !errors.As(run.peerErr, &ace) || ace.Text != acErrTooMany || !errors.Is(run.peerErr, eap.ErrAuthFailed) || len(run.asked) != 2 {
		t.Fatalf("peer %v asked %d", run.peerErr, len(run.asked))
	}
	if err := finish(t, a, run.lastID); !errors.Is(err, eap.ErrAuthFailed) || !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("headend verdict %v", err)
	}
}

func TestRoundTripDisabled(t *testing.T) {
	a := passwordHeadend()
	p := &Peer{Client: testClient(), GroupAccess: "Staff", UserName: "bob", Answers: eap.FormAnswer{"password": "pw"}}
	run := acConverse(t, a, p, nil)
	var ace *Error
	if !errors.As(run.peerErr, &ace) || ace.Text != acErrDisabled || ace.In != ConfigAuthAuthRequest {
		t.Fatalf("peer %v", run.peerErr)
	}
	if err := finish(t, a, run.lastID); !errors.Is(err, eap.ErrAuthFailed) || !errors.Is(err, ErrAccountDisabled) {
		t.Fatalf("headend verdict %v", err)
	}
}

func TestRoundTripUnknownGroup(t *testing.T) {
	a := passwordHeadend()
	p := &Peer{Client: testClient(), GroupAccess: "Nope", UserName: "alice"}
	var formErr error
	run := acConverse(t, a, p, func(ni *eap.NeedInput) eap.FormAnswer {
		if f := ni.Form.Field(GroupListField); f != nil {
			// A value outside the options is refused and the form stays.
			if _, formErr = p.Answer(eap.FormAnswer{GroupListField: "Nope"}); p.Pending() == nil {
				t.Fatal("form no longer pending after a refused answer")
			}
			return eap.FormAnswer{GroupListField: "Other"}
		}
		return eap.FormAnswer{"password": testUsers["alice"].pass}
	})
	if run.authErr != nil || run.peerErr != nil {
		t.Fatalf("auth %v peer %v", run.authErr, run.peerErr)
	}
	var fe *eap.FormError
	if !errors.As(formErr, &fe) || fe.Field != GroupListField || !strings.Contains(fe.Reason, "not one of the options") {
		t.Errorf("bad select answer: %v", formErr)
	}
	first := run.asked[0]
	if len(run.asked) != 2 || !strings.Contains(first.Form.Error, `"Nope" does not exist`) || len(first.Form.Fields) != 1 ||
		first.Form.Fields[0].Kind != eap.FieldSelect || !reflect.DeepEqual(first.Form.Fields[0].Options, []eap.Option{{Value: "Staff", Label: "staff-vpn"}, {Value: "Other", Label: "Other"}}) {
		t.Fatalf("asked %+v", run.asked)
	}
	if a.Group() != "Other" {
		t.Errorf("group %q", a.Group())
	}
}

func TestRoundTripSecondFactor(t *testing.T) {
	a := passwordHeadend()
	a.Groups[0].SecondFactor = &SecondFactor{Label: "OTP:", Check: func(group, user, v string) error {
		if group != "Staff" || user != "alice" || v != "123456" {
			return ErrWrongPassword
		}
		return nil
	}}
	p := &Peer{Client: testClient(), GroupAccess: "Staff", UserName: "alice", Answers: eap.FormAnswer{"password": testUsers["alice"].pass}}
	run := acConverse(t, a, p, answerWith(eap.FormAnswer{"secondary_password": "000000"}, eap.FormAnswer{"secondary_password": "123456"}))
	if run.authErr != nil || run.peerErr != nil {
		t.Fatalf("auth %v peer %v", run.authErr, run.peerErr)
	}
	if len(run.asked) != 2 {
		t.Fatalf("asked %d times", len(run.asked))
	}
	f := run.asked[0].Form.Fields
	if len(f) != 1 || !f[0].SecondAuth || f[0].Kind != eap.FieldPassword || f[0].Label != "OTP:" || run.asked[1].Form.Error != acErrLogin {
		t.Fatalf("second factor forms %+v / %+v", run.asked[0].Form, run.asked[1].Form)
	}
}

func hostScanHeadend() *Authenticator {
	a := passwordHeadend()
	a.Groups[0].HostScan = &HostScanDemand{Ticket: "T1", Token: "TOK", BaseURI: "/CACHE", WaitURI: "/wait"}
	return a
}

func TestRoundTripHostScan(t *testing.T) {
	var got []HostScanRequest
	newPeer := func(token string) *Peer {
		return &Peer{Client: testClient(), GroupAccess: "Staff", UserName: "alice", Host: "vpn.example",
			Answers: eap.FormAnswer{"password": testUsers["alice"].pass},
			HostScan: func(r HostScanRequest) (string, error) {
				got = append(got, r)
				return token, nil
			}}
	}
	if run := acConverse(t, hostScanHeadend(), newPeer("TOK"), nil); run.authErr != nil || run.peerErr != nil {
		t.Fatalf("auth %v peer %v", run.authErr, run.peerErr)
	}
	if len(got) != 1 || got[0] != (HostScanRequest{Host: "vpn.example", CSPort: "443", Ticket: "T1", Token: "TOK", BaseURI: "/CACHE", WaitURI: "/wait"}) {
		t.Fatalf("wrapper saw %+v", got)
	}
	// A token the headend does not accept.
	a := hostScanHeadend()
	run := acConverse(t, a, newPeer("forged"), nil)
	var ace *Error
	if !errors.As(run.peerErr, &ace) || ace.Text != acErrHostScan {
		t.Fatalf("forged token: peer %v", run.peerErr)
	}
	if err := finish(t, a, run.lastID); !errors.Is(err, eap.ErrAuthFailed) {
		t.Fatalf("headend verdict %v", err)
	}
	// No wrapper configured: a clear error, nothing runs.
	p := newPeer("")
	p.HostScan = nil
	run = acConverse(t, hostScanHeadend(), p, nil)
	if run.peerErr == nil || !strings.Contains(run.peerErr.Error(), "posture check (HostScan") || !strings.Contains(run.peerErr.Error(), "Peer.HostScan") {
		t.Fatalf("without wrapper: %v", run.peerErr)
	}
}

// testChain returns a CA and a client certificate it issued.
func testChain() (leaf, ca *x509.Certificate) {
	root := certgen.Must(certgen.SelfSigned(certgen.CA("test CA")))
	return certgen.Must(root.Issue(certgen.Client("client"))).Cert, root.Cert
}

func TestRoundTripCertificate(t *testing.T) {
	leaf, ca := testChain()
	sig := []byte("signature over the initiator's signed octets")
	verify := func(chain []*x509.Certificate, s []byte) error {
		if len(chain) != 2 || !chain[0].Equal(leaf) || !chain[1].Equal(ca) || string(s) != string(sig) {
			return errors.New("chain or signature differ")
		}
		pool := x509.NewCertPool()
		pool.AddCert(ca)
		_, err := chain[0].Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		return err
	}
	a := &Authenticator{Groups: []TunnelGroup{{Name: "Certs", ClientCert: true}}, VerifyCert: verify, Rand: testRand()}
	p := &Peer{Client: testClient(), GroupAccess: "Certs", Certificates: []*x509.Certificate{leaf, ca},
		SignInit: func() ([]byte, error) { return sig, nil }}
	if run := acConverse(t, a, p, nil); run.authErr != nil || run.peerErr != nil {
		t.Fatalf("auth %v peer %v", run.authErr, run.peerErr)
	}
	if got := a.Certificates(); len(got) != 2 || !got[0].Equal(leaf) {
		t.Fatalf("headend got chain %v", got)
	}
	// A chain the headend refuses.
	a = &Authenticator{Groups: []TunnelGroup{{Name: "Certs", ClientCert: true}}, Rand: testRand(),
		VerifyCert: func([]*x509.Certificate, []byte) error { return errors.New("untrusted issuer") }}
	p = &Peer{Client: testClient(), GroupAccess: "Certs", Certificates: []*x509.Certificate{leaf},
		SignInit: func() ([]byte, error) { return sig, nil }}
	run := acConverse(t, a, p, nil)
	var ace *Error
	if !errors.As(run.peerErr, &ace) || ace.Text != acErrCert {
		t.Fatalf("refused certificate: peer %v", run.peerErr)
	}
	if err := finish(t, a, run.lastID); !errors.Is(err, eap.ErrAuthFailed) || !strings.Contains(err.Error(), "untrusted issuer") {
		t.Fatalf("headend verdict %v", err)
	}
	// No certificate configured.
	p = &Peer{Client: testClient(), GroupAccess: "Certs"}
	if run := acConverse(t, a, p, nil); run.peerErr == nil || !strings.Contains(run.peerErr.Error(), "Certificates is empty") {
		t.Fatalf("no certificate: %v", run.peerErr)
	}
}

func TestPKCS7ChainRoundTrip(t *testing.T) {
	leaf, ca := testChain()
	b, err := EncodeCertChainPKCS7([]*x509.Certificate{leaf, ca})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeCertChainPKCS7(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Equal(leaf) || !got[1].Equal(ca) {
		t.Fatalf("decoded %v", got)
	}
	p7, _ := recordedCertTLVs(t)
	for _, bad := range [][]byte{nil, {0x30, 0x00}, p7[:len(p7)-1], append(append([]byte{}, p7...), 0), b[:20]} {
		if _, err := DecodeCertChainPKCS7(bad); err == nil || !strings.HasPrefix(err.Error(), "eap: PKCS#7 chain: ") {
			t.Errorf("DecodeCertChainPKCS7(%x...) = %v", bad[:min(len(bad), 8)], err)
		}
	}
	if _, err := EncodeCertChainPKCS7(nil); err == nil {
		t.Error("empty chain encoded")
	}
}
