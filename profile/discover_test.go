package profile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestSystemAndUserDirTables(t *testing.T) {
	unix := []string{"/opt/cisco/secureclient/vpn/profile", "/opt/cisco/anyconnect/profile", "/etc/vpnc-go/profile"}
	if got := SystemDirs("linux", noEnv); !reflect.DeepEqual(got, unix) {
		t.Errorf("linux %v", got)
	}
	if got := SystemDirs("darwin", noEnv); !reflect.DeepEqual(got, unix) {
		t.Errorf("darwin %v", got)
	}
	env := func(k string) string {
		return map[string]string{"ProgramData": `D:\PD`, "AppData": `C:\Users\u\AppData\Roaming`}[k]
	}
	wantWin := []string{`D:\PD\Cisco\Cisco Secure Client\VPN\Profile`, `D:\PD\Cisco\Cisco AnyConnect Secure Mobility Client\Profile`, `D:\PD\vpnc-go\profile`}
	if got := SystemDirs("windows", env); !reflect.DeepEqual(got, wantWin) {
		t.Errorf("windows %v", got)
	}
	if got := SystemDirs("windows", noEnv)[0]; got != `C:\ProgramData\Cisco\Cisco Secure Client\VPN\Profile` {
		t.Errorf("windows default %v", got)
	}
	if got := UserDirs("windows", "", env); !reflect.DeepEqual(got, []string{`C:\Users\u\AppData\Roaming\vpnc-go\profile`}) {
		t.Errorf("windows user %v", got)
	}
	if got := UserDirs("linux", "/home/u", noEnv); !reflect.DeepEqual(got, []string{"/home/u/.config/vpnc-go/profile"}) {
		t.Errorf("linux user %v", got)
	}
	xdg := func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return "/xdg"
		}
		return ""
	}
	if got := UserDirs("linux", "/home/u", xdg); !reflect.DeepEqual(got, []string{"/xdg/vpnc-go/profile"}) {
		t.Errorf("linux xdg %v", got)
	}
	wantMac := []string{"/Users/u/.config/vpnc-go/profile", "/Users/u/Library/Application Support/Cisco/Cisco Secure Client/VPN/Profile"}
	if got := UserDirs("darwin", "/Users/u", noEnv); !reflect.DeepEqual(got, wantMac) {
		t.Errorf("darwin user %v", got)
	}
}

func TestEnvOverrides(t *testing.T) {
	env := func(k string) string {
		return map[string]string{EnvSystemDirs: "/a" + string(os.PathListSeparator) + "/b", EnvUserDir: "/u"}[k]
	}
	sys, user := Options{Getenv: env, GOOS: "linux"}.dirs()
	if !reflect.DeepEqual(sys, []string{"/a", "/b"}) || !reflect.DeepEqual(user, []string{"/u"}) {
		t.Errorf("%v %v", sys, user)
	}
	t.Setenv(EnvSystemDirs, "")
	t.Setenv(EnvUserDir, "")
	sys, user = Options{}.dirs()
	if len(sys) != 0 || len(user) != 0 {
		t.Errorf("set-but-empty env must mean no folders: %v %v", sys, user)
	}
	sys, user = Options{SystemDirs: []string{"/x"}, UserDirs: []string{}}.dirs()
	if !reflect.DeepEqual(sys, []string{"/x"}) || len(user) != 0 {
		t.Errorf("options must win: %v %v", sys, user)
	}
}

func testCatalog(t *testing.T) *Catalog {
	t.Helper()
	return Discover(Options{
		Files:      []string{filepath.Join(tdir, "explicit", "override.xml")},
		SystemDirs: []string{filepath.Join(tdir, "good"), filepath.Join(tdir, "no-such-dir")},
		UserDirs:   []string{filepath.Join(tdir, "user")},
	})
}

