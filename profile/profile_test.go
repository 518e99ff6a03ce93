package profile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

const tdir = "../testdata/profiles"

func golden(t *testing.T, name, got string) {
	t.Helper()
	testenv.Golden(t, filepath.Join(tdir, "golden", name), got)
}

func parseTestdata(t *testing.T, rel string) (*Profile, Problems) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tdir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(filepath.Base(rel), data)
}

// Each broken profile has a golden list of every problem it has.
func TestBrokenProfilesGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(tdir, "bad", "*.xml"))
	if len(files) < 10 {
		t.Fatalf("only %d broken profiles", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			_, probs := parseTestdata(t, filepath.Join("bad", name))
			if !probs.HasErrors() {
				t.Fatalf("no error for %s: %v", name, probs)
			}
			var b strings.Builder
			for _, p := range probs {
				if p.Line == 0 {
					t.Errorf("problem without a line: %v", p)
				}
				b.WriteString(p.String())
				b.WriteByte('\n')
			}
			golden(t, filepath.Join("errors", strings.TrimSuffix(name, ".xml")+".txt"), b.String())
		})
	}
}

func TestBriefExampleMessage(t *testing.T) {
	_, probs := parseTestdata(t, "bad/corp.xml")
	want := `corp.xml:14: /AnyConnectProfile/ServerList/HostEntry[2]/PrimaryProtocol/StandardAuthenticationOnly/AuthMethodDuringIKENegotiation: unknown value "EAP-FOO" (want one of EAP-AnyConnect, EAP-MD5, EAP-MSCHAPv2, EAP-GTC, IKE-RSA, IKE-ECDSA)`
	if len(probs) != 1 || probs[0].String() != want {
		t.Fatalf("got %v\nwant %s", probs, want)
	}
	var ie *InvalidError
	if err := probs.Err(); !errors.As(err, &ie) || err.Error() != want {
		t.Fatalf("Err() = %v", err)
	}
}

func TestGoodProfilesParse(t *testing.T) {
	for _, dir := range []string{"good", "user", "explicit"} {
		files, _ := filepath.Glob(filepath.Join(tdir, dir, "*.xml"))
		for _, f := range files {
			p, probs := parseTestdata(t, filepath.Join(dir, filepath.Base(f)))
			if probs.HasErrors() || p == nil {
				t.Errorf("%s: %v", f, probs)
			}
			for _, pr := range probs {
				t.Logf("%s", pr)
			}
		}
	}
}

func TestCorpProfileValues(t *testing.T) {
	p, probs := parseTestdata(t, "good/corp-asa.xml")
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	c := p.Client
	if !c.AutoReconnect || c.AutoReconnectBehavior != ReconnectAfterResume || c.AutoReconnectUserControllable {
		t.Errorf("auto reconnect: %+v", c)
	}
	if !c.LocalLanAccess || !c.LocalLanAccessUserControllable {
		t.Errorf("local LAN: %+v", c)
	}
	if c.AuthenticationTimeout != 30*time.Second {
		t.Errorf("timeout %v", c.AuthenticationTimeout)
	}
	if got := c.BackupServers; len(got) != 1 || got[0].String() != "vpn-dr.example.com" {
		t.Errorf("global backups %v", got)
	}
	wantMatch := &CertificateMatch{
		KeyUsage:               []string{"Digital_Signature", "Key_Encipherment"},
		ExtendedKeyUsage:       []string{"ClientAuth"},
		CustomExtendedKeyUsage: []string{"1.3.6.1.4.1.311.20.2.2"},
		DistinguishedName: []DNRule{
			{Name: "ISSUER-CN", Pattern: "Example Corp Issuing CA", Wildcard: true, MatchCase: false},
			{Name: "OU", Pattern: "Contractors", NotEqual: true, MatchCase: true},
		},
	}
	if !reflect.DeepEqual(c.CertificateMatch, wantMatch) {
		t.Errorf("certificate match\n got %+v\nwant %+v", c.CertificateMatch, wantMatch)
	}
	a := c.AutomaticVPNPolicy
	if !a.Enabled || a.AlwaysOn || a.ConnectFailurePolicy != "Open" || !a.AllowCaptivePortalRemediation ||
		a.CaptivePortalRemediationTimeout != 10*time.Minute ||
		!reflect.DeepEqual(a.TrustedDNSDomains, []string{"corp.example.com", "*.lab.example.com"}) ||
		!reflect.DeepEqual(a.TrustedDNSServers, []string{"192.0.2.53", "192.0.2.54"}) {
		t.Errorf("automatic VPN policy %+v", a)
	}
	if len(p.Hosts) != 4 {
		t.Fatalf("hosts %+v", p.Hosts)
	}
	eng := p.Hosts[1]
	if eng.Name != "Engineering" || eng.Address != (Address{Host: "vpn-eng.example.com", Port: 8443, Path: "engineering"}) ||
		len(eng.LoadBalancing) != 2 || eng.AuthMethod != AuthEAPAnyConnect {
		t.Errorf("engineering entry %+v", eng)
	}
	if h := p.Hosts[2]; h.Protocol != ProtocolSSL || h.ProtocolSet || h.AuthMethod != AuthEAPAnyConnect {
		t.Errorf("entry without PrimaryProtocol must be SSL by default, tried with EAP-AnyConnect: %+v", h)
	}
	if h := p.Hosts[3]; h.Protocol != ProtocolSSL || !h.ProtocolSet {
		t.Errorf("entry with PrimaryProtocol SSL: %+v", h)
	}
	if len(p.Ignored) == 0 || p.Ignored[0].Line == 0 {
		t.Errorf("ignored elements not kept: %v", p.Ignored)
	}
}

