//go:build keyring

package creds

// A test against a real Secret Service: .ci/keyring-test runs it inside
// dbus-run-session with gnome-keyring unlocked in a fresh HOME
// (go test -tags keyring). It checks each step with secret-tool
// (libsecret-tools), which reads the keyring without go-keyring.

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func secretTool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("secret-tool", args...).Output()
	return strings.TrimRight(string(out), "\n"), err
}

func TestSecretService(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no session bus: run this through .ci/keyring-test")
	}
	if _, err := exec.LookPath("secret-tool"); err != nil {
		t.Fatal("secret-tool is missing (Debian package libsecret-tools)")
	}
	k := Key{Headend: "vpn.example.com", Group: "ASA-IKEV2", User: "alice@corp.example"}
	const pw = "correct horse ünïcode \"quoted\""
	if _, _, err := Load(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("load before store: %v", err)
	}
	if err := Store(k, pw); err != nil {
		t.Fatal(err)
	}
	got, err := secretTool(t, "lookup", "service", Service, "username", k.Account())
	if err != nil || got != pw {
		t.Fatalf("secret-tool sees %q (%v)", got, err)
	}
	if got, _ := secretTool(t, "lookup", "service", UserService, "username", "ASA-IKEV2@vpn.example.com"); got != k.User {
		t.Fatalf("last user %q", got)
	}
	u, p, err := Load(Key{Headend: "vpn.example.com", Group: "ASA-IKEV2"})
	if err != nil || u != k.User || p != pw {
		t.Fatalf("load: %q %q %v", u, p, err)
	}
	// Replacing keeps one item.
	if err := Store(k, "battery staple"); err != nil {
		t.Fatal(err)
	}
	if _, p, _ := Load(k); p != "battery staple" {
		t.Fatalf("after replace: %q", p)
	}
	out, _ := secretTool(t, "search", "--all", "service", Service)
	if n := strings.Count(out, "label = Password for '"+k.Account()+"'"); n != 1 {
		t.Fatalf("%d items for %s:\n%s", n, k.Account(), out)
	}
	if strings.Contains(out, "secret = "+pw) {
		t.Fatal("the old password is still stored")
	}
	if u, err := Delete(Key{Headend: "vpn.example.com", Group: "ASA-IKEV2"}); err != nil || u != k.User {
		t.Fatalf("delete: %q %v", u, err)
	}
	if got, err := secretTool(t, "lookup", "service", Service, "username", k.Account()); err == nil || got != "" {
		t.Fatalf("still there: %q", got)
	}
	if _, _, err := Load(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("load after delete: %v", err)
	}
}
