package anyconnect

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// loadVectorXML returns the recorded .xml file whose name starts with prefix.
func loadVectorXML(t testing.TB, prefix string) []byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(vectorDir, prefix+"*.xml"))
	if len(files) != 1 {
		t.Fatalf("want one %s*.xml vector, found %v", prefix, files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParseConfigAuth(t testing.TB, b []byte) *ConfigAuth {
	t.Helper()
	c, err := ParseConfigAuth(b)
	if err != nil {
		t.Fatalf("ParseConfigAuth: %v", err)
	}
	return c
}

// TestConfigAuthVectorsRoundTrip parses every recorded document and
// marshals it again: the bytes must be identical, since the recordings have
// no whitespace between elements and a parsed document keeps its order.
func TestConfigAuthVectorsRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(vectorDir, "*.xml"))
	if len(files) != 8 {
		t.Fatalf("found %d .xml vectors, want 8", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c := mustParseConfigAuth(t, b)
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, b) {
				t.Fatalf("re-marshalled document differs:\n got %s\nwant %s", out, b)
			}
		})
	}
}

func TestConfigAuthVectorModel(t *testing.T) {
	hello := mustParseConfigAuth(t, loadVectorXML(t, "01-"))
	if hello.Type != ConfigAuthHello || hello.Client != "vpn" || hello.AggregateAuthVersion != "2" {
		t.Errorf("hello = %+v", hello)
	}
	init := mustParseConfigAuth(t, loadVectorXML(t, "02-"))
	if init.Type != ConfigAuthInit || init.Version.Who != "vpn" || init.Version.Value != "4.10.07073" {
		t.Errorf("init version = %+v", init.Version)
	}
	wantDev := &DeviceID{Platform: "linux-64", ComputerName: "ssac-client", DeviceType: "VMware, Inc. VMware Virtual Platform",
		PlatformVersion: "6.1.0", UniqueID: "6670710BAE51885EDEF982FC59BAC8321D0AEE1036A3005FCDF996E19AEF6978",
		UniqueIDGlobal: "CC182A13D1990CF18436AEDEC8891122345EFD7D"}
	if !reflect.DeepEqual(init.DeviceID, wantDev) {
		t.Errorf("device-id = %+v", init.DeviceID)
	}
	if want := []MACAddress{{"02-00-5e-00-53-0a", true}, {"02-00-5e-00-53-0b", false}}; !reflect.DeepEqual(init.MACAddresses, want) {
		t.Errorf("MACs = %+v", init.MACAddresses)
	}
	if init.GroupAccess != "ASA-IKEV2" || !reflect.DeepEqual(init.Capabilities.AuthMethods, []string{"multiple-cert", "single-sign-on", "single-sign-on-v2"}) {
		t.Errorf("group %q capabilities %+v", init.GroupAccess, init.Capabilities)
	}
	certReq := mustParseConfigAuth(t, loadVectorXML(t, "03-"))
	if !certReq.ClientCertRequest || certReq.CSPort != "443" || certReq.Auth != nil {
		t.Errorf("03 = %+v", certReq)
	}
	hs := mustParseConfigAuth(t, loadVectorXML(t, "05-"))
	if hs.Opaque == nil || hs.Opaque.SelectAttrValue("is-for", "") != "sg" || hs.Auth == nil || hs.Auth.ID != "main" || !hs.Auth.AuthenticationComplete {
		t.Errorf("05 = %+v", hs)
	}
	if want := (&HostScan{Ticket: "0C940894E65099BE2CB97531", Token: "59CD7E22327822F4B3EFCB5E", BaseURI: "/CACHE", WaitURI: "/+CSCOE+/sdesktop/wait.html"}); hs.HostScan.Ticket != want.Ticket || hs.HostScan.Token != want.Token || hs.HostScan.BaseURI != want.BaseURI || hs.HostScan.WaitURI != want.WaitURI {
		t.Errorf("host-scan = %+v", hs.HostScan)
	}
	reply := mustParseConfigAuth(t, loadVectorXML(t, "06-"))
	if reply.SessionID == nil || *reply.SessionID != "" || reply.SessionToken == nil || reply.HostScanToken == nil || *reply.HostScanToken != "59CD7E22327822F4B3EFCB5E" {
		t.Errorf("06 = %+v", reply)
	}
	if !bytes.Equal(xmlCanonical(reply.Opaque), xmlCanonical(hs.Opaque)) {
		t.Error("06 opaque differs from 05")
	}
	if reply.Auth == nil || len(reply.Auth.Answers) != 0 {
		t.Errorf("06 auth = %+v", reply.Auth)
	}
	done := mustParseConfigAuth(t, loadVectorXML(t, "07-"))
	if *done.SessionID != "3137520162" || *done.SessionToken != "040458@3137520162@9204@2437D72F573AA1860479A7618DDE9EC62C9CC229" {
		t.Errorf("07 session = %q %q", *done.SessionID, *done.SessionToken)
	}
	if m := done.Auth.Message; done.Auth.ID != "success" || m.ID != "0" || !reflect.DeepEqual(m.Params, []string{"", ""}) {
		t.Errorf("07 auth = %+v message %+v", done.Auth, m)
	}
	cfg := done.Config
	if cfg.CSPort != "443" || !reflect.DeepEqual(cfg.Attrs, []XMLAttr{{"vpn", "private"}}) {
		t.Errorf("07 config = %+v", cfg)
	}
	if want := []ProfileFile{{Type: "profile", ServiceType: "user", URI: "/CACHE/stc/profiles/ASA-IKEV2_client_profile.xml", Hash: "DF4918ED9173A03C31794CEAFD109419EAA1DC1E", HashType: "sha1"}}; !reflect.DeepEqual(cfg.Profiles, want) {
		t.Errorf("profiles = %+v", cfg.Profiles)
	}
	if got := cfg.DynamicSplitExcludeDomains(); !reflect.DeepEqual(got, []string{"example.org", "example.net"}) {
		t.Errorf("split exclude = %q", got)
	}
	if !reflect.DeepEqual(done.Capabilities.CryptoSupported, []string{"ssl-dhe"}) {
		t.Errorf("07 capabilities = %+v", done.Capabilities)
	}
	ack := mustParseConfigAuth(t, loadVectorXML(t, "08-"))
	if ack.Type != ConfigAuthAck || len(ack.MACAddresses) != 1 {
		t.Errorf("08 = %+v", ack)
	}
}