func TestSecureClient5Profile(t *testing.T) {
	p, probs := parseTestdata(t, "good/secureclient5.xml")
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	if !p.Client.CertificatePinning || len(p.Client.Pins) != 1 || len(p.Client.Pins[0].SHA512) != 64 {
		t.Errorf("global pins %+v", p.Client.Pins)
	}
	h := p.Hosts[0]
	if len(h.Pins) != 1 || len(h.Pins[0].SHA512) != 64 || h.Pins[0].Issuer != "Example Org Issuing CA 2" {
		t.Errorf("host pins %+v", h.Pins)
	}
	var paths []string
	for _, n := range p.Ignored {
		paths = append(paths, n.Path)
	}
	for _, want := range []string{
		"/AnyConnectProfile/ZeroTrustAccess",
		"/AnyConnectProfile/ServerList/HostEntry[1]/SecureAccessEnabled",
		"/AnyConnectProfile/ClientInitialization/AutomaticVPNPolicy/AlwaysOn/AllowedHosts",
	} {
		if !contains(paths, want) {
			t.Errorf("%s not in ignored %v", want, paths)
		}
	}
	a := p.Client.AutomaticVPNPolicy
	if !a.AlwaysOn || a.AllowVPNDisconnect || a.TrustedNetworkPolicy != "Pause" || len(a.TrustedHTTPSServers) != 1 || a.TrustedHTTPSServers[0].Port != 443 {
		t.Errorf("policy %+v", a)
	}
}

const minimal = `<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/"><ServerList>%s</ServerList></AnyConnectProfile>`

func TestDefaults(t *testing.T) {
	p, probs := Parse("m.xml", []byte(strings.Replace(minimal, "%s", `<HostEntry><HostName>gw.example.com</HostName></HostEntry>`, 1)))
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	if !reflect.DeepEqual(p.Client, DefaultClientInitialization()) {
		t.Errorf("defaults\n got %+v\nwant %+v", p.Client, DefaultClientInitialization())
	}
	d := DefaultClientInitialization()
	if !d.AutoReconnect || d.AutoReconnectBehavior != "DisconnectOnSuspend" || d.LocalLanAccess || !d.AllowManualHostInput ||
		!d.AutomaticCertSelection || d.AutoConnectOnStart || d.AuthenticationTimeout != 12*time.Second ||
		!reflect.DeepEqual(d.IPProtocolSupport, []string{"IPv4", "IPv6"}) || d.AutomaticVPNPolicy.TrustedNetworkPolicy != "Disconnect" {
		t.Errorf("schema defaults wrong: %+v", d)
	}
	h := p.Hosts[0]
	if h.Protocol != ProtocolSSL || h.Address.Host != "gw.example.com" || h.HostAddressSet {
		t.Errorf("host defaults %+v", h)
	}
}

