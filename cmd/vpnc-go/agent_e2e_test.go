//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

// agentE2EProfile is the managed profile of the policy step.
const agentE2EProfile = `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ClientInitialization>
    <AllowManualHostInput>false</AllowManualHostInput>
  </ClientInitialization>
  <ServerList>
    <HostEntry>
      <HostName>Corp VPN</HostName>
      <HostAddress>` + lab.HeadendAddr + `</HostAddress>
      <UserGroup>ASA-IKEV2</UserGroup>
      <PrimaryProtocol>IPsec</PrimaryProtocol>
    </HostEntry>
  </ServerList>
</AnyConnectProfile>
`

// agentLab is a client and a headend namespace with the headend emulator
// running, the agent as root in the client namespace, and two users made
// for the test: member (in the agent's group) and stranger (not).
type agentLab struct {
	t          *testing.T
	l          *lab.Lab
	exe        string // a copy every user may run
	dir        string // world-readable: the binary, the socket, the users' homes
	socket     string
	group      string
	member     string
	stranger   string
	profileDir string
	agentArgs  []string
	agent      *lab.Proc
	headend    *lab.Proc
	before     string // the client namespace before any tunnel
}

func newAgentLab(t *testing.T) *agentLab {
	t.Helper()
	testenv.NeedRoot(t)
	for _, c := range []string{"useradd", "groupadd", "userdel", "groupdel"} {
		testenv.NeedCommand(t, c, "passwd")
	}
	testenv.NeedCommand(t, "setpriv", "util-linux")
	testenv.NeedCommand(t, "ping", "iputils-ping")
	al := &agentLab{t: t}
	id := os.Getpid() % 100000
	al.group, al.member, al.stranger = fmt.Sprintf("vpncgo-g%d", id), fmt.Sprintf("vpncgo-m%d", id), fmt.Sprintf("vpncgo-s%d", id)

	dir, err := os.MkdirTemp("", "vpnc-go-agent-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	al.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	al.exe = filepath.Join(dir, "vpnc-go")
	if err := copyExecutable(binary(t), al.exe); err != nil {
		t.Fatal(err)
	}
	al.socket = filepath.Join(dir, "run", "agent.sock")
	al.profileDir = filepath.Join(dir, "managed-profiles") // empty until the policy step
	if err := os.Mkdir(al.profileDir, 0o755); err != nil {
		t.Fatal(err)
	}

	// The users and the group; removed afterwards whatever happens.
	mustRun(t, "groupadd", al.group)
	t.Cleanup(func() { runCmd("groupdel", al.group) })
	mustRun(t, "useradd", "-M", "-N", "-G", al.group, al.member)
	t.Cleanup(func() { runCmd("userdel", al.member) })
	mustRun(t, "useradd", "-M", "-N", al.stranger)
	t.Cleanup(func() { runCmd("userdel", al.stranger) })
	for _, u := range []string{al.member, al.stranger} {
		home := filepath.Join(dir, "home-"+u)
		if err := os.Mkdir(home, 0o700); err != nil {
			t.Fatal(err)
		}
		mustRun(t, "chown", u, home)
	}

	l := newPairLab(t, fmt.Sprintf("vpncgoag%d", id))
	al.l = l
	if err := headend.GeneratePKI(l.Dir, lab.HeadendAddr, "alice"); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(l.Dir, "headend.toml")
	if err := os.WriteFile(cfg, headend.SeedConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	if al.headend, err = l.Start("headend", "headend", "", al.exe, "responder", "-v", "--config", cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := al.headend.WaitFor("headend listening", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if al.before, err = clientState(l); err != nil {
		t.Fatal(err)
	}
	al.agentArgs = []string{al.exe, "agent", "-v", "--socket", al.socket, "--group", al.group,
		"--profile-dir", al.profileDir, "--cafile", filepath.Join(l.Dir, headend.CAFile),
		"--state-file", filepath.Join(l.Dir, "agent-netcfg.json")}
	al.startAgent()
	return al
}

func (al *agentLab) startAgent() {
	al.t.Helper()
	var err error
	if al.agent, err = al.l.Start("client", "agent", "", al.agentArgs...); err != nil {
		al.t.Fatal(err)
	}
	if _, err := al.agent.WaitFor("agent listening", 10*time.Second); err != nil {
		al.t.Fatal(err)
	}
}

// userEnv is the start of a command line that runs as user in the
// client namespace's shell (its primary group "users", its supplementary
// groups from the user database), with a home of its own and no profiles
// but the test's managed folder.
func (al *agentLab) userEnv(user string) []string {
	home := filepath.Join(al.dir, "home-"+user)
	return []string{"setpriv", "--reuid=" + user, "--regid=users", "--init-groups",
		"env", "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"VPNC_GO_PROFILE_DIRS=" + al.profileDir, "VPNC_GO_USER_PROFILE_DIR=" + al.profileDir}
}

// userArgs runs the CLI as user.
func (al *agentLab) userArgs(user string, args ...string) []string {
	return append(append(al.userEnv(user), al.exe), args...)
}

// cli runs a CLI command as user to its end: its output and exit status.
func (al *agentLab) cli(user, stdin string, args ...string) (string, int) {
	return al.runIn(stdin, al.userArgs(user, args...)...)
}

// runIn runs a command in the client namespace to its end.
func (al *agentLab) runIn(stdin string, args ...string) (string, int) {
	full := append([]string{"netns", "exec", al.l.NS("client")}, args...)
	cmd := exec.Command("ip", full...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	al.t.Fatalf("running %v: %v", args, err)
	return "", -1
}

// connect runs `vpnc-go connect` as the member; it returns once the
// tunnel is up.
func (al *agentLab) connect() string {
	al.t.Helper()
	return al.connectHost(lab.HeadendAddr)
}

func (al *agentLab) connectHost(host string) string {
	al.t.Helper()
	out, code := al.cli(al.member, e2ePassword+"\n", "connect", "--socket", al.socket, "--user", "alice", "--passwd-on-stdin", host)
	if code != 0 || !strings.Contains(out, "tunnel up in") {
		al.t.Fatalf("connect through the agent: status %d\n%s\nagent:\n%s", code, out, al.agent.Output())
	}
	return out
}

func (al *agentLab) status(user string) (*agent.Status, string) {
	al.t.Helper()
	out, code := al.cli(user, "", "status", "--json", "--socket", al.socket)
	var st agent.Status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		al.t.Fatalf("status --json: status %d\n%s", code, out)
	}
	return &st, out
}

func (al *agentLab) ping() error {
	_, err := al.l.Exec("client", "ping", "-c", "2", "-i", "0.2", "-W", "2", lab.HeadendIn)
	return err
}

// TestAgentEndToEnd: the agent runs as root; an unprivileged member of
// its group connects through the CLI with EAP-AnyConnect, pings through
// the tunnel, reads the status, and the tunnel outlives the front ends;
// a second watcher sees the same events; a user outside the group is
// refused; the agent killed outright is cleaned up by its next start, and
// stopped with SIGTERM it disconnects cleanly.
func TestAgentEndToEnd(t *testing.T) {
	al := newAgentLab(t)

	// A watcher follows the agent before anything happens.
	watcher, err := al.l.Start("client", "watcher", "", al.userArgs(al.member, "status", "--follow", "--json", "--socket", al.socket)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watcher.WaitFor(`"state":"idle"`, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	out := al.connect()
	t.Logf("connect as %s:\n%s", al.member, out)
	for _, want := range []string{"agent mode: the vpnc-go agent at " + al.socket, "authenticating", "configuring", "headend   " + lab.HeadendAddr} {
		if !strings.Contains(out, want) {
			t.Errorf("connect's output lacks %q:\n%s", want, out)
		}
	}
	if err := al.ping(); err != nil {
		t.Fatalf("ping through the tunnel: %v", err)
	}
	st, raw := al.status(al.member)
	if st.State != "connected" || st.Settings == nil || st.Settings.Device != "vpnc0" || !st.Settings.Address4.IsValid() ||
		st.Server != lab.HeadendAddr || st.User != "alice" {
		t.Fatalf("status --json: %s", raw)
	}

	if out, code := al.cli(al.member, "", "status", "--socket", al.socket); code != 0 ||
		!strings.Contains(out, "connected: "+lab.HeadendAddr+" ("+lab.HeadendAddr+"), user alice") || !strings.Contains(out, "device    vpnc0") {
		t.Errorf("status: status %d\n%s", code, out)
	}

	// The watcher saw the same session: its stages and the tunnel's
	// address.
	if _, err := watcher.WaitFor(`"kind":"connected"`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	wout := watcher.Output()
	t.Logf("the watcher:\n%s", wout)
	for _, want := range []string{`"stage":"authenticating"`, `"stage":"configuring"`, `"address4":"` + st.Settings.Address4.String() + `"`} {
		if !strings.Contains(wout, want) {
			t.Errorf("the watcher's events lack %s:\n%s", want, wout)
		}
	}

	// A second connect names the connected host.
	if out, code := al.cli(al.member, "", "connect", "--socket", al.socket, "203.0.113.7"); code == 0 || !strings.Contains(out, "already connected to \""+lab.HeadendAddr+"\"") {
		t.Errorf("a second connect: status %d\n%s", code, out)
	}

	// The stranger is refused at the socket's file mode, and, with the
	// mode opened, by the agent's credential check, which logs it.
	if out, code := al.cli(al.stranger, "", "status", "--socket", al.socket); code != exitNoAgent || !strings.Contains(out, "not open to this user") {
		t.Errorf("a stranger's status: status %d\n%s", code, out)
	}
	if err := os.Chmod(al.socket, 0o666); err != nil {
		t.Fatal(err)
	}
	out, code := al.cli(al.stranger, "", "disconnect", "--socket", al.socket)
	os.Chmod(al.socket, 0o660)
	if code != exitNoAgent || !strings.Contains(out, "refused this user") || !strings.Contains(out, "neither root nor a member") {
		t.Errorf("a stranger's disconnect: status %d\n%s", code, out)
	}
	uid := strings.TrimSpace(mustRun(t, "id", "-u", al.stranger))
	if _, err := al.agent.WaitFor(`refused a front end" uid=`+uid+" pid=", 5*time.Second); err != nil {
		t.Errorf("the refusal is not logged with uid and pid: %v", err)
	}

	// The watcher killed outright (the connecting CLI has exited already):
	// the tunnel stays up, and a disconnect from another process ends it.
	watcher.Kill()
	if err := al.ping(); err != nil {
		t.Fatalf("ping after the front ends went away: %v", err)
	}
	if st, raw := al.status(al.member); st.State != "connected" {
		t.Fatalf("status after the front ends went away: %s", raw)
	}
	if out, code := al.cli(al.member, "", "disconnect", "--socket", al.socket); code != 0 || !strings.Contains(out, "disconnected from "+lab.HeadendAddr) {
		t.Fatalf("disconnect: status %d\n%s", code, out)
	}
	if after, err := clientState(al.l); err != nil || after != al.before {
		t.Fatalf("the disconnect left changes behind (%v):\nbefore:\n%s\nafter:\n%s", err, al.before, after)
	}
	if st, raw := al.status(al.member); st.State != agent.StateIdle {
		t.Fatalf("status after disconnect: %s", raw)
	}

	// The agent killed outright while connected: its next start undoes
	// what it left (resolv.conf; the TUN device and its routes died with
	// it), and serves again.
	al.connect()
	al.agent.Kill()
	if resolv, err := al.l.Exec("client", "cat", "/etc/resolv.conf"); err != nil || !strings.Contains(resolv, lab.InsideDNS) {
		t.Fatalf("expected the dead agent's DNS in resolv.conf: %v\n%s", err, resolv)
	}
	al.startAgent()
	if after, err := clientState(al.l); err != nil || after != al.before {
		t.Fatalf("the restarted agent did not undo the dead one's changes (%v):\nbefore:\n%s\nafter:\n%s", err, al.before, after)
	}

	// A managed profile arrives (the agent reads its folder at each
	// request): manual hosts are forbidden now, and the managed host's
	// tunnel group cannot be overridden.
	if err := os.WriteFile(filepath.Join(al.profileDir, "corp.xml"), []byte(agentE2EProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := al.cli(al.member, "", "connect", "--socket", al.socket, "203.0.113.7"); code == 0 || !strings.Contains(out, "forbids other hosts") {
		t.Errorf("a manual host under AllowManualHostInput false: status %d\n%s", code, out)
	}
	if out, code := al.cli(al.member, "", "connect", "--socket", al.socket, "--group", "OTHER", "Corp VPN"); code == 0 || !strings.Contains(out, `its tunnel group is "ASA-IKEV2", not "OTHER"`) {
		t.Errorf("a managed host's group overridden: status %d\n%s", code, out)
	}

	// SIGTERM while connected (to the managed host): a clean disconnect.
	al.connectHost("Corp VPN")
	if err := al.ping(); err != nil {
		t.Fatalf("ping after the restart: %v", err)
	}
	deletes := strings.Count(al.headend.Output(), "peer deleted the IKE SA")
	if err := al.agent.Stop(15 * time.Second); err != nil {
		t.Fatalf("agent: %v\n%s", err, al.agent.Output())
	}
	if !strings.Contains(al.agent.Output(), "agent stopped") {
		t.Errorf("the agent did not stop cleanly:\n%s", al.agent.Output())
	}
	// The headend logged the Delete (its output is read concurrently:
	// look until the line is there).
	for limit := time.Now().Add(5 * time.Second); strings.Count(al.headend.Output(), "peer deleted the IKE SA") == deletes; {
		if time.Now().After(limit) {
			t.Fatalf("the headend got no Delete on SIGTERM:\n%s", al.headend.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if after, err := clientState(al.l); err != nil || after != al.before {
		t.Fatalf("SIGTERM left changes behind (%v):\nbefore:\n%s\nafter:\n%s", err, al.before, after)
	}
	if strings.Contains(al.agent.Output(), e2ePassword) {
		t.Errorf("the password is in the agent's log")
	}

	// Without an agent, an unprivileged connect says what to do.
	if out, code := al.cli(al.member, "", "connect", "--socket", al.socket, lab.HeadendAddr); code != exitNoAgent || !strings.Contains(out, "no vpnc-go agent is reachable") {
		t.Errorf("connect without an agent: status %d\n%s", code, out)
	}
}

func copyExecutable(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func runCmd(args ...string) (string, error) {
	switch args[0] {
	case "useradd", "groupadd", "userdel", "groupdel":
		// Not while another package's test has its own copy of the
		// account files bind-mounted (see testenv.LockAccounts).
		unlock, err := testenv.LockAccounts()
		if err != nil {
			return "", err
		}
		defer unlock()
	}
	var b bytes.Buffer
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runCmd(args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}