// recordedClient is the client of the recordings, as configuration.
func recordedClient() ClientInfo {
	return ClientInfo{
		Version: "4.10.07073", Platform: "linux-64", ComputerName: "ssac-client",
		DeviceType: "VMware, Inc. VMware Virtual Platform", PlatformVersion: "6.1.0",
		UniqueID:       "6670710BAE51885EDEF982FC59BAC8321D0AEE1036A3005FCDF996E19AEF6978",
		UniqueIDGlobal: "CC182A13D1990CF18436AEDEC8891122345EFD7D",
		MACAddresses:   []MACAddress{{"02-00-5e-00-53-0a", true}, {"02-00-5e-00-53-0b", false}},
	}
}

// TestConfigAuthBuildClientMessages builds the client's documents 02, 04,
// 06 and 08 from a fresh model (no parsed order) and compares them byte for
// byte with the recordings.
func TestConfigAuthBuildClientMessages(t *testing.T) {
	ci := recordedClient()
	opaque := mustParseConfigAuth(t, loadVectorXML(t, "05-")).Opaque
	token := "59CD7E22327822F4B3EFCB5E"
	for _, tc := range []struct {
		prefix string
		doc    *ConfigAuth
	}{
		{"02-", &ConfigAuth{Type: ConfigAuthInit, GroupAccess: "ASA-IKEV2",
			Capabilities: &Capabilities{AuthMethods: []string{"multiple-cert", "single-sign-on", "single-sign-on-v2"}}}},
		{"04-", &ConfigAuth{Type: ConfigAuthInit, GroupAccess: "ASA-IKEV2",
			Capabilities: &Capabilities{AuthMethods: []string{"multiple-cert"}}}},
		{"06-", &ConfigAuth{Type: ConfigAuthAuthReply, SessionID: ptr(""), SessionToken: ptr(""), Opaque: opaque,
			Auth: &Auth{}, HostScanToken: &token}},
		{"08-", &ConfigAuth{Type: ConfigAuthAck}},
	} {
		all := tc.prefix == "02-"
		ci.header(tc.doc, all)
		out, err := tc.doc.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if want := loadVectorXML(t, tc.prefix); !bytes.Equal(out, want) {
			t.Errorf("%s built document differs:\n got %s\nwant %s", tc.prefix, out, want)
		}
	}
}

