package diag

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/profile"
)

const (
	userName    = "alice.smith"
	headendName = "vpn.corp.example"
	hostName    = "Corp VPN"

	password     = "Hunter2-correct-horse"
	secondFactor = "otp-8675309"
	p12Password  = "p12-pass-Tr0ub4dor"
	sessionToken = "3F2504E0-4F89-11D3-9A0C-0305E82C3301-tok"
)

const profileXML = `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ServerList>
    <HostEntry>
      <HostName>Corp VPN</HostName>
      <HostAddress>vpn.corp.example</HostAddress>
      <PrimaryProtocol>IPsec</PrimaryProtocol>
    </HostEntry>
  </ServerList>
</AnyConnectProfile>
`

// seed is a machine with secrets in every place one might leak from.
type seed struct {
	dir         string
	keyPEM      string
	p12         []byte
	keyLogLines []string
	certPEM     string
	read        []string // paths the collector read
	agentErr    error
}

func newSeed(t *testing.T) *seed {
	t.Helper()
	s := &seed{dir: t.TempDir()}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	s.keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: headendName}, DNSNames: []string{headendName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	s.certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}))
	// A stand-in PKCS#12 blob: the key and random bytes, binary.
	s.p12 = append(append([]byte{0x30, 0x82, 0x0a, 0x01}, der...), randBytes(t, 64)...)
	s.keyLogLines = []string{
		fmt.Sprintf("%x,%x,%x,%x,\"AES-CBC-256 [RFC3602]\",%x,%x,\"HMAC_SHA2_256_128 [RFC4868]\"", randBytes(t, 8), randBytes(t, 8), randBytes(t, 32), randBytes(t, 32), randBytes(t, 32), randBytes(t, 32)),
		fmt.Sprintf("\"IPv4\",\"192.0.2.10\",\"192.0.2.1\",\"0x%x\",\"AES-GCM-16 [RFC4106]\",0x%x,\"NULL\",\"\"", randBytes(t, 4), randBytes(t, 36)),
	}
	files := map[string][]byte{
		"corp.xml":    []byte(profileXML),
		"client.key":  []byte(s.keyPEM),
		"client.p12":  s.p12,
		"keylog.txt":  []byte(strings.Join(s.keyLogLines, "\n")),
		"netcfg.json": []byte(`{"version":1,"pid":42,"changes":[{"kind":"addr","done":true,"ifindex":9,"ifname":"vpnc0","addr":"10.2.2.10/24"}]}`),
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(s.dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func randBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// secrets are the strings no byte of a bundle may hold.
func (s *seed) secrets() []string {
	out := []string{password, secondFactor, p12Password, sessionToken, base64.StdEncoding.EncodeToString(s.p12), string(s.p12[4:40])}
	blk, _ := pem.Decode([]byte(s.keyPEM))
	body := strings.Split(strings.TrimSpace(s.keyPEM), "\n")
	out = append(out, body[1:len(body)-1]...)
	out = append(out, string(blk.Bytes[:32]))
	for _, l := range s.keyLogLines {
		for _, f := range strings.Split(l, ",") {
			if f = strings.Trim(f, `"`); len(f) >= 16 && !strings.Contains(f, " ") {
				out = append(out, strings.TrimPrefix(f, "0x"))
			}
		}
	}
	return out
}

// sources are fake sources over the seeded folder; the agent's log and
// events carry every secret the way a careless line might.
func (s *seed) sources() Sources {
	st := &agent.Status{State: "connected", Host: hostName, Server: headendName, User: userName, OwnerUID: 1000,
		Settings: &agent.Settings{Headend: netip.MustParseAddrPort("192.0.2.1:4500"), Address4: netip.MustParsePrefix("10.2.2.10/24"),
			Routes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}, IKESuite: "aes256gcm16-prfsha384-ecp384", ESPSuite: "aes256gcm16", Device: "vpnc0"}}
	now := time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC)
	log := []agent.LogLine{
		{Time: now, Level: "INFO", Text: fmt.Sprintf(`connecting request="host \"%s\" user \"%s\" (password given)" server=%q`, hostName, userName, headendName)},
		{Time: now, Level: "DEBUG", Text: "login password=" + password + " second_password=" + secondFactor},
		{Time: now, Level: "DEBUG", Text: `pkcs12 {"passphrase":"` + p12Password + `"}`},
		{Time: now, Level: "DEBUG", Text: "headend set cookie: " + sessionToken + "; webvpn-token=" + sessionToken},
		{Time: now, Level: "DEBUG", Text: "key log: " + s.keyLogLines[0]},
		{Time: now, Level: "DEBUG", Text: s.keyLogLines[1]},
		{Time: now, Level: "WARN", Text: "loading a key failed: " + s.keyPEM},
		{Time: now, Level: "WARN", Text: "pkcs12 blob " + base64.StdEncoding.EncodeToString(s.p12)},
		{Time: now, Level: "INFO", Text: `tunnel up device="vpnc0" address="10.2.2.10/24" headend="192.0.2.1:4500"`},
	}
	events := []agent.TimedEvent{
		{Time: now, Event: agent.Event{Kind: agent.KindStage, Stage: "connecting", Detail: "192.0.2.1:500"}},
		{Time: now, Event: agent.Event{Kind: agent.KindError, Error: "auth: session token=" + sessionToken + " refused"}},
		{Time: now, Event: agent.Event{Kind: agent.KindConnected, Settings: st.Settings}},
	}
	return Sources{
		Version: "vpnc-go 0.1.0 (test)\ngo1.26\nvcs.revision=0123456789abcdef0123456789abcdef01234567\n",
		GOOS:    "linux",
		User:    userName,
		Now:     func() time.Time { return now },
		ReadFile: func(p string) ([]byte, error) {
			s.read = append(s.read, p)
			switch p {
			case "/etc/os-release":
				return []byte("NAME=Test\nPRETTY_NAME=\"Test Linux 1\"\n"), nil
			case "/proc/sys/kernel/osrelease":
				return []byte("6.1.0-test\n"), nil
			}
			if !strings.HasPrefix(p, s.dir) {
				return nil, fmt.Errorf("open %s: %w", p, os.ErrNotExist)
			}
			return os.ReadFile(p)
		},
		Exists: func(p string) bool { return p == "/dev/net/tun" || p == "/sys/class/net/vpnc0" },
		Run: func(_ context.Context, name string, args ...string) ([]byte, error) {
			switch strings.Join(append([]string{name}, args...), " ") {
			case "ip -d address show":
				return []byte("9: vpnc0: <POINTOPOINT,UP> mtu 1390\n    inet 10.2.2.10/24 scope global vpnc0\n"), nil
			case "ip -4 route show table all":
				return []byte("198.51.100.0/24 dev vpnc0 proto static\n"), nil
			case "resolvectl status":
				return nil, errors.New(`exec: "resolvectl": executable file not found in $PATH`)
			}
			return []byte(""), nil
		},
		Agent: func(context.Context) (*agent.DiagResult, error) {
			if s.agentErr != nil {
				return nil, s.agentErr
			}
			return &agent.DiagResult{Status: st, Log: log, Events: events,
				ServerTrust: &agent.ServerTrust{Name: headendName, Time: now, Chain: []string{s.certPEM}, Trusted: true}}, nil
		},
		Profiles: func() *profile.Catalog {
			return profile.Discover(profile.Options{SystemDirs: []string{s.dir}, UserDirs: []string{}, PushedDirs: []string{}})
		},
		StateFile: filepath.Join(s.dir, "netcfg.json"),
	}
}

