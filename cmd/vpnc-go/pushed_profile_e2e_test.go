//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

// The profiles of the push test. The managed one names "Corp VPN" (the
// headend); the pushed one names "Corp VPN" too, at an address nothing
// answers (it must not win over the managed entry), and "Pushed Only",
// the headend with the ENGINEERING group: a host the client knows only
// from the push.
const (
	pushCSPort  = 8443
	pushManaged = `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ServerList>
    <HostEntry><HostName>Corp VPN</HostName><HostAddress>` + lab.HeadendAddr + `</HostAddress><PrimaryProtocol>IPsec</PrimaryProtocol></HostEntry>
  </ServerList>
</AnyConnectProfile>
`
	pushedV1 = `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ServerList>
    <HostEntry><HostName>Corp VPN</HostName><HostAddress>` + e2ePrimary + `</HostAddress><PrimaryProtocol>IPsec</PrimaryProtocol></HostEntry>
    <HostEntry><HostName>Pushed Only</HostName><HostAddress>` + lab.HeadendAddr + `</HostAddress><UserGroup>` + e2eGroup + `</UserGroup><PrimaryProtocol>IPsec</PrimaryProtocol></HostEntry>
  </ServerList>
</AnyConnectProfile>
`
)

// pushedV2 is the profile after the administrator changed it.
var pushedV2 = strings.Replace(pushedV1, "</ServerList>",
	`  <HostEntry><HostName>Pushed Two</HostName><HostAddress>`+lab.HeadendAddr+`</HostAddress><PrimaryProtocol>IPsec</PrimaryProtocol></HostEntry>
  </ServerList>`, 1)

type pushLab struct {
	*profileLab
	cfg, headendProfile, pushedDir string
}

func newPushLab(t *testing.T) *pushLab {
	t.Helper()
	testenv.NeedRoot(t)
	pl := &profileLab{exe: binary(t)}
	l := newPairLab(t, fmt.Sprintf("vpncgopp%d", os.Getpid()))
	pl.l = l
	if err := headend.GeneratePKI(l.Dir, lab.HeadendAddr, "alice"); err != nil {
		t.Fatal(err)
	}
	p := &pushLab{profileLab: pl, cfg: filepath.Join(l.Dir, "headend.toml"), headendProfile: filepath.Join(l.Dir, "corp_client_profile.xml"),
		pushedDir: filepath.Join(l.Dir, "pushed")}
	text := string(headend.SeedConfig) + e2eGroupConfig
	text = strings.Replace(text, "client-services-port = 443", fmt.Sprintf("client-services-port = %d", pushCSPort), 1)
	text = strings.Replace(text, "[group-policy.GP-ASA]", "[group-policy.GP-ASA]\nprofile = \"corp_client_profile.xml\"", 1)
	if err := os.WriteFile(p.cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.headendProfile, []byte(pushedV1), 0o644); err != nil {
		t.Fatal(err)
	}
	pl.managedDir = filepath.Join(l.Dir, "managed")
	pl.userDir = filepath.Join(l.Dir, "user-profiles")
	for _, d := range []string{pl.managedDir, pl.userDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(pl.managedDir, "corp.xml"), []byte(pushManaged), 0o644); err != nil {
		t.Fatal(err)
	}
	p.startHeadend(t)
	return p
}

