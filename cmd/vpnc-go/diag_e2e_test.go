//go:build linux

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/client/diag"
	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
)

// TestDiagEndToEnd: after a real connect through the agent, an
// unprivileged member of the agent's group runs diag: the bundle names the
// headend, the suites and the routes of that session, its manifest lists
// every file, and the password is in no byte of it. Run as root with
// --redact-identities, the user name is gone too.
func TestDiagEndToEnd(t *testing.T) {
	al := newAgentLab(t)
	al.connect()
	st, _ := al.status(al.member)
	if st.Settings == nil || len(st.Settings.Routes) == 0 {
		t.Fatalf("status without routes: %+v", st)
	}

	home := filepath.Join(al.dir, "home-"+al.member)
	out := filepath.Join(home, "bundle.tar.gz")
	got, code := al.cli(al.member, "", "diag", "--socket", al.socket, "--output", out, "--state-file", filepath.Join(al.l.Dir, "agent-netcfg.json"))
	if code != 0 || !strings.HasPrefix(got, out+"\n") || strings.Contains(got, "not collected: agent") {
		t.Fatalf("diag as %s: status %d\n%s", al.member, code, got)
	}
	t.Logf("diag as %s: %s", al.member, got)
	files := checkBundle(t, out)

	var status agent.Status
	if err := json.Unmarshal([]byte(files["agent/status.json"]), &status); err != nil {
		t.Fatalf("agent/status.json: %v\n%s", err, files["agent/status.json"])
	}
	if status.Server != lab.HeadendAddr || status.Settings == nil || status.Settings.IKESuite != st.Settings.IKESuite || status.Settings.ESPSuite == "" {
		t.Errorf("agent/status.json: %s", files["agent/status.json"])
	}
	for file, want := range map[string][]string{
		"agent/events.jsonl":    {`"stage":"authenticating"`, `"ike_suite":"` + st.Settings.IKESuite + `"`, `"headend":"` + st.Settings.Headend.String() + `"`},
		"agent/log.txt":         {"tunnel up"},
		"headend/trust.txt":     {"trusted: true", "checked for: " + lab.HeadendAddr},
		"headend/chain.pem":     {"-----BEGIN CERTIFICATE-----"},
		"network/routes.txt":    {st.Settings.Routes[0].String() + " dev vpnc0"},
		"network/addresses.txt": {"vpnc0", st.Settings.Address4.String()},
		"os.txt":                {"tunnel device vpnc0 present: true"},
	} {
		for _, w := range want {
			if !strings.Contains(files[file], w) {
				t.Errorf("%s lacks %q:\n%s", file, w, files[file])
			}
		}
	}

	if strings.Contains(files["agent/log.txt"], "removed]") {
		t.Errorf("lines of a session without a key log were removed:\n%s", files["agent/log.txt"])
	}

	redacted := filepath.Join(al.dir, "redacted.tar.gz")
	if got, code := al.runIn("", al.exe, "diag", "--socket", al.socket, "--output", redacted, "--redact-identities"); code != 0 {
		t.Fatalf("diag --redact-identities: status %d\n%s", code, got)
	}
	files = checkBundle(t, redacted)
	for name, data := range files {
		if strings.Contains(data, "alice") {
			t.Errorf("the user name is in %s of the redacted bundle:\n%s", name, data)
		}
	}
	if !strings.Contains(files["agent/status.json"], `"user": "user-1"`) {
		t.Errorf("agent/status.json: %s", files["agent/status.json"])
	}
}

// checkBundle unpacks a bundle, checks that its manifest lists exactly
// its files and that the password is nowhere in it, packed or not.
func checkBundle(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), e2ePassword) {
		t.Errorf("the password is in the compressed bundle %s", path)
	}
	files := readBundle(t, path)
	var m diag.Manifest
	if err := json.Unmarshal([]byte(files[diag.ManifestName]), &m); err != nil {
		t.Fatal(err)
	}
	var listed, present []string
	for _, f := range m.Files {
		listed = append(listed, f.Name)
	}
	for name, data := range files {
		present = append(present, name)
		if strings.Contains(data, e2ePassword) {
			t.Errorf("the password is in %s of %s", name, path)
		}
	}
	sort.Strings(listed)
	sort.Strings(present)
	if strings.Join(listed, " ") != strings.Join(present, " ") {
		t.Errorf("the manifest lists %v; the bundle holds %v", listed, present)
	}
	return files
}
