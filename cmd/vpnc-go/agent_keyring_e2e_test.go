//go:build linux

package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

// recordingRelay sits between front ends and the agent's socket and keeps
// every byte that crosses it, each connection's two directions apart, so
// a test can search the socket traffic. The agent sees the relay (root)
// as its peer.
type recordingRelay struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []*relayed
	wg    sync.WaitGroup
}

type relayed struct{ up, down bytes.Buffer } // front end to agent, agent to front end

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newRecordingRelay(t *testing.T, path, agentSocket string) *recordingRelay {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	r := &recordingRelay{ln: ln}
	t.Cleanup(func() { ln.Close(); r.wg.Wait() })
	go func() {
		for {
			front, err := ln.Accept()
			if err != nil {
				return
			}
			back, err := net.Dial("unix", agentSocket)
			if err != nil {
				front.Close()
				continue
			}
			rc := &relayed{}
			r.mu.Lock()
			r.conns = append(r.conns, rc)
			r.mu.Unlock()
			r.wg.Add(2)
			pipe := func(dst, src net.Conn, rec *bytes.Buffer) {
				defer r.wg.Done()
				io.Copy(io.MultiWriter(dst, lockedWriter{&r.mu, rec}), src)
				dst.Close()
				src.Close()
			}
			go pipe(back, front, &rc.up)
			go pipe(front, back, &rc.down)
		}
	}()
	return r
}

// lines returns every recorded line, up (front end to agent) or down.
func (r *recordingRelay) lines(up bool) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.conns {
		b := c.down.String()
		if up {
			b = c.up.String()
		}
		out = append(out, strings.Split(strings.TrimSpace(b), "\n")...)
	}
	return out
}

// TestAgentKeyring: a desktop user with a real gnome-keyring Secret
// Service in a D-Bus session of its own connects through the agent with
// --save-password, answering the headend's form on the terminal; the
// password lands in that user's keyring, and the next connect uses it
// without asking. The password crosses the socket once per login (the
// form's answer, then the connect request of the login from the keyring),
// never from the agent to a front end, and never reaches the agent's log.
func TestAgentKeyring(t *testing.T) {
	testenv.NeedCommand(t, "dbus-run-session", "dbus")
	testenv.NeedCommand(t, "gnome-keyring-daemon", "gnome-keyring")
	al := newAgentLab(t)
	relay := newRecordingRelay(t, filepath.Join(al.dir, "relay.sock"), al.socket)
	script := `
		export XDG_RUNTIME_DIR="$HOME/run" XDG_DATA_HOME="$HOME/data"
		mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
		printf %s desktop-login | gnome-keyring-daemon --unlock --components=secrets >/dev/null
		for i in $(seq 100); do
			dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
				string:org.freedesktop.secrets | grep -q "boolean true" && break
			sleep 0.1
		done
		echo "== first"
		printf '\n%s\n' "$PW" | "$VPNC" connect --socket "$SOCK" --user alice --save-password "$HOST"
		"$VPNC" disconnect --socket "$SOCK"
		echo "== second"
		"$VPNC" connect --socket "$SOCK" "$HOST" </dev/null
		"$VPNC" disconnect --socket "$SOCK"
	`
	args := append(al.userEnv(al.member), "PW="+e2ePassword, "VPNC="+al.exe, "SOCK="+filepath.Join(al.dir, "relay.sock"),
		"HOST="+lab.HeadendAddr, "dbus-run-session", "--", "sh", "-ec", script)
	out, code := al.runIn("", args...)
	t.Logf("as %s in its D-Bus session:\n%s", al.member, out)
	if code != 0 {
		t.Fatalf("status %d\nagent:\n%s", code, al.agent.Output())
	}
	first, second, ok := strings.Cut(out, "== second")
	if !ok {
		t.Fatal("the second connect did not run")
	}
	for _, want := range []string{"Password:", "tunnel up in", "saved the password for alice@", "disconnected from"} {
		if !strings.Contains(first, want) {
			t.Errorf("the first connect's output lacks %q", want)
		}
	}
	for _, want := range []string{"using the password stored in the keyring for alice@", "tunnel up in"} {
		if !strings.Contains(second, want) {
			t.Errorf("the second connect's output lacks %q", want)
		}
	}
	if strings.Contains(second, "Password:") {
		t.Error("the second connect asked for the password")
	}
	if strings.Contains(out, e2ePassword) {
		t.Error("the password appears in the front end's output")
	}
	if strings.Contains(al.agent.Output(), e2ePassword) {
		t.Errorf("the password is in the agent's log")
	}

	// The socket traffic: the password once in an answer, once in a
	// connect request, nowhere else.
	var carried []string
	for _, l := range relay.lines(true) {
		if strings.Contains(l, e2ePassword) {
			carried = append(carried, l)
		}
	}
	if len(carried) != 2 || !strings.Contains(carried[0], `"cmd":"answer"`) || !strings.Contains(carried[1], `"cmd":"connect"`) {
		t.Errorf("the password crossed the socket in %d messages, want the form's answer then the next connect:\n%s", len(carried), strings.Join(carried, "\n"))
	}
	for _, l := range relay.lines(false) {
		if strings.Contains(l, e2ePassword) {
			t.Errorf("the agent sent the password to a front end: %s", l)
		}
	}
}
