package eap

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testForm() *Form {
	return &Form{Fields: []Field{
		{Name: "username", Kind: FieldText, Value: "alice"},
		{Name: "password", Kind: FieldPassword},
		{Name: "h", Kind: FieldHidden, Value: "v"},
		{Name: "group_list", Kind: FieldSelect, Options: []Option{{"A", "Group A"}, {"B", "Group B"}}},
	}}
}

func TestFormResolve(t *testing.T) {
	f := testForm()
	if got := f.Missing(nil); strings.Join(got, ",") != "password,group_list" {
		t.Errorf("Missing = %v", got)
	}
	v, err := f.Resolve(FormAnswer{"password": "p", "group_list": "B"})
	if err != nil || v["username"] != "alice" || v["password"] != "p" || v["h"] != "v" || v["group_list"] != "B" || len(v) != 4 {
		t.Fatalf("Resolve = %v, %v", v, err)
	}
	for _, tc := range []struct {
		a           FormAnswer
		field, want string
	}{
		{FormAnswer{"password": "p", "group_list": "A", "bogus": "x"}, "bogus", "no such field"},
		{FormAnswer{"group_list": "A"}, "password", "required"},
		{FormAnswer{"password": "p", "group_list": "C"}, "group_list", `"C" is not one of the options ["A" "B"]`},
		{FormAnswer{"password": "p", "group_list": "A", "h": "changed"}, "h", "hidden"},
		{FormAnswer{"password": "p\x00", "group_list": "A"}, "password", "XML cannot carry"},
		{FormAnswer{"password": "\xff", "group_list": "A"}, "password", "XML cannot carry"},
	} {
		err := f.Validate(tc.a)
		var fe *FormError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%v) = %v, want field %q and %q", tc.a, err, tc.field, tc.want)
		}
	}
	// An empty answer given explicitly is an answer.
	if err := f.Validate(FormAnswer{"password": "", "group_list": "A"}); err != nil {
		t.Errorf("explicit empty password: %v", err)
	}
}

func TestFormFromAuth(t *testing.T) {
	auth := &Auth{Title: "T", Message: &AuthMessage{Text: "M"}, Banner: "B", Error: &AuthMessage{Text: "E"}, Form: &AuthForm{Items: []AuthFormItem{
		{Element: "input", Type: "text", Name: "username", Label: "User:"},
		{Element: "input", Type: "submit", Name: "Login"},
		{Element: "select", Name: "group_list", Options: []AuthFormOption{{"a", "A", false}, {"b", "B", true}}},
		{Element: "input", Type: "password", Name: "otp", SecondAuth: true},
	}}}
	f, err := formFromAuth(auth)
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "T" || f.Message != "M" || f.Banner != "B" || f.Error != "E" || len(f.Fields) != 3 {
		t.Fatalf("form %+v", f)
	}
	if g := f.Field("group_list"); g.Kind != FieldSelect || g.Value != "b" || g.Options[0] != (Option{"a", "A"}) {
		t.Errorf("select %+v", g)
	}
	if o := f.Field("otp"); o.Kind != FieldPassword || !o.SecondAuth {
		t.Errorf("otp %+v", o)
	}
	for _, tc := range []struct {
		item AuthFormItem
		want string
	}{
		{AuthFormItem{Element: "input", Type: "text", Name: "a b"}, "cannot be used as an element name"},
		{AuthFormItem{Element: "input", Type: "text", Name: "x><y"}, "cannot be used as an element name"},
		{AuthFormItem{Element: "input", Type: "text", Name: ""}, "cannot be used as an element name"},
		{AuthFormItem{Element: "input", Type: "checkbox", Name: "c"}, `type "checkbox"`},
		{AuthFormItem{Element: "select", Name: "s"}, "no options"},
		{AuthFormItem{Element: "input", Type: "text", Name: "username"}, "appears twice"},
	} {
		a := &Auth{Form: &AuthForm{Items: []AuthFormItem{{Element: "input", Name: "username"}, tc.item}}}
		if _, err := formFromAuth(a); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "auth/form/") {
			t.Errorf("item %+v: %v, want %q", tc.item, err, tc.want)
		}
	}
}

