package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

const pdir = "../../testdata/profiles"

func goldenCLI(t *testing.T, name, got string) {
	t.Helper()
	testenv.Golden(t, filepath.Join(pdir, "golden", name), got)
}

// profileArgs points the CLI at the testdata folders only: good/ as the
// managed folder, user/ as the user folder, explicit/override.xml as --profile,
// and no folder of headend-pushed profiles.
func profileArgs(t *testing.T, args ...string) []string {
	t.Setenv("VPNC_GO_USER_PROFILE_DIR", filepath.Join(pdir, "user"))
	t.Setenv("VPNC_GO_PUSHED_PROFILE_DIR", "")
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

// wildArgs points the CLI at testdata/profiles/wild only: profiles shaped
// like the ones organisations hand out (see its README).
func wildArgs(t *testing.T, args ...string) []string {
	t.Setenv("VPNC_GO_USER_PROFILE_DIR", "")
	return append(args, "--profile-dir", filepath.Join(pdir, "wild"))
}

// wildHosts are the HostNames of testdata/profiles/wild, and what a user
// may type instead: an address, and an address with its group path.
var wildHosts = []string{
	"Campus VPN", "Campus VPN (staff)", "Campus VPN (students)", "vpn2.uni.example.edu",
	"Company VPN", "Company VPN (IKEv2)", "Company EU", "Old web portal",
	"vpn.company.example.com", "vpn.uni.example.edu", "vpn.uni.example.edu/staff", "gw.example.net/sales",
}

// TestProfilesWild: a bare ServerList, a ClientInitialization full of
// elements vpnc-go does not know, URL host addresses, and PrimaryProtocol
// SSL, IPsec and absent: every host is listed, none is refused for naming
// SSL, unknown elements cause no problem, and the one entry without any
// address is listed as not usable with a warning.
func TestProfilesWild(t *testing.T) {
	out, err := runCLI(t, wildArgs(t, "profiles")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	goldenCLI(t, "wild-list.txt", out)

	out, err = runCLI(t, wildArgs(t, "profiles", "--json")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var doc struct {
		Hosts []struct {
			Name      string `json:"name"`
			Supported bool   `json:"supported"`
		} `json:"hosts"`
		Problems []struct {
			Severity string `json:"severity"`
		} `json:"problems"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Hosts) != 8 || len(doc.Problems) != 1 || doc.Problems[0].Severity != "warning" {
		t.Fatalf("not the JSON expected (%v):\n%s", err, out)
	}
	for _, h := range doc.Hosts {
		if h.Supported != (h.Name != "Old web portal") {
			t.Errorf("%q supported: %v", h.Name, h.Supported)
		}
	}
	goldenCLI(t, "wild-list.json", out)

	var b strings.Builder
	for _, h := range wildHosts {
		out, err := runCLI(t, wildArgs(t, "profiles", "show", h)...)
		fmt.Fprintf(&b, "$ vpnc-go profiles show %q\n%s", h, out)
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
		}
		b.WriteString("\n")
	}
	goldenCLI(t, "wild-show.txt", b.String())

	files, _ := filepath.Glob(filepath.Join(pdir, "wild", "*.xml"))
	out, err = runCLI(t, append([]string{"profiles", "validate"}, files...)...)
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	goldenCLI(t, "wild-validate.txt", out)
}

// TestConnectTargetWild: what `vpnc-go connect HOST` would dial for each
// host of the wild profiles, without connecting: the line said first, the
// headend and its backups (IKE on UDP 500 whatever port the profile
// names), the tunnel group, the method and the timeout, and what is said
// when the headend does not take up IKEv2.
func TestConnectTargetWild(t *testing.T) {
	t.Setenv("VPNC_GO_USER_PROFILE_DIR", "")
	var b strings.Builder
	for _, h := range append([]string{""}, wildHosts...) {
		f := &connectFlags{profiles: profilesFlags{dirs: []string{filepath.Join(pdir, "wild")}}}
		fmt.Fprintf(&b, "$ vpnc-go connect %q\n", h)
		tg, err := f.target(h)
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n\n", err)
			continue
		}
		o, err := f.options(tg)
		if err != nil {
			t.Fatalf("%q: %v", h, err)
		}
		fmt.Fprintf(&b, "host     %s\n", tg.Name)
		if tg.Note != "" {
			fmt.Fprintf(&b, "says     %s\n", tg.Note)
		}
		fmt.Fprintf(&b, "server   %s\nbackups  %s\ngroup    %s\nauth     %s\ntimeout  %s\n",
			o.Server, dash(strings.Join(o.Backups, " ")), dash(o.Group), o.Auth, o.AuthTimeout)
		silent := &client.NoIKEv2Error{Tried: []netip.AddrPort{netip.MustParseAddrPort("192.0.2.99:500")}, Timeout: o.AuthTimeout}
		fmt.Fprintf(&b, "silent   %v\n\n", explainNoIKEv2(silent, tg))
	}
	goldenCLI(t, "wild-connect.txt", b.String())
}