// unpack returns the bundle's files by name (without the folder).
func unpack(t *testing.T, b []byte, dir string) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name, ok := strings.CutPrefix(h.Name, dir+"/")
		if !ok {
			t.Fatalf("%s is outside the bundle's folder %s", h.Name, dir)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(data)
	}
	return files
}

func build(t *testing.T, s *seed, opt Options) (map[string]string, []byte, *Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, err := Write(context.Background(), &buf, "bundle", s.sources(), opt)
	if err != nil {
		t.Fatal(err)
	}
	files := unpack(t, buf.Bytes(), "bundle")
	var fromFile Manifest
	if err := json.Unmarshal([]byte(files[ManifestName]), &fromFile); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	var listed, present []string
	for _, f := range fromFile.Files {
		listed = append(listed, f.Name)
		if f.Name != ManifestName && f.Size != len(files[f.Name]) {
			t.Errorf("manifest says %s has %d bytes; it has %d", f.Name, f.Size, len(files[f.Name]))
		}
		if f.What == "" {
			t.Errorf("manifest does not say what %s is", f.Name)
		}
	}
	for n := range files {
		present = append(present, n)
	}
	sort.Strings(listed)
	sort.Strings(present)
	if fmt.Sprint(listed) != fmt.Sprint(present) {
		t.Fatalf("manifest lists %v; the bundle holds %v", listed, present)
	}
	return files, buf.Bytes(), m
}