func TestDiscoverPrecedence(t *testing.T) {
	c := testCatalog(t)
	var names []string
	for _, e := range c.Entries {
		names = append(names, e.Name+"@"+e.Class.String())
	}
	want := []string{
		"Home lab@explicit",
		"Corporate VPN (Frankfurt)@system", "Engineering@system", "Legacy SSL portal@system", "Partners@system",
		"Branch IOS@system", "Lab strongSwan@system", "cert-gw.example.net@system",
		"HQ (IKEv2)@system", "HQ (SSL fallback)@system",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("entries\n got %v\nwant %v", names, want)
	}
	// The user's "Home lab" loses to the explicit file, its "engineering"
	// to the managed "Engineering".
	if len(c.Shadowed) != 2 || c.Shadowed[0].Name != "Home lab" || c.Shadowed[1].Name != "engineering" ||
		!strings.HasSuffix(c.Shadowed[1].WinnerIn, "corp-asa.xml") {
		t.Errorf("shadowed %+v", c.Shadowed)
	}
	tg, err := c.Lookup("engineering")
	if err != nil || tg.Address.Host != "vpn-eng.example.com" || tg.Class != ClassSystem {
		t.Errorf("managed name must win: %+v %v", tg, err)
	}
	tg, err = c.Lookup("home LAB")
	if err != nil || tg.Address.String() != "203.0.113.10:443" || tg.Class != ClassExplicit {
		t.Errorf("explicit must win: %+v %v", tg, err)
	}
}

func TestBadFileNeverHidesGoodOnes(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(tdir, "bad", "malformed.xml"), filepath.Join(dir, "a-broken.xml"))
	copyFile(t, filepath.Join(tdir, "bad", "unknown-values.xml"), filepath.Join(dir, "b-values.XML"))
	copyFile(t, filepath.Join(tdir, "good", "ios-standards.xml"), filepath.Join(dir, "c-good.xml"))
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a profile"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub.xml"), 0o755)
	c := Discover(Options{SystemDirs: []string{dir}, UserDirs: []string{}})
	if len(c.Files) != 3 {
		t.Fatalf("files %+v", c.Files)
	}
	if c.Files[0].Used || c.Files[1].Used || !c.Files[2].Used {
		t.Errorf("used flags %+v", c.Files)
	}
	if len(c.Entries) != 3 || len(c.Problems().Errors()) < 2 {
		t.Errorf("entries %d problems %v", len(c.Entries), c.Problems())
	}
	// The broken file's AllowManualHostInput=no does not count.
	if ok, _ := c.ManualHostInputAllowed(); ok {
		t.Errorf("ios-standards.xml forbids manual input")
	}
}

func TestDiscoverReadsFileOnce(t *testing.T) {
	f := filepath.Join(tdir, "good", "ios-standards.xml")
	c := Discover(Options{Files: []string{f}, SystemDirs: []string{filepath.Join(tdir, "good")}, UserDirs: []string{}})
	n := 0
	for _, fr := range c.Files {
		if strings.HasSuffix(fr.Path, "ios-standards.xml") {
			n++
		}
	}
	if n != 1 || len(c.Shadowed) != 0 {
		t.Errorf("read %d times, shadowed %v", n, c.Shadowed)
	}
}

