package headend

import (
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
)

// TestPushedProfileAnnounced: complete carries the group policy's profile
// with the SHA-1 of the file and the client services port, and the
// handler serves that file under the announced URI.
func TestPushedProfileAnnounced(t *testing.T) {
	const body = "<AnyConnectProfile/>\n"
	cfg, dir := kindsConfig(t, func(s string) string {
		s = strings.Replace(s, "client-services-port = 443", "client-services-port = 8443", 1)
		return strings.Replace(s, "[group-policy.GP-ASA]", "[group-policy.GP-ASA]\nprofile = \"corp.xml\"", 1)
	})
	if err := os.WriteFile(filepath.Join(dir, "corp.xml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// The profile is read when the policy is made, as an ASA hashes it
	// when it is imported.
	srv := newServer(t, cfg)
	up, err := pump(t, newClient(t, dir, &anyconnect.Peer{GroupAccess: "ASA-IKEV2"}, nil, nil), srv,
		eap.FormAnswer{"username": "alice", "password": "correct horse"})
	if up == nil {
		t.Fatalf("not established: %v", err)
	}
	ac := up.Config.AnyConnect
	sum := sha1.Sum([]byte(body))
	if ac == nil || ac.CSPort != "8443" || len(ac.Profiles) != 1 || ac.Profiles[0].URI != "/CACHE/stc/profiles/corp.xml" ||
		ac.Profiles[0].Hash != strings.ToUpper(hex.EncodeToString(sum[:])) || ac.Profiles[0].HashType != "sha1" {
		t.Fatalf("complete gave %+v", ac)
	}
	pol, err := NewPolicy(cfg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	for uri, want := range map[string]int{ac.Profiles[0].URI: 200, "/CACHE/stc/profiles/other.xml": 404, "/corp.xml": 404} {
		rec := httptest.NewRecorder()
		pol.profileHandler().ServeHTTP(rec, httptest.NewRequest("GET", uri, nil))
		got, _ := io.ReadAll(rec.Body)
		if rec.Code != want || (want == 200 && string(got) != body) {
			t.Errorf("GET %s: %d %q", uri, rec.Code, got)
		}
	}
	// A group without a profile announces none.
	cfg2, dir2 := kindsConfig(t, nil)
	up, err = pump(t, newClient(t, dir2, &anyconnect.Peer{GroupAccess: "ASA-IKEV2"}, nil, nil), newServer(t, cfg2),
		eap.FormAnswer{"username": "alice", "password": "correct horse"})
	if up == nil || len(up.Config.AnyConnect.Profiles) != 0 || up.Config.AnyConnect.CSPort != "443" {
		t.Fatalf("without a profile: %v %+v", err, up)
	}
}

func TestPushedProfileConfigErrors(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"missing.xml", "no such file"},
		{"corp.txt", "must end in .xml"},
	} {
		cfg, dir := kindsConfig(t, func(s string) string {
			return strings.Replace(s, "[group-policy.GP-ASA]", "[group-policy.GP-ASA]\nprofile = \""+c.file+"\"", 1)
		})
		if c.file == "corp.txt" {
			os.WriteFile(filepath.Join(dir, c.file), []byte("x"), 0o644)
		}
		if _, err := NewPolicy(cfg, t.Logf); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.file, err)
		}
	}
}
