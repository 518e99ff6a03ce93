//go:build linux

package main

import (
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

// The managed profile of the end-to-end test: the primary HostAddress is
// an address on the client's own network that nothing answers, the
// backup is the headend, the UserGroup a tunnel group that is not the
// headend's default, and AuthenticationTimeout the schema's minimum.
const (
	e2eHostName = "Corp Engineering VPN"
	e2eGroup    = "ENGINEERING"
	e2ePrimary  = "192.0.2.99"
	e2ePassword = "correct horse" // alice's in the seed configuration
	e2eProfile  = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Deployed by MDM: the only configuration the client gets. -->
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <ClientInitialization>
    <AutoReconnect UserControllable="false">true
      <AutoReconnectBehavior UserControllable="false">ReconnectAfterResume</AutoReconnectBehavior>
    </AutoReconnect>
    <AuthenticationTimeout>10</AuthenticationTimeout>
    <AllowManualHostInput>false</AllowManualHostInput>
  </ClientInitialization>
  <ServerList>
    <HostEntry>
      <HostName>` + e2eHostName + `</HostName>
      <HostAddress>` + e2ePrimary + `</HostAddress>
      <UserGroup>` + e2eGroup + `</UserGroup>
      <BackupServerList>
        <HostAddress>` + lab.HeadendAddr + `</HostAddress>
      </BackupServerList>
      <PrimaryProtocol>IPsec</PrimaryProtocol>
    </HostEntry>
  </ServerList>
</AnyConnectProfile>
`
	// A tunnel group besides the seed's, so that the headend's log shows
	// the profile's UserGroup and not its default group.
	e2eGroupConfig = `
[tunnel-group.ENGINEERING]
auth = "eap-anyconnect"
group-policy = "GP-ASA"
pool = "VPNPOOL"
banner = "Engineering access"
`
)

// profileLab is a client and a headend namespace with the headend
// emulator running and the profile in a managed folder.
type profileLab struct {
	l          *lab.Lab
	exe        string
	headend    *lab.Proc
	managedDir string
	userDir    string
}

func newProfileLab(t *testing.T) *profileLab {
	t.Helper()
	testenv.NeedRoot(t)
	pl := &profileLab{exe: binary(t)}
	l := newPairLab(t, fmt.Sprintf("vpncgopf%d", os.Getpid()))
	var err error
	pl.l = l
	// The headend certificate names the primary and the backup address.
	if err := headend.GeneratePKI(l.Dir, lab.HeadendAddr, "alice", e2ePrimary); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(l.Dir, "headend.toml")
	if err := os.WriteFile(cfg, append(append([]byte(nil), headend.SeedConfig...), e2eGroupConfig...), 0o600); err != nil {
		t.Fatal(err)
	}
	if pl.headend, err = l.Start("headend", "headend", "", pl.exe, "responder", "-v", "--config", cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := pl.headend.WaitFor("headend listening", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	pl.managedDir = filepath.Join(l.Dir, "managed")
	pl.userDir = filepath.Join(l.Dir, "user-profiles")
	for _, d := range []string{pl.managedDir, pl.userDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(pl.managedDir, "corp.xml"), []byte(e2eProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return pl
}

// connect starts `vpnc-go connect -v "Corp Engineering VPN"` in the
// client namespace with the managed folder as the only source of
// profiles; extra are more flags, stdin its input.
func (pl *profileLab) connect(t *testing.T, name, stdin string, extra ...string) *lab.Proc {
	t.Helper()
	return pl.connectHost(t, name, e2eHostName, stdin, extra...)
}

// connectHost is connect for another host of the managed folder.
func (pl *profileLab) connectHost(t *testing.T, name, host, stdin string, extra ...string) *lab.Proc {
	t.Helper()
	args := []string{"env", "VPNC_GO_USER_PROFILE_DIR=" + pl.userDir, "XDG_CONFIG_HOME=" + filepath.Join(pl.userDir, "config"), pl.exe, "connect", "-v",
		"--profile-dir", pl.managedDir, "--cafile", filepath.Join(pl.l.Dir, headend.CAFile),
		"--state-file", filepath.Join(pl.l.Dir, name+"-netcfg.json")}
	args = append(append(args, extra...), host)
	p, err := pl.l.Start("client", name, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stop ends a client and checks that it exited cleanly.
func stopClient(t *testing.T, p *lab.Proc) {
	t.Helper()
	if err := p.Stop(10 * time.Second); err != nil {
		t.Fatalf("client: %v\n%s", err, p.Output())
	}
}

// TestProfileEndToEnd: a profile dropped into a managed folder is the only
// configuration. `vpnc-go connect "Corp Engineering VPN"` tries the
// profile's HostAddress, which does not answer, fails over to the
// BackupServerList host after AuthenticationTimeout (10 s), and logs in
// there with the profile's UserGroup, which the headend's log shows. The
// session is verbose on both sides, with a key log, and the password
// appears in none of it.
func TestProfileEndToEnd(t *testing.T) {
	pl := newProfileLab(t)
	keylog := filepath.Join(pl.l.Dir, "keys.log")
	start := time.Now()
	cp := pl.connect(t, "client", e2ePassword+"\n", "--user", "alice", "--passwd-on-stdin", "--keylog", keylog)
	if _, err := cp.WaitFor("tunnel up in", 60*time.Second); err != nil {
		t.Fatalf("%v\nheadend:\n%s", err, pl.headend.Output())
	}
	took := time.Since(start)
	// The banner follows the summary; lines come in order.
	if _, err := cp.WaitFor("Engineering access", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	out := cp.Output()
	for _, want := range []string{
		"connecting to " + e2eHostName + " (" + e2ePrimary + ", EAP-AnyConnect)",
		"IKE_SA_INIT: " + e2ePrimary + ":500",
		e2ePrimary + ":500 did not answer within 10s; trying " + lab.HeadendAddr + ":500",
		"IKE_SA_INIT: " + lab.HeadendAddr + ":500",
		"headend   " + lab.HeadendAddr,
		"Engineering access", // the group's banner
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the client output lacks %q", want)
		}
	}
	if took < 10*time.Second {
		t.Errorf("tunnel up after %s: the failover did not wait for AuthenticationTimeout", took)
	}
	if _, err := pl.headend.WaitFor("group "+e2eGroup, 5*time.Second); err != nil {
		t.Errorf("the headend did not lease in the profile's UserGroup: %v", err)
	}
	if out, err := pl.l.Exec("client", "ping", "-c", "2", "-i", "0.2", "-W", "2", lab.HeadendIn); err != nil {
		t.Errorf("ping through the tunnel: %v\n%s", err, out)
	}
	stopClient(t, cp)

	keys, err := os.ReadFile(keylog)
	if err != nil || len(keys) == 0 {
		t.Fatalf("no key log: %v", err)
	}
	all := cp.Output() + "\n" + pl.headend.Output() + "\n" + string(keys)
	if strings.Contains(all, e2ePassword) {
		t.Errorf("the password appears in the output or the key log")
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("client:\n%s\nheadend:\n%s", cp.Output(), pl.headend.Output())
	}
}

// campusProfile is what a university's deployment script writes: a bare
// ServerList whose entries have only HostName and HostAddress, so SSL by
// the schema's default, one with the SSL group URL of the headend's
// ENGINEERING tunnel group, one whose address nothing answers.
const campusProfile = `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ServerList>
    <HostEntry>
      <HostName>Campus VPN</HostName>
      <HostAddress>https://` + lab.HeadendAddr + `/engineering</HostAddress>
    </HostEntry>
    <HostEntry>
      <HostName>Campus VPN (old)</HostName>
      <HostAddress>` + e2ePrimary + `</HostAddress>
    </HostEntry>
  </ServerList>
</AnyConnectProfile>
`

// TestProfileSSLDefaultEndToEnd: with only the campus profile in the
// managed folder, `vpnc-go connect "Campus VPN"` says that the profile
// names SSL and that it tries IKEv2, connects to the headend emulator over
// IKEv2, and asks for the tunnel group named by the address's path (the
// headend's log and banner show ENGINEERING). `vpnc-go connect "Campus VPN
// (old)"`, whose address nothing answers, fails once the schema's default
// AuthenticationTimeout (12 s) has passed, saying that the headend most
// likely accepts only AnyConnect's SSL/DTLS variant.
func TestProfileSSLDefaultEndToEnd(t *testing.T) {
	pl := newProfileLab(t)
	if err := os.Remove(filepath.Join(pl.managedDir, "corp.xml")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pl.managedDir, "campus.xml"), []byte(campusProfile), 0o644); err != nil {
		t.Fatal(err)
	}

	cp := pl.connectHost(t, "client", "Campus VPN", e2ePassword+"\n", "--user", "alice", "--passwd-on-stdin")
	if _, err := cp.WaitFor("tunnel up in", 60*time.Second); err != nil {
		t.Fatalf("%v\nheadend:\n%s", err, pl.headend.Output())
	}
	if _, err := cp.WaitFor("Engineering access", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	out := cp.Output()
	for _, want := range []string{
		"the profile names SSL (the default: no PrimaryProtocol); vpnc-go speaks IKEv2: trying IKEv2 on UDP 500",
		"connecting to Campus VPN (" + lab.HeadendAddr + ", EAP-AnyConnect)",
		"IKE_SA_INIT: " + lab.HeadendAddr + ":500",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the client output lacks %q", want)
		}
	}
	if _, err := pl.headend.WaitFor("group "+e2eGroup, 5*time.Second); err != nil {
		t.Errorf("the headend did not lease in the group of the address's path: %v", err)
	}
	if out, err := pl.l.Exec("client", "ping", "-c", "1", "-W", "2", lab.HeadendIn); err != nil {
		t.Errorf("ping through the tunnel: %v\n%s", err, out)
	}
	stopClient(t, cp)

	dead := pl.connectHost(t, "client-old", "Campus VPN (old)", e2ePassword+"\n", "--user", "alice", "--passwd-on-stdin")
	line, err := dead.WaitFor("vpnc-go: ", 40*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dead.WaitFor("accepts only the SSL/DTLS variant of AnyConnect", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	out = dead.Output()
	for _, want := range []string{
		"trying IKEv2 on UDP 500",
		"IKE_SA_INIT: " + e2ePrimary + ":500",
		"the headend did not answer: no answer to IKE_SA_INIT from " + e2ePrimary + ":500 (UDP) within 12s",
		"its administrator can enable IKEv2 remote access on it",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the failing client's output lacks %q (its error: %s)", want, line)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("client:\n%s\nfailing client:\n%s\nheadend:\n%s", cp.Output(), out, pl.headend.Output())
	}
}
