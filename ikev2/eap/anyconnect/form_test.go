package anyconnect

import (
	"errors"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

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
	if g := f.Field("group_list"); g.Kind != eap.FieldSelect || g.Value != "b" || g.Options[0] != (eap.Option{Value: "a", Label: "A"}) {
		t.Errorf("select %+v", g)
	}
	if o := f.Field("otp"); o.Kind != eap.FieldPassword || !o.SecondAuth {
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
func acRequest(t testing.TB, id uint8, doc string) *eap.Packet {
	t.Helper()
	m := &Message{Code: eap.CodeRequest, Identifier: id, TLVs: []TLV{{TLVXML, []byte(doc)}}}
	p, err := m.Packet()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const helloDoc = `<config-auth client="vpn" type="hello" aggregate-auth-version="2"/>`

func TestPeerErrors(t *testing.T) {
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
		p := &Peer{Client: testClient()}
		var err error
		for i, d := range tc.docs {
			_, err = p.Respond(acRequest(t, uint8(i+1), d))
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	p := &Peer{}
	if _, err := p.Respond(&eap.Packet{Code: eap.CodeRequest, Identifier: 1, Type: eap.TypeExpanded, VendorID: VendorCisco, VendorType: VendorType}); err == nil || !strings.Contains(err.Error(), "no XML TLV") {
		t.Errorf("no TLV 0: %v", err)
	}
	if _, err := p.Answer(nil); err == nil || !strings.Contains(err.Error(), "no form is waiting") {
		t.Errorf("Answer without form: %v", err)
	}
}

// TestPeerReplyShape checks a password auth-reply: opaque echoed,
// every field as an element, group-select, escaping of the answers.
func TestPeerReplyShape(t *testing.T) {
	p := &Peer{Client: testClient(), UserName: "al<ice"}
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
	var ni *eap.NeedInput
	if !errors.As(err, &ni) || ni.Identifier != 2 || strings.Join(ni.Missing, ",") != "password,group_list" {
		t.Fatalf("Respond = %v", err)
	}
	resp, err := p.Answer(eap.FormAnswer{"password": `p&<"'>`, "group_list": "H"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromPacket(resp)
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