func TestConfigAuthTolerance(t *testing.T) {
	doc := `<?xml version="1.0"?>
<config-auth client="vpn" type="auth-request" aggregate-auth-version="2" extra="x">
  <unknown a="b"><deep>1</deep></unknown>
  <opaque is-for="sg">
    <tunnel-group>G &amp; H</tunnel-group>
  </opaque>
  <auth id="main">
    <title>Login</title>
    <message>Please enter your username and password.</message>
    <banner>Line 1
Line 2</banner>
    <error id="3" param1="x">Login failed.</error>
    <form method="post" action="/">
      <input type="text" name="username" label="Username:" value="bob"></input>
      <input type="password" name="password" label="Password:"/>
      <input type="hidden" name="h" value="v"/>
      <select name="group_list" label="GROUP:">
        <option>ONE</option>
        <option value="two" selected="true">Two</option>
      </select>
      <input type="password" name="otp" label="OTP:" second-auth="1"/>
    </form>
    <strange/>
  </auth>
</config-auth>
`
	c := mustParseConfigAuth(t, []byte(doc))
	if c.Type != ConfigAuthAuthRequest || len(c.Extra) != 1 || !reflect.DeepEqual(c.Attrs, []XMLAttr{{"extra", "x"}}) {
		t.Fatalf("root = %+v", c)
	}
	a := c.Auth
	if a.Title != "Login" || a.Banner != "Line 1\nLine 2" || a.Error.Text != "Login failed." || a.Error.ID != "3" || len(a.Extra) != 1 {
		t.Fatalf("auth = %+v", a)
	}
	f := a.Form
	if len(f.Items) != 5 || f.Items[0].Value != "bob" || f.Items[2].Type != "hidden" || !f.Items[4].SecondAuth {
		t.Fatalf("form = %+v", f)
	}
	if o := f.Items[3].Options; len(o) != 2 || o[0] != (AuthFormOption{"ONE", "ONE", false}) || o[1] != (AuthFormOption{"two", "Two", true}) {
		t.Fatalf("options = %+v", o)
	}
	// Marshal and parse again: the model must not change.
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c2 := mustParseConfigAuth(t, out)
	if !bytes.Equal(xmlCanonical(c.Opaque), xmlCanonical(c2.Opaque)) || !reflect.DeepEqual(c.Auth.Form, c2.Auth.Form) || c2.Auth.Banner != a.Banner {
		t.Fatalf("second parse differs:\n%s", out)
	}
	if !strings.Contains(string(out), "<tunnel-group>G &amp; H</tunnel-group>") {
		t.Fatalf("opaque not echoed with its whitespace and escaping:\n%s", out)
	}
}

func TestConfigAuthErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{``, "root elements"},
		{`<config-auth type="hello">`, "does not parse"},
		{`<other type="hello"/>`, "root is <other>"},
		{`<config-auth/>`, "type attribute missing"},
		{`<config-auth type="a"/><config-auth type="b"/>`, "2 root elements"},
		{`<config-auth type="a"/>junk`, "text outside"},
		{`<config-auth type="a">` + strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40) + `</config-auth>`, "does not parse"},
		{`<config-auth type="a">&unknown;</config-auth>`, "does not parse"},
		{strings.Repeat(" ", maxConfigAuthLen+1), "exceeds"},
	} {
		_, err := ParseConfigAuth([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseConfigAuth(%.40q) = %v, want an error mentioning %q", tc.doc, err, tc.want)
		}
	}
}

// TestConfigAuthEscapesUserInput: what the user typed goes through the
// library's escaping and comes back unchanged.
func TestConfigAuthEscapesUserInput(t *testing.T) {
	nasty := `a<b>&"c'</auth><x>]]>`
	c := &ConfigAuth{Type: ConfigAuthAuthReply, GroupAccess: nasty, Auth: &Auth{Answers: []FormValue{{"password", nasty}}}}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c2 := mustParseConfigAuth(t, out)
	if c2.GroupAccess != nasty || len(c2.Auth.Answers) != 1 || c2.Auth.Answers[0].Value != nasty {
		t.Fatalf("round trip of %q gave %+v\n%s", nasty, c2, out)
	}
	_ = etree.NewDocument
}

// FuzzConfigAuth feeds arbitrary bytes to the parser, to Marshal, and as
// TLV 0 to a peer and a headend in each of their waiting states. Nothing
// may panic; whatever parses must marshal into something that parses.
func FuzzConfigAuth(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(vectorDir, "*.xml"))
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
		if len(b) > 0xFFFF-12-tlvHeaderLen { // the EAP length bounds TLV 0 after the expanded header
			return
		}
		req := acRequest(t, 2, string(b))
		hostScan := func(r HostScanRequest) (string, error) { return r.Token, nil }
		for _, pre := range [][]string{nil, {helloDoc}} {
			p := &Peer{Client: testClient(), UserName: "u", Answers: eap.FormAnswer{"password": "p"}, HostScan: hostScan,
				Certificates: []*x509.Certificate{leaf}, SignInit: func() ([]byte, error) { return []byte{1}, nil }}
			for i, d := range pre {
				if _, err := p.Respond(acRequest(t, uint8(i), d)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := p.Respond(req); err != nil {
				var ni *eap.NeedInput
				if errors.As(err, &ni) {
					fa := eap.FormAnswer{}
					for _, name := range ni.Missing {
						fa[name] = "x"
					}
					p.Answer(fa)
				}
			}
		}
		resp := &eap.Packet{Code: eap.CodeResponse, Identifier: req.Identifier, Type: req.Type, VendorID: req.VendorID, VendorType: req.VendorType, Data: req.Data}
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