func TestAuthMethodSelection(t *testing.T) {
	cases := []struct {
		name, primary string
		method        AuthMethod
		std           bool
		identity      string
		warnings      int
	}{
		{"no PrimaryProtocol", ``, AuthEAPAnyConnect, false, "", 0},
		{"SSL", `<PrimaryProtocol>SSL</PrimaryProtocol>`, AuthEAPAnyConnect, false, "", 0},
		{"SSL ignores standard auth", `<PrimaryProtocol>SSL<StandardAuthenticationOnly>true</StandardAuthenticationOnly></PrimaryProtocol>`, AuthEAPAnyConnect, false, "", 1},
		{"SSL with standard auth false", `<PrimaryProtocol>SSL<StandardAuthenticationOnly>false</StandardAuthenticationOnly></PrimaryProtocol>`, AuthEAPAnyConnect, false, "", 0},
		{"IPsec is the ASA case", `<PrimaryProtocol>IPsec</PrimaryProtocol>`, AuthEAPAnyConnect, false, "", 0},
		{"lower-case ipsec", `<PrimaryProtocol> ipsec </PrimaryProtocol>`, AuthEAPAnyConnect, false, "", 0},
		{"standard false", `<PrimaryProtocol>IPsec<StandardAuthenticationOnly>false</StandardAuthenticationOnly></PrimaryProtocol>`, AuthEAPAnyConnect, false, "", 0},
		{"standard default method", `<PrimaryProtocol>IPsec<StandardAuthenticationOnly>true</StandardAuthenticationOnly></PrimaryProtocol>`, AuthEAPGTC, true, "", 0},
		{"standard MSCHAPv2 with identity", `<PrimaryProtocol>IPsec<StandardAuthenticationOnly>true<AuthMethodDuringIKENegotiation>EAP-MSCHAPv2</AuthMethodDuringIKENegotiation><IKEIdentity>me@example</IKEIdentity></StandardAuthenticationOnly></PrimaryProtocol>`, AuthEAPMSCHAPv2, true, "me@example", 0},
		{"method ignored when not standard", `<PrimaryProtocol>IPsec<StandardAuthenticationOnly>false<AuthMethodDuringIKENegotiation>IKE-RSA</AuthMethodDuringIKENegotiation><IKEIdentity>x</IKEIdentity></StandardAuthenticationOnly></PrimaryProtocol>`, AuthEAPAnyConnect, false, "", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := strings.Replace(minimal, "%s", `<HostEntry><HostName>gw.example.com</HostName>`+c.primary+`</HostEntry>`, 1)
			p, probs := Parse("a.xml", []byte(x))
			if probs.HasErrors() || len(probs.Warnings()) != c.warnings {
				t.Fatalf("problems %v", probs)
			}
			h := p.Hosts[0]
			if h.AuthMethod != c.method || h.StandardAuthOnly != c.std || h.IKEIdentity != c.identity {
				t.Errorf("got method %q std %v id %q", h.AuthMethod, h.StandardAuthOnly, h.IKEIdentity)
			}
		})
	}
}

func TestNamespace(t *testing.T) {
	body := `<ServerList><HostEntry><HostName>gw.example.com</HostName></HostEntry></ServerList>`
	cases := []struct {
		doc      string
		hosts    int
		errs     bool
		warnings int
	}{
		{`<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">` + body + `</AnyConnectProfile>`, 1, false, 0},
		{`<ac:AnyConnectProfile xmlns:ac="http://schemas.xmlsoap.org/encoding/"><ac:ServerList><ac:HostEntry><ac:HostName>gw</ac:HostName></ac:HostEntry></ac:ServerList></ac:AnyConnectProfile>`, 1, false, 0},
		{`<AnyConnectProfile>` + body + `</AnyConnectProfile>`, 1, false, 1},
		{`<AnyConnectProfile xmlns="urn:other">` + body + `</AnyConnectProfile>`, 1, true, 0},
	}
	for i, c := range cases {
		p, probs := Parse("ns.xml", []byte(c.doc))
		if probs.HasErrors() != c.errs || len(probs.Warnings()) != c.warnings || p == nil || len(p.Hosts) != c.hosts {
			t.Errorf("case %d: problems %v", i, probs)
		}
	}
}

func TestLineNumbers(t *testing.T) {
	doc := "<?xml version=\"1.0\"?>\r\n<!-- a\r\ncomment -->\r\n<AnyConnectProfile\r\n  xmlns=\"http://schemas.xmlsoap.org/encoding/\">\r\n<ServerList><HostEntry><HostName>a.example.com</HostName><PrimaryProtocol>IPsec</PrimaryProtocol></HostEntry>\r\n\r\n<HostEntry>\r\n<HostName>b</HostName><PrimaryProtocol>\r\nIKE</PrimaryProtocol></HostEntry></ServerList></AnyConnectProfile>"
	_, probs := Parse("l.xml", []byte(doc))
	if len(probs) != 1 || probs[0].Line != 9 || probs[0].Path != "/AnyConnectProfile/ServerList/HostEntry[2]/PrimaryProtocol" {
		t.Fatalf("%v", probs)
	}
	// A BOM does not shift lines.
	_, probs = Parse("bom.xml", append([]byte{0xEF, 0xBB, 0xBF}, doc...))
	if len(probs) != 1 || probs[0].Line != 9 {
		t.Fatalf("with BOM: %v", probs)
	}
}