func TestMissingExplicitFile(t *testing.T) {
	c := Discover(Options{Files: []string{"/nonexistent/x.xml"}, SystemDirs: []string{}, UserDirs: []string{}})
	if len(c.Files) != 1 || c.Files[0].Used || !c.Files[0].Problems.HasErrors() {
		t.Errorf("%+v", c.Files)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLookup(t *testing.T) {
	c := testCatalog(t)
	cases := []struct {
		q       string
		name    string
		addr    string
		err     error
		manual  bool
		backups string
	}{
		{q: "Corporate VPN (Frankfurt)", name: "Corporate VPN (Frankfurt)", addr: "vpn-fra.example.com",
			backups: "vpn-ams.example.com 198.51.100.7 vpn-dr.example.com"},
		{q: "  branch ios ", name: "Branch IOS", addr: "ios-gw.branch.example.net"},
		{q: "ios-gw.branch.example.net", name: "Branch IOS", addr: "ios-gw.branch.example.net"},
		{q: "VPN-ENG.example.com:8443", name: "Engineering", addr: "vpn-eng.example.com:8443/engineering", backups: "vpn-dr.example.com"},
		{q: "vpn-eng.example.com:9999", err: ErrNoSuchHost}, // ios-standards.xml forbids manual input
		// SSL entries are tried over IKEv2.
		{q: "Legacy SSL portal", name: "Legacy SSL portal", addr: "ssl.example.com", backups: "vpn-dr.example.com"},
		{q: "ssl.example.com", name: "Legacy SSL portal", addr: "ssl.example.com", backups: "vpn-dr.example.com"},
		// One SSL and one IPsec entry share this address: the IPsec one,
		// the profile's choice for IKEv2, wins.
		{q: "hq-vpn.example.org", name: "HQ (IKEv2)", addr: "hq-vpn.example.org"},
		{q: "", err: ErrNoSuchHost},
	}
	for _, tc := range cases {
		tg, err := c.Lookup(tc.q)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Lookup(%q) error %v, want %v", tc.q, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Lookup(%q): %v", tc.q, err)
			continue
		}
		var bs []string
		for _, b := range tg.Backups {
			bs = append(bs, b.String())
		}
		if tg.Name != tc.name || tg.Address.String() != tc.addr || tg.Manual != tc.manual || strings.Join(bs, " ") != tc.backups {
			t.Errorf("Lookup(%q) = %+v", tc.q, tg)
		}
	}
	tg, err := c.Lookup("Legacy SSL portal")
	if err != nil || tg.Note != NoteSSLDefault || tg.Protocol != ProtocolSSL || tg.ProtocolSet || tg.AuthMethod != AuthEAPAnyConnect {
		t.Errorf("SSL entry by default: %+v, %v", tg, err)
	}
	tg, err = c.Lookup("Partners")
	if err != nil || tg.Note != NoteSSL || !tg.ProtocolSet {
		t.Errorf("SSL entry: %+v, %v", tg, err)
	}
}

func TestLookupTargetFields(t *testing.T) {
	c := Discover(Options{SystemDirs: []string{filepath.Join(tdir, "good")}, UserDirs: []string{}})
	tg, err := c.Lookup("Branch IOS")
	if err != nil {
		t.Fatal(err)
	}
	if tg.AuthMethod != AuthEAPMSCHAPv2 || !tg.StandardAuthOnly || tg.IKEIdentity != "branch-users" || tg.AutoReconnect ||
		!reflect.DeepEqual(tg.IPProtocolSupport, []string{"IPv6", "IPv4"}) || tg.AuthenticationTimeout != DefaultAuthenticationTimeout {
		t.Errorf("%+v", tg)
	}
	tg, err = c.Lookup("HQ (IKEv2)")
	if err != nil {
		t.Fatal(err)
	}
	if tg.UserGroup != "IKEV2-USERS" || tg.AuthMethod != AuthEAPAnyConnect || tg.IKEIdentity != "" || !tg.CertificatePinning ||
		len(tg.Pins) != 2 || !tg.AutomaticVPNPolicy.AlwaysOn || tg.AuthenticationTimeout.Seconds() != 45 || tg.LocalLanAccess {
		t.Errorf("%+v", tg)
	}
	tg, err = c.Lookup("Engineering")
	if err != nil {
		t.Fatal(err)
	}
	if tg.CertificateMatch == nil || len(tg.CertificateMatch.DistinguishedName) != 2 || !tg.LocalLanAccess || tg.AutoReconnectBehavior != ReconnectAfterResume {
		t.Errorf("%+v", tg)
	}
}

func TestManualHostInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, allow string) {
		x := `<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/"><ClientInitialization>` + allow +
			`<LocalLanAccess>true</LocalLanAccess><BackupServerList><HostAddress>dr.example.com</HostAddress></BackupServerList></ClientInitialization>` +
			`<ServerList><HostEntry><HostName>A</HostName><HostAddress>a.example.com</HostAddress><PrimaryProtocol>IPsec</PrimaryProtocol></HostEntry>` +
			`<HostEntry><HostName>B</HostName><HostAddress>a.example.com</HostAddress><UserGroup>B</UserGroup><PrimaryProtocol>IPsec</PrimaryProtocol></HostEntry></ServerList></AnyConnectProfile>`
		if err := os.WriteFile(filepath.Join(dir, name), []byte(x), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		allow   string
		q       string
		ok      bool
		errIs   error
		manual  bool
		local   bool
		backups int
	}{
		{"no profile: schema default allows", "", "gw.example.net:443", true, nil, true, false, 0},
		{"default true", "-", "gw.example.net", true, nil, true, true, 1},
		{"explicit true", "<AllowManualHostInput>true</AllowManualHostInput>", "198.51.100.1", true, nil, true, true, 1},
		{"false forbids", "<AllowManualHostInput>false</AllowManualHostInput>", "gw.example.net", false, ErrNoSuchHost, false, false, 0},
		{"false still allows profile hosts", "<AllowManualHostInput>false</AllowManualHostInput>", "A", true, nil, false, true, 1},
		{"not an address", "-", "No Such Name", false, ErrNoSuchHost, false, false, 0},
		{"shared address is ambiguous", "-", "a.example.com", false, ErrAmbiguous, false, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(filepath.Join(dir, "p.xml"))
			if tc.allow != "" {
				write("p.xml", strings.TrimPrefix(tc.allow, "-"))
			}
			c := Discover(Options{SystemDirs: []string{dir}, UserDirs: []string{}})
			tg, err := c.Lookup(tc.q)
			if !tc.ok {
				if !errors.Is(err, tc.errIs) {
					t.Fatalf("err %v, want %v", err, tc.errIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tg.Manual != tc.manual || tg.LocalLanAccess != tc.local || len(tg.Backups) != tc.backups {
				t.Errorf("%+v", tg)
			}
			if tg.Manual && (tg.Protocol != ProtocolIPsec || tg.AuthMethod != AuthEAPAnyConnect || tg.Name != tc.q) {
				t.Errorf("manual target %+v", tg)
			}
		})
	}
}

// TestWildProfiles: profiles as deployments write them. Elements vpnc-go
// does not know (RestrictTunnelProtocols among them) are kept as ignored
// and cause no problem; no host is hidden; the only problem is the
// warning for the SSL entry that has no address at all.
func TestWildProfiles(t *testing.T) {
	c := Discover(Options{SystemDirs: []string{filepath.Join(tdir, "wild")}, UserDirs: []string{}})
	probs := c.Problems()
	if len(probs) != 1 || probs[0].Severity != SeverityWarning || !strings.Contains(probs[0].Message, `"Old web portal"`) {
		t.Fatalf("problems %v", probs)
	}
	if len(c.Entries) != 8 {
		t.Fatalf("entries %+v", c.Entries)
	}
	var ignored []string
	for _, f := range c.Files {
		for _, n := range f.Profile.Ignored {
			ignored = append(ignored, n.Path)
		}
	}
	for _, want := range []string{
		"/AnyConnectProfile/ClientInitialization/RestrictTunnelProtocols",
		"/AnyConnectProfile/ClientInitialization/LinuxVPNEstablishment",
		"/AnyConnectProfile/ServerList/HostEntry[3]/SecureAccessEnabled",
	} {
		if !contains(ignored, want) {
			t.Errorf("%s not in ignored %v", want, ignored)
		}
	}
	for _, e := range c.Entries {
		wantNote := map[bool]string{true: NoteSSL, false: NoteSSLDefault}[e.ProtocolSet]
		if e.Protocol == ProtocolIPsec {
			wantNote = ""
		}
		if e.Note != wantNote || e.Supported != !e.Address.IsZero() || e.AuthMethod != AuthEAPAnyConnect {
			t.Errorf("%+v", e)
		}
	}
}

func TestTunnelGroup(t *testing.T) {
	cases := []struct {
		group, addr string
		want        string
		fromPath    bool
	}{
		{"", "vpn.example.edu", "", false},
		{"", "https://vpn.example.edu/staff", "staff", true},
		{"", "vpn.example.edu:10443/students/", "students", true},
		{"STAFF", "https://vpn.example.edu/staff", "STAFF", false},
	}
	for _, c := range cases {
		a, err := ParseAddress(c.addr)
		if err != nil {
			t.Fatal(err)
		}
		g, fp := HostEntry{UserGroup: c.group, Address: a}.TunnelGroup()
		if g != c.want || fp != c.fromPath {
			t.Errorf("%q %q: got %q %v", c.group, c.addr, g, fp)
		}
	}
}

// TestAddressPreference: a typed address shared by several entries picks
// the IPsec one, else the one whose address is exactly what was typed;
// what remains ambiguous is an error.
func TestAddressPreference(t *testing.T) {
	dir := t.TempDir()
	x := `<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/"><ServerList>
<HostEntry><HostName>Root</HostName><HostAddress>vpn.example.edu</HostAddress></HostEntry>
<HostEntry><HostName>Staff</HostName><HostAddress>vpn.example.edu/staff</HostAddress></HostEntry>
<HostEntry><HostName>Two A</HostName><HostAddress>two.example.edu/a</HostAddress></HostEntry>
<HostEntry><HostName>Two B</HostName><HostAddress>two.example.edu/b</HostAddress></HostEntry>
<HostEntry><HostName>Mixed SSL</HostName><HostAddress>mixed.example.edu</HostAddress></HostEntry>
<HostEntry><HostName>Mixed IPsec</HostName><HostAddress>mixed.example.edu/x</HostAddress><PrimaryProtocol>IPsec</PrimaryProtocol></HostEntry>
</ServerList></AnyConnectProfile>`
	if err := os.WriteFile(filepath.Join(dir, "p.xml"), []byte(x), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Discover(Options{SystemDirs: []string{dir}, UserDirs: []string{}})
	for q, want := range map[string]string{
		"vpn.example.edu": "Root", "vpn.example.edu/staff": "Staff", "two.example.edu/b": "Two B",
		"mixed.example.edu": "Mixed IPsec", "MIXED.example.edu/x": "Mixed IPsec",
	} {
		tg, err := c.Lookup(q)
		if err != nil || tg.Name != want {
			t.Errorf("Lookup(%q) = %v, %v; want %q", q, tg, err, want)
		}
	}
	if _, err := c.Lookup("two.example.edu"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("two.example.edu: %v", err)
	}
}

func TestOnlyHost(t *testing.T) {
	entry := func(name string, p Protocol, ok bool) Entry {
		return Entry{HostEntry: HostEntry{Name: name, Protocol: p}, Supported: ok}
	}
	cases := []struct {
		entries []Entry
		want    string
		err     error
	}{
		{[]Entry{entry("A", ProtocolSSL, true), entry("B", ProtocolIPsec, true)}, "B", nil},
		{[]Entry{entry("A", ProtocolSSL, true), entry("B", ProtocolSSL, false)}, "A", nil},
		{[]Entry{entry("A", ProtocolSSL, true), entry("B", ProtocolSSL, true)}, "", ErrAmbiguous},
		{[]Entry{entry("A", ProtocolIPsec, true), entry("B", ProtocolIPsec, true)}, "", ErrAmbiguous},
		{[]Entry{entry("A", ProtocolSSL, false)}, "", ErrNoSuchHost},
		{nil, "", ErrNoSuchHost},
	}
	for i, c := range cases {
		got, err := (&Catalog{Entries: c.entries}).OnlyHost()
		if got != c.want || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("case %d: %q, %v", i, got, err)
		}
	}
}

func TestNoIKEv2Hint(t *testing.T) {
	ssl := (&Target{Protocol: ProtocolSSL}).NoIKEv2Hint()
	manual := (&Target{Protocol: ProtocolIPsec, Manual: true}).NoIKEv2Hint()
	ipsec := (&Target{Protocol: ProtocolIPsec}).NoIKEv2Hint()
	if !strings.Contains(ssl, "accepts only the SSL/DTLS variant of AnyConnect") || !strings.Contains(ssl, "enable IKEv2") ||
		!strings.Contains(manual, "SSL/DTLS") || len(manual) >= len(ssl) || ipsec != "" {
		t.Errorf("hints:\n%s\n%s\n%q", ssl, manual, ipsec)
	}
}