// TestNoSecretInBundle seeds every source with secrets and searches every
// byte of the bundle, unpacked and compressed, for each.
func TestNoSecretInBundle(t *testing.T) {
	s := newSeed(t)
	files, raw, m := build(t, s, Options{})
	for _, secret := range s.secrets() {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("secret %q in the compressed bundle", secret)
		}
		for name, data := range files {
			if strings.Contains(data, secret) {
				t.Errorf("secret %q in %s:\n%s", secret, name, data)
			}
		}
	}
	for _, p := range s.read {
		if ext := filepath.Ext(p); ext == ".key" || ext == ".p12" || strings.Contains(p, "keylog") {
			t.Errorf("the collector read %s", p)
		}
	}
	// What the help desk needs is there.
	for name, want := range map[string]string{
		"agent/status.json":           headendName,
		"agent/log.txt":               "tunnel up",
		"agent/events.jsonl":          `"detail":"192.0.2.1:500"`,
		"headend/chain.pem":           s.certPEM,
		"headend/trust.txt":           "trusted: true",
		"profiles/summary.txt":        filepath.Join(s.dir, "corp.xml"),
		"profiles/01-system-corp.xml": "<HostAddress>" + headendName,
		"network/routes.txt":          "198.51.100.0/24 dev vpnc0",
		"network/netcfg-journal.json": `"ifname":"vpnc0"`,
		"os.txt":                      "Test Linux 1",
		"version.txt":                 "vcs.revision=0123456789abcdef",
	} {
		if !strings.Contains(files[name], want) {
			t.Errorf("%s lacks %q:\n%s", name, want, files[name])
		}
	}
	if !strings.Contains(files["os.txt"], "TUN driver: true") || !strings.Contains(files["os.txt"], "tunnel device vpnc0 present: true") {
		t.Errorf("os.txt:\n%s", files["os.txt"])
	}
	if !strings.Contains(files["agent/log.txt"], userName) {
		t.Errorf("identities are kept by default, but the user is not in the log:\n%s", files["agent/log.txt"])
	}
	var logEntry FileEntry
	for _, f := range m.Files {
		if f.Name == "agent/log.txt" {
			logEntry = f
		}
	}
	if got := strings.Join(logEntry.Redacted, "; "); !strings.Contains(got, "private key") || !strings.Contains(got, "key log") || !strings.Contains(got, "secret field") {
		t.Errorf("the manifest does not say what was removed from the log: %q", got)
	}
	if !strings.Contains(fmt.Sprint(m.Missing), "resolvectl") {
		t.Errorf("the failed DNS command is not among the missing: %+v", m.Missing)
	}
}

