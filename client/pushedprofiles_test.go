package client

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
)

func pushedXML(host string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/"><ServerList><HostEntry>
<HostName>` + host + `</HostName><HostAddress>192.0.2.1</HostAddress><PrimaryProtocol>IPsec</PrimaryProtocol>
</HostEntry></ServerList></AnyConnectProfile>
`
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// profileServer is a headend's client services: it serves body at uri
// over HTTPS with a certificate for vpn.example.com, and counts requests.
type profileServer struct {
	mu   sync.Mutex
	body string
	hits int
	srv  *httptest.Server
	ca   string // CA file
	port string
}

const pushedURI = "/CACHE/stc/profiles/corp_client_profile.xml"

func newProfileServer(t *testing.T) *profileServer {
	t.Helper()
	ca := certgen.Must(certgen.SelfSigned(certgen.CA("CA")))
	leaf := certgen.Must(ca.Issue(certgen.Server("vpn.example.com")))
	ps := &profileServer{ca: filepath.Join(t.TempDir(), "ca.pem")}
	if err := os.WriteFile(ps.ca, certgen.PEM(ca.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	ps.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.mu.Lock()
		defer ps.mu.Unlock()
		ps.hits++
		if r.URL.Path != pushedURI {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(ps.body))
	}))
	ps.srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: certgen.DER(leaf.Cert, ca.Cert), PrivateKey: leaf.Key}}}
	ps.srv.StartTLS()
	t.Cleanup(ps.srv.Close)
	ps.port = strconv.Itoa(int(netip.MustParseAddrPort(ps.srv.Listener.Addr().String()).Port()))
	return ps
}

func (ps *profileServer) set(body string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.body = body
}

func (ps *profileServer) requests() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.hits
}

// TestPushedProfileFetch: stored on first sight, not fetched again while
// the hash is unchanged, fetched once after a change; a bad hash or a
// headend the IKE trust would refuse stores nothing and keeps the old copy.
func TestPushedProfileFetch(t *testing.T) {
	ps := newProfileServer(t)
	dir := filepath.Join(t.TempDir(), "pushed")
	fetch := func(o Options, body, hash string) (string, bool, error) {
		t.Helper()
		o.PushedProfileDir, o.Log = dir, t.Logf
		if o.CAFile == "" {
			o.CAFile = ps.ca
		}
		ps.set(body)
		f, err := (&Session{opts: o}).newPushedFetch("vpn.example.com", netip.MustParseAddr("127.0.0.1"), ps.port)
		if err != nil {
			t.Fatal(err)
		}
		return f.fetch(context.Background(), anyconnect.ProfileFile{Type: "profile", URI: pushedURI, Hash: hash, HashType: "sha1"})
	}
	stored := func() string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, "corp_client_profile.xml"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	v1, v2, v3 := pushedXML("Corp"), pushedXML("Corp 2"), pushedXML("Corp 3")

	p, updated, err := fetch(Options{}, v1, sha1Hex(v1))
	if err != nil || !updated || p != filepath.Join(dir, "corp_client_profile.xml") || stored() != v1 || ps.requests() != 1 {
		t.Fatalf("first fetch: %s %v %v, %d requests", p, updated, err, ps.requests())
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Fatalf("stored with mode %v", st.Mode())
	}
	if _, updated, err = fetch(Options{}, v1, strings.ToLower(sha1Hex(v1))); err != nil || updated || ps.requests() != 1 {
		t.Fatalf("unchanged: %v %v, %d requests", updated, err, ps.requests())
	}
	if _, updated, err = fetch(Options{}, v2, sha1Hex(v2)); err != nil || !updated || stored() != v2 || ps.requests() != 2 {
		t.Fatalf("changed: %v %v, %d requests", updated, err, ps.requests())
	}
	// The headend announces v3 and serves something else.
	if _, _, err = fetch(Options{}, v1, sha1Hex(v3)); err == nil || !strings.Contains(err.Error(), "SHA-1") || stored() != v2 {
		t.Fatalf("hash mismatch: %v; stored %q", err, stored())
	}
	for name, o := range map[string]Options{
		"another name": {ServerName: "other.example.com"},
		"a wrong pin":  {Pins: []string{"pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}},
	} {
		before := ps.requests()
		if _, _, err := fetch(o, v3, sha1Hex(v3)); err == nil || ps.requests() != before || stored() != v2 {
			t.Fatalf("%s: %v, %d requests; stored %q", name, err, ps.requests()-before, stored())
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
}

func TestStoredName(t *testing.T) {
	for uri, want := range map[string]string{
		"/CACHE/stc/profiles/a.xml": "a.xml",
		"/p/B.XML":                  "B.XML",
		"/p/../x.xml":               "x.xml",
		"https://evil/p/a.xml":      "",
		"p/a.xml":                   "",
		"/p/a.txt":                  "",
		"/p/.xml":                   "",
		"/p/":                       "",
	} {
		got, err := storedName(uri)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("%q: %q, %v", uri, got, err)
		}
	}
	if _, err := wantHash(anyconnect.ProfileFile{Hash: "00", HashType: "sha1"}); err == nil {
		t.Error("short hash accepted")
	}
	if _, err := wantHash(anyconnect.ProfileFile{Hash: sha1Hex("x"), HashType: "md5"}); err == nil {
		t.Error("md5 accepted")
	}
}
