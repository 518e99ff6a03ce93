package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/profiles/golden")

const pdir = "../../testdata/profiles"

func goldenCLI(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(pdir, "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/vpnc-go -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// profileArgs points the CLI at the testdata folders only: good/ as the
// managed folder, user/ as the user folder, explicit/override.xml as --profile.
func profileArgs(t *testing.T, args ...string) []string {
	t.Setenv("VPNC_GO_USER_PROFILE_DIR", filepath.Join(pdir, "user"))
	return append(args, "--profile-dir", filepath.Join(pdir, "good"), "--profile", filepath.Join(pdir, "explicit", "override.xml"))
}

func TestProfilesListGolden(t *testing.T) {
	out, err := runCLI(t, profileArgs(t, "profiles")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	goldenCLI(t, "list.txt", out)
	out2, err := runCLI(t, profileArgs(t, "profiles", "list")...)
	if err != nil || out2 != out {
		t.Errorf("profiles list differs from profiles: %v\n%s", err, out2)
	}
}

func TestProfilesListJSONGolden(t *testing.T) {
	out, err := runCLI(t, profileArgs(t, "profiles", "--json")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var doc struct {
		Hosts []struct {
			Name      string `json:"name"`
			Supported bool   `json:"supported"`
			Reason    string `json:"reason"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Hosts) != 10 {
		t.Fatalf("not the JSON expected (%v):\n%s", err, out)
	}
	goldenCLI(t, "list.json", out)
}

func TestProfilesShow(t *testing.T) {
	out, err := runCLI(t, profileArgs(t, "profiles", "show", "branch ios")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	goldenCLI(t, "show-branch-ios.txt", out)
	out, err = runCLI(t, profileArgs(t, "profiles", "show", "--json", "Corporate VPN (Frankfurt)")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	goldenCLI(t, "show-corporate.json", out)

	// An entry without PrimaryProtocol is SSL by the schema's default,
	// and tried over IKEv2.
	out, err = runCLI(t, profileArgs(t, "profiles", "show", "Legacy SSL portal")...)
	if err != nil {
		t.Fatalf("SSL entry: %v\n%s", err, out)
	}
	goldenCLI(t, "show-legacy-ssl.txt", out)
	// ios-standards.xml sets AllowManualHostInput=false.
	_, err = runCLI(t, profileArgs(t, "profiles", "show", "other.example.net")...)
	if err == nil || !strings.Contains(err.Error(), "AllowManualHostInput is false") {
		t.Errorf("manual host: %v", err)
	}
}

func TestProfilesValidate(t *testing.T) {
	bad, _ := filepath.Glob(filepath.Join(pdir, "bad", "*.xml"))
	args := append([]string{"profiles", "validate", filepath.Join(pdir, "good", "corp-asa.xml")}, bad...)
	out, err := runCLI(t, args...)
	if err == nil || !strings.Contains(err.Error(), "16 of 17 files") {
		t.Fatalf("want failure for the bad files, got %v", err)
	}
	goldenCLI(t, "validate.txt", out)

	out, err = runCLI(t, "profiles", "validate", "--json", filepath.Join(pdir, "bad", "corp.xml"))
	if err == nil {
		t.Fatal("want failure")
	}
	goldenCLI(t, "validate-corp.json", out)

	good, _ := filepath.Glob(filepath.Join(pdir, "good", "*.xml"))
	out, err = runCLI(t, append([]string{"profiles", "validate"}, good...)...)
	if err != nil {
		t.Fatalf("good files: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "profiles", "validate"); err == nil {
		t.Error("validate without files must fail")
	}
}

func TestProfilesBrokenExplicitFileFails(t *testing.T) {
	t.Setenv("VPNC_GO_USER_PROFILE_DIR", "")
	out, err := runCLI(t, "profiles", "--profile-dir", filepath.Join(pdir, "good"), "--profile", filepath.Join(pdir, "bad", "malformed.xml"))
	if err == nil || !strings.Contains(out, "malformed.xml:6: malformed XML") || !strings.Contains(out, "Corporate VPN") {
		t.Fatalf("%v\n%s", err, out)
	}
}