// startHeadend (re)starts the emulator, which reads and hashes the
// profile as it starts.
func (p *pushLab) startHeadend(t *testing.T) {
	t.Helper()
	if p.headend != nil {
		if err := p.headend.Stop(10 * time.Second); err != nil {
			t.Fatalf("headend: %v", err)
		}
	}
	var err error
	if p.headend, err = p.l.Start("headend", "headend", "", p.exe, "responder", "-v", "--config", p.cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := p.headend.WaitFor("headend listening", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// vpncGo starts vpnc-go in the client namespace with the managed folder,
// the user folder and the pushed folder of the lab.
func (p *pushLab) vpncGo(t *testing.T, name, stdin string, args ...string) *lab.Proc {
	t.Helper()
	full := append([]string{"env", "VPNC_GO_USER_PROFILE_DIR=" + p.userDir, "VPNC_GO_PUSHED_PROFILE_DIR=" + p.pushedDir,
		"XDG_CONFIG_HOME=" + filepath.Join(p.userDir, "config"), p.exe}, args...)
	proc, err := p.l.Start("client", name, stdin, full...)
	if err != nil {
		t.Fatal(err)
	}
	return proc
}

// connect connects to host, waits for the tunnel and for what the client
// says about the pushed profile (want), and disconnects.
func (p *pushLab) connect(t *testing.T, name, host, want string) string {
	t.Helper()
	cp := p.vpncGo(t, name, e2ePassword+"\n", "connect", "-v", "--profile-dir", p.managedDir,
		"--cafile", filepath.Join(p.l.Dir, headend.CAFile), "--state-file", filepath.Join(p.l.Dir, name+"-netcfg.json"),
		"--user", "alice", "--passwd-on-stdin", host)
	if _, err := cp.WaitFor("tunnel up in", 60*time.Second); err != nil {
		t.Fatalf("%v\nheadend:\n%s", err, p.headend.Output())
	}
	if _, err := cp.WaitFor(want, 20*time.Second); err != nil {
		t.Fatalf("%v\nheadend:\n%s", err, p.headend.Output())
	}
	stopClient(t, cp)
	return cp.Output()
}

func (p *pushLab) stored(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.pushedDir, "corp_client_profile.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// downloads counts the headend's profile downloads so far.
func (p *pushLab) downloads() int {
	return strings.Count(p.headend.Output(), "client services: /CACHE/stc/profiles/corp_client_profile.xml to ")
}

// TestPushedProfileEndToEnd: the headend pushes a profile. The first
// connection stores it; the second reaches a host only that profile names
// and downloads nothing; the managed profile keeps its host name; a
// changed profile is downloaded once; a file that does not match the
// announced hash is refused with a warning and the stored copy kept.
func TestPushedProfileEndToEnd(t *testing.T) {
	p := newPushLab(t)
	stored := filepath.Join(p.pushedDir, "corp_client_profile.xml")

	p.connect(t, "first", "Corp VPN", "profile from the headend stored in "+stored)
	if p.stored(t) != pushedV1 || p.downloads() != 1 {
		t.Fatalf("after the first connection: %d downloads, stored %q", p.downloads(), p.stored(t))
	}
	if st, err := os.Stat(stored); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("stored file: %v %v", st, err)
	}

	out := p.connect(t, "second", "Pushed Only", "profile from the headend unchanged: "+stored)
	if !strings.Contains(out, "connecting to Pushed Only ("+lab.HeadendAddr) || p.downloads() != 1 {
		t.Fatalf("second connection: %d downloads\n%s", p.downloads(), out)
	}
	if _, err := p.headend.WaitFor("group "+e2eGroup, 5*time.Second); err != nil {
		t.Errorf("the headend did not lease in the pushed profile's UserGroup: %v", err)
	}

	// The managed profile keeps "Corp VPN"; the pushed entry is shadowed.
	listOut, err := p.l.Exec("client", "env", "VPNC_GO_USER_PROFILE_DIR="+p.userDir, "VPNC_GO_PUSHED_PROFILE_DIR="+p.pushedDir,
		p.exe, "profiles", "--json", "--profile-dir", p.managedDir, "list")
	if err != nil {
		t.Fatalf("profiles list: %v\n%s", err, listOut)
	}
	var doc listJSON
	if err := json.Unmarshal([]byte(listOut), &doc); err != nil {
		t.Fatalf("%v\n%s", err, listOut)
	}
	classes := map[string]string{}
	for _, h := range doc.Hosts {
		classes[h.Name] = h.Class + " " + h.Address
	}
	if classes["Corp VPN"] != "system "+lab.HeadendAddr || classes["Pushed Only"] != "pushed "+lab.HeadendAddr ||
		len(doc.Shadowed) != 1 || doc.Shadowed[0].Source != stored {
		t.Fatalf("hosts %v, shadowed %+v", classes, doc.Shadowed)
	}

	// The administrator changes the profile: fetched once.
	if err := os.WriteFile(p.headendProfile, []byte(pushedV2), 0o644); err != nil {
		t.Fatal(err)
	}
	p.startHeadend(t)
	p.connect(t, "changed", "Pushed Only", "profile from the headend stored in "+stored)
	if p.stored(t) != pushedV2 || p.downloads() != 1 { // the restarted headend's count
		t.Fatalf("after the change: %d downloads, stored %q", p.downloads(), p.stored(t))
	}
	p.connect(t, "changed-again", "Pushed Two", "profile from the headend unchanged: "+stored)
	if p.downloads() != 1 {
		t.Fatalf("the unchanged profile was downloaded again: %d", p.downloads())
	}

	// The administrator imports a third version, and then the file on
	// the headend changes behind its back: what it serves no longer
	// matches the hash it announces.
	if err := os.WriteFile(p.headendProfile, []byte(strings.Replace(pushedV2, "Pushed Two", "Pushed Three", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p.startHeadend(t)
	if err := os.WriteFile(p.headendProfile, []byte(strings.Replace(pushedV2, "Pushed Two", "Tampered", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out = p.connect(t, "tampered", "Pushed Only", "warning: profile /CACHE/stc/profiles/corp_client_profile.xml pushed by the headend: the download's SHA-1")
	if p.stored(t) != pushedV2 || p.downloads() != 1 {
		t.Fatalf("after the tampered download: %d downloads, stored %q\n%s", p.downloads(), p.stored(t), out)
	}
	if ents, _ := os.ReadDir(p.pushedDir); len(ents) != 1 {
		t.Fatalf("the pushed folder holds %v", ents)
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("last client:\n%s\nheadend:\n%s", out, p.headend.Output())
	}
}