func TestEncodings(t *testing.T) {
	latin1 := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<AnyConnectProfile xmlns=\"http://schemas.xmlsoap.org/encoding/\"><ServerList><HostEntry><HostName>M\xfcnchen</HostName><HostAddress>muc.example.com</HostAddress></HostEntry></ServerList></AnyConnectProfile>")
	p, probs := Parse("latin1.xml", latin1)
	if len(probs) != 0 || p.Hosts[0].Name != "München" {
		t.Fatalf("%v %+v", probs, p)
	}
	_, probs = Parse("ebcdic.xml", []byte(`<?xml version="1.0" encoding="EBCDIC"?><AnyConnectProfile/>`))
	if !probs.HasErrors() || probs[0].Line != 1 {
		t.Fatalf("%v", probs)
	}
}

func TestMalformedInputsReportLines(t *testing.T) {
	cases := map[string]string{
		"two roots":          "<AnyConnectProfile/>\n<AnyConnectProfile/>",
		"text after root":    "<AnyConnectProfile/>\ntrailing",
		"undefined entity":   "<AnyConnectProfile>\n&bogus;</AnyConnectProfile>",
		"bad utf8":           "<AnyConnectProfile>\n\xff</AnyConnectProfile>",
		"stray end tag":      "</AnyConnectProfile>",
		"deep":               "\n" + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100),
		"only a declaration": `<?xml version="1.0"?>`,
	}
	for name, doc := range cases {
		p, probs := Parse("x.xml", []byte(doc))
		if p != nil || len(probs) != 1 || probs[0].Line == 0 || !strings.Contains(probs[0].Message, "malformed XML") {
			t.Errorf("%s: %v", name, probs)
		}
	}
}

func TestParseAddress(t *testing.T) {
	cases := []struct {
		in   string
		want Address
		bad  bool
	}{
		{in: "vpn.example.com", want: Address{Host: "vpn.example.com"}},
		{in: " vpn.example.com:8443 ", want: Address{Host: "vpn.example.com", Port: 8443}},
		{in: "vpn.example.com/eng", want: Address{Host: "vpn.example.com", Path: "eng"}},
		{in: "https://vpn.example.com:443/eng/", want: Address{Host: "vpn.example.com", Port: 443, Path: "eng"}},
		{in: "192.0.2.1", want: Address{Host: "192.0.2.1"}},
		{in: "2001:db8::1", want: Address{Host: "2001:db8::1"}},
		{in: "[2001:db8::1]:4443", want: Address{Host: "2001:db8::1", Port: 4443}},
		{in: "[2001:db8::1]", want: Address{Host: "2001:db8::1"}},
		{in: "under_score.example.com", want: Address{Host: "under_score.example.com"}},
		{in: "", bad: true},
		{in: "vpn.example.com:0", bad: true},
		{in: "vpn.example.com:65536", bad: true},
		{in: "vpn.example.com:https", bad: true},
		{in: "two words", bad: true},
		{in: "-dash.example.com", bad: true},
		{in: "a..b", bad: true},
		{in: "[192.0.2.1]:80", bad: true},
		{in: "[2001:db8::1", bad: true},
		{in: "ftp://x", bad: true},
		{in: "2001:db8::zz", bad: true},
		{in: "Corporate VPN", bad: true},
	}
	for _, c := range cases {
		got, err := ParseAddress(c.in)
		if c.bad != (err != nil) || (!c.bad && got != c.want) {
			t.Errorf("ParseAddress(%q) = %+v, %v", c.in, got, err)
		}
		if err == nil {
			back, err := ParseAddress(got.String())
			if err != nil || back != got {
				t.Errorf("round trip of %q: %+v %v", got.String(), back, err)
			}
		}
	}
}

func TestTimeoutBounds(t *testing.T) {
	for _, c := range []struct {
		v    string
		want time.Duration
		bad  bool
	}{{"10", 10 * time.Second, false}, {"120", 120 * time.Second, false}, {" 60 ", time.Minute, false}, {"", 12 * time.Second, false},
		{"9", 0, true}, {"121", 0, true}, {"-5", 0, true}, {"12s", 0, true}, {"1e3", 0, true}} {
		x := `<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/"><ClientInitialization><AuthenticationTimeout>` + c.v +
			`</AuthenticationTimeout></ClientInitialization><ServerList><HostEntry><HostName>h</HostName></HostEntry></ServerList></AnyConnectProfile>`
		p, probs := Parse("t.xml", []byte(x))
		if probs.HasErrors() != c.bad || (!c.bad && p.Client.AuthenticationTimeout != c.want) {
			t.Errorf("%q: %v %v", c.v, probs, p.Client.AuthenticationTimeout)
		}
	}
}