// TestRedactIdentities: with RedactIdentities, the user and headend names
// are nowhere, and each is the same placeholder in every file.
func TestRedactIdentities(t *testing.T) {
	s := newSeed(t)
	files, raw, m := build(t, s, Options{RedactIdentities: true})
	for _, name := range []string{userName, headendName, hostName} {
		if bytes.Contains(bytes.ToLower(raw), []byte(strings.ToLower(name))) {
			t.Errorf("%q in the compressed bundle", name)
		}
		for f, data := range files {
			if strings.Contains(strings.ToLower(data), strings.ToLower(name)) {
				t.Errorf("%q in %s:\n%s", name, f, data)
			}
		}
	}
	if _, ok := files["headend/chain.pem"]; ok {
		t.Error("the certificate chain (which names the headend) is in a redacted bundle")
	}
	var st agent.Status
	if err := json.Unmarshal([]byte(files["agent/status.json"]), &st); err != nil {
		t.Fatal(err)
	}
	placeholder := regexp.MustCompile(`^(user|headend)-\d+$`)
	if !placeholder.MatchString(st.User) || !placeholder.MatchString(st.Server) || !placeholder.MatchString(st.Host) || st.Server == st.Host {
		t.Fatalf("status names %q %q %q", st.User, st.Server, st.Host)
	}
	for file, want := range map[string][]string{
		"agent/log.txt":               {`user \"` + st.User + `\"`, `server="` + st.Server + `"`, `host \"` + st.Host + `\"`},
		"profiles/01-system-corp.xml": {"<HostName>" + st.Host + "</HostName>", "<HostAddress>" + st.Server + "</HostAddress>"},
		"profiles/summary.txt":        {`"` + st.Host + `" ` + st.Server},
		"headend/trust.txt":           {"checked for: " + st.Server, "CN=" + st.Server, "DNS names: " + st.Server},
	} {
		for _, w := range want {
			if !strings.Contains(files[file], w) {
				t.Errorf("%s lacks %q:\n%s", file, w, files[file])
			}
		}
	}
	if !m.IdentitiesRedacted || len(m.Placeholders) < 3 {
		t.Errorf("manifest: redacted %v, placeholders %v", m.IdentitiesRedacted, m.Placeholders)
	}
}

// TestWithoutAgent: an agent that cannot be reached is listed as missing,
// with its reason, and the rest is collected.
func TestWithoutAgent(t *testing.T) {
	s := newSeed(t)
	s.agentErr = errors.New("the agent is not running or not reachable at /run/vpnc-go/agent.sock: connection refused")
	files, _, m := build(t, s, Options{})
	if _, ok := files["agent/status.json"]; ok {
		t.Error("agent files without an agent")
	}
	if !strings.Contains(fmt.Sprint(m.Missing), "connection refused") || !strings.Contains(m.Summary(), "not collected: agent") {
		t.Errorf("missing %+v; summary %s", m.Missing, m.Summary())
	}
	if !strings.Contains(files["network/routes.txt"], "vpnc0") || files["profiles/summary.txt"] == "" {
		t.Error("the rest was not collected")
	}
}

func TestIdentityBoundaries(t *testing.T) {
	id := newIdentities()
	id.add("user", "alice")
	id.add("headend", "vpn.corp.example:443")
	id.add("headend", "192.0.2.1")
	got, _ := id.replace("Alice, malice, alice_2, /home/alice/x, vpn.corp.example. vpn.corp.example.org a.vpn.corp.example 192.0.2.1 ALICE@VPN.CORP.EXAMPLE")
	want := "user-1, malice, alice_2, /home/user-1/x, headend-1. vpn.corp.example.org a.vpn.corp.example 192.0.2.1 user-1@headend-1"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestScrub(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`"password":"x y",`, `"password":"[removed]",`},
		{"Password: abc def", "Password: [removed] def"},
		{`kind="password" value="ok"`, `kind="password" value="ok"`},
		{"/usr/share/doc/vpnc-go/examples/this/is/a/long/path/without/any/digits/in/it/at/all/so/it/stays/as/it/is", "/usr/share/doc/vpnc-go/examples/this/is/a/long/path/without/any/digits/in/it/at/all/so/it/stays/as/it/is"},
		{"vcs.revision=0123456789abcdef0123456789abcdef01234567", "vcs.revision=0123456789abcdef0123456789abcdef01234567"},
		{"a\n0123456789abcdef,0123456789abcdef\nb", "a\n[key material removed]\nb"},
		{"IKE SA 7aeab06f7456f024/eb14e318a216824b: NAT detected", "IKE SA 7aeab06f7456f024/eb14e318a216824b: NAT detected"},
		{"SK_ei=00112233445566778899aabbccddeeff", "SK_ei=[removed]"},
		{"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n", "[private key removed]"},
	} {
		if got, _ := scrub(c.in); got != c.want {
			t.Errorf("scrub(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