// acRequest wraps a config-auth document into an EAP-AnyConnect Request.
func acRequest(t testing.TB, id uint8, doc string) *Packet {
	t.Helper()
	m := &AnyConnectMessage{Code: CodeRequest, Identifier: id, TLVs: []TLV{{TLVXML, []byte(doc)}}}
	p, err := m.Packet()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const helloDoc = `<config-auth client="vpn" type="hello" aggregate-auth-version="2"/>`

func TestAnyConnectPeerErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		docs []string
		want string
	}{
		{"no hello", []string{`<config-auth type="auth-request"/>`}, "where hello was expected"},
		{"bad XML", []string{`<config-auth type="hello">`}, "does not parse"},
		{"hello twice", []string{helloDoc, helloDoc}, "where auth-request or complete was expected"},
		{"empty auth-request", []string{helloDoc, `<config-auth type="auth-request"><auth id="main"/></config-auth>`}, "asks for nothing"},
		{"error only", []string{helloDoc, `<config-auth type="auth-request"><auth id="main"><error id="7">Go away</error></auth></config-auth>`}, "refused in auth-request: Go away"},
		{"error in complete", []string{helloDoc, `<config-auth type="complete"><error>No licence</error></config-auth>`}, "refused in complete: No licence"},
		{"bad field name", []string{helloDoc, `<config-auth type="auth-request"><auth><form><input type="text" name="1x"/></form></auth></config-auth>`}, "element name"},
		{"no signer", []string{helloDoc, `<config-auth type="auth-request"><client-cert-request/></config-auth>`}, "Certificates is empty"},
		{"after ack", []string{helloDoc, `<config-auth type="complete"/>`, `<config-auth type="complete"/>`}, "after the exchange completed"},
	} {
		p := &AnyConnectPeer{Client: testClient()}
		var err error
		for i, d := range tc.docs {
			_, err = p.Respond(acRequest(t, uint8(i+1), d))
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	p := &AnyConnectPeer{}
	if _, err := p.Respond(&Packet{Code: CodeRequest, Identifier: 1, Type: TypeExpanded, VendorID: VendorCisco, VendorType: VendorTypeAnyConnect}); err == nil || !strings.Contains(err.Error(), "no XML TLV") {
		t.Errorf("no TLV 0: %v", err)
	}
	if _, err := p.Answer(nil); err == nil || !strings.Contains(err.Error(), "no form is waiting") {
		t.Errorf("Answer without form: %v", err)
	}
}

// TestAnyConnectPeerReplyShape checks a password auth-reply: opaque echoed,
// every field as an element, group-select, escaping of the answers.
func TestAnyConnectPeerReplyShape(t *testing.T) {
	p := &AnyConnectPeer{Client: testClient(), UserName: "al<ice"}
	if _, err := p.Respond(acRequest(t, 1, helloDoc)); err != nil {
		t.Fatal(err)
	}
	req := `<?xml version="1.0" encoding="UTF-8"?>
<config-auth client="vpn" type="auth-request" aggregate-auth-version="2">
 <opaque is-for="sg"><tunnel-group>G</tunnel-group> <x a="1"/></opaque>
 <auth id="main"><form>
  <input type="text" name="username" label="Username:"/>
  <input type="password" name="password" label="Password:"/>
  <input type="hidden" name="tok" value="abc"/>
  <select name="group_list"><option>G</option><option>H</option></select>
 </form></auth>
</config-auth>`
	_, err := p.Respond(acRequest(t, 2, req))
	var ni *NeedInput
	if !errors.As(err, &ni) || ni.Identifier != 2 || strings.Join(ni.Missing, ",") != "password,group_list" {
		t.Fatalf("Respond = %v", err)
	}
	resp, err := p.Answer(FormAnswer{"password": `p&<"'>`, "group_list": "H"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := AnyConnectFromPacket(resp)
	if err != nil {
		t.Fatal(err)
	}
	doc := mustParseConfigAuth(t, m.XML())
	reqDoc := mustParseConfigAuth(t, []byte(req))
	if string(xmlCanonical(doc.Opaque)) != string(xmlCanonical(reqDoc.Opaque)) {
		t.Errorf("opaque not echoed verbatim:\n%s", m.XML())
	}
	want := []FormValue{{"username", "al<ice"}, {"password", `p&<"'>`}, {"tok", "abc"}, {"group_list", "H"}}
	if doc.GroupSelect != "H" || len(doc.Auth.Answers) != 4 {
		t.Fatalf("reply:\n%s", m.XML())
	}
	for i, w := range want {
		if doc.Auth.Answers[i] != w {
			t.Errorf("answer %d = %+v, want %+v", i, doc.Auth.Answers[i], w)
		}
	}
	if resp.Identifier != 2 || doc.SessionID == nil || doc.SessionToken == nil || doc.Version == nil {
		t.Errorf("reply header:\n%s", m.XML())
	}
}

// FuzzConfigAuth feeds arbitrary bytes to the parser, to Marshal, and as
// TLV 0 to a peer and a headend in each of their waiting states. Nothing
// may panic; whatever parses must marshal into something that parses.
func FuzzConfigAuth(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(anyConnectVectors, "*.xml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<config-auth type="auth-request"><opaque/><auth><error>x</error><form><input type="password" name="password"/><select name="group_list"><option selected="1">a</option></select></form></auth><host-scan><host-scan-ticket>t</host-scan-ticket></host-scan></config-auth>`))
	f.Add([]byte(`<config-auth type="complete"><config><opaque><custom-attr><dynamic-split-exclude-domains><![CDATA[a,b]]></dynamic-split-exclude-domains></custom-attr></opaque></config></config-auth>`))
	leaf, _ := testChain()
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := ParseConfigAuth(b); err == nil {
			out, err := c.Marshal()
			if err != nil {
				t.Fatalf("parsed document does not marshal: %v", err)
			}
			if _, err := ParseConfigAuth(out); err != nil && len(out) <= maxConfigAuthLen {
				t.Fatalf("marshalled document does not parse: %v\n%s", err, out)
			}
		}
		if len(b) > 0xFFFF-expandedHeaderLen-tlvHeaderLen {
			return
		}
		req := acRequest(t, 2, string(b))
		hostScan := func(r HostScanRequest) (string, error) { return r.Token, nil }
		for _, pre := range [][]string{nil, {helloDoc}} {
			p := &AnyConnectPeer{Client: testClient(), UserName: "u", Answers: FormAnswer{"password": "p"}, HostScan: hostScan,
				Certificates: []*x509.Certificate{leaf}, SignInit: func() ([]byte, error) { return []byte{1}, nil }}
			for i, d := range pre {
				if _, err := p.Respond(acRequest(t, uint8(i), d)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := p.Respond(req); err != nil {
				var ni *NeedInput
				if errors.As(err, &ni) {
					fa := FormAnswer{}
					for _, name := range ni.Missing {
						fa[name] = "x"
					}
					p.Answer(fa)
				}
			}
		}
		resp := &Packet{Code: CodeResponse, Identifier: req.Identifier, Type: req.Type, VendorID: req.VendorID, VendorType: req.VendorType, Data: req.Data}
		for _, st := range []acAuthState{acAuthHello, acAuthGroupList, acAuthCert, acAuthPassword, acAuthSecond, acAuthHostScan, acAuthComplete} {
			a := hostScanHeadend()
			a.Groups[0].SecondFactor = &SecondFactor{Check: func(string, string, string) error { return nil }}
			a.Groups[0].ClientCert = true
			a.VerifyCert = func([]*x509.Certificate, []byte) error { return nil }
			if _, err := a.Start(2); err != nil {
				t.Fatal(err)
			}
			a.state, a.group = st, &a.Groups[0]
			a.Next(resp, 3)
		}
	})
}
