//go:build keyring

package main

// Run by .ci/keyring-test (go test -tags keyring) inside a D-Bus session
// with gnome-keyring: the real Secret Service, reached from the client's
// network namespace through the bus's socket path.

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client/creds"
)

// TestProfileKeyringEndToEnd: connect --save-password stores the password
// after the login, the next connect uses it without asking (and without
// --user), a stale stored password is refused by the headend, asked
// again and replaced, and forget removes it.
func TestProfileKeyringEndToEnd(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no session bus: run this through .ci/keyring-test")
	}
	pl := newProfileLab(t)
	key := creds.Key{Headend: e2ePrimary, Group: e2eGroup, User: "alice"}
	account := key.Account() // alice@ENGINEERING@192.0.2.99: the primary, not the backup
	if _, err := creds.Delete(key); err != nil && !errors.Is(err, creds.ErrNotFound) {
		t.Fatal(err)
	}
	run := func(name, stdin string, want []string, extra ...string) string {
		t.Helper()
		cp := pl.connect(t, name, stdin, extra...)
		for _, w := range want {
			if _, err := cp.WaitFor(w, 60*time.Second); err != nil {
				t.Fatalf("%v\nheadend:\n%s", err, pl.headend.Output())
			}
		}
		stopClient(t, cp)
		out := cp.Output()
		if strings.Contains(out, e2ePassword) || strings.Contains(out, "stale-e2e-secret") {
			t.Fatalf("a password appears in the output:\n%s", out)
		}
		return out
	}

	run("save", e2ePassword+"\n", []string{"tunnel up in", "saved the password for " + account + " in the keyring"},
		"--user", "alice", "--passwd-on-stdin", "--save-password")
	if _, p, err := creds.Load(key); err != nil || p != e2ePassword {
		t.Fatalf("not stored (%v)", err)
	}

	// No --user, nothing on stdin: the keyring has all.
	out := run("stored", "", []string{"using the password stored in the keyring for " + account, "tunnel up in"})
	if strings.Contains(out, "Password:") {
		t.Fatalf("asked for the password:\n%s", out)
	}

	// A stale password: the headend refuses it, the form is asked (user
	// name kept, password typed) and the new one replaces it.
	if err := creds.Store(key, "stale-e2e-secret"); err != nil {
		t.Fatal(err)
	}
	run("stale", "\n"+e2ePassword+"\n", []string{"using the password stored in the keyring", "Login failed", "tunnel up in",
		"saved the password for " + account}, "--save-password")
	if _, p, err := creds.Load(key); err != nil || p != e2ePassword {
		t.Fatalf("not replaced (%v)", err)
	}

	t.Setenv("VPNC_GO_USER_PROFILE_DIR", pl.userDir)
	if out, err := runCLI(t, "forget", e2eHostName, "--profile-dir", pl.managedDir); err != nil ||
		!strings.Contains(out, "removed the password for "+account) {
		t.Fatalf("forget: %v\n%s", err, out)
	}
	if _, _, err := creds.Load(key); !errors.Is(err, creds.ErrNotFound) {
		t.Fatalf("after forget: %v", err)
	}
}
