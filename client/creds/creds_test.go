package creds

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/zalando/go-keyring"
)

// memKeyring is an in-memory backend with go-keyring's errors.
type memKeyring struct {
	m   map[string]string
	err error // returned by every call when set
}

func (k *memKeyring) Set(s, u, p string) error {
	if k.err != nil {
		return k.err
	}
	k.m[s+"\x00"+u] = p
	return nil
}

func (k *memKeyring) Get(s, u string) (string, error) {
	if k.err != nil {
		return "", k.err
	}
	p, ok := k.m[s+"\x00"+u]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return p, nil
}

func (k *memKeyring) Delete(s, u string) error {
	if k.err != nil {
		return k.err
	}
	if _, ok := k.m[s+"\x00"+u]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.m, s+"\x00"+u)
	return nil
}

func useMem(t *testing.T) *memKeyring {
	m := &memKeyring{m: map[string]string{}}
	old := kr
	kr = m
	t.Cleanup(func() { kr = old })
	return m
}

func TestAccount(t *testing.T) {
	for _, c := range []struct {
		k    Key
		want string
	}{
		{Key{"vpn.example.com", "ASA-IKEV2", "alice"}, "alice@ASA-IKEV2@vpn.example.com"},
		{Key{" VPN.Example.COM ", "", "alice"}, "alice@@vpn.example.com"},
		{Key{"192.0.2.1", "g@x", "bob@corp.example"}, "bob@corp.example@g%40x@192.0.2.1"},
		{Key{"2001:db8::1", "50%", "carol"}, "carol@50%25@2001:db8::1"},
	} {
		if got := c.k.Account(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.k, got, c.want)
		}
	}
	// Two keys that a naive join would mix up stay apart.
	a := Key{"h", "b@c", "a"}.Account()
	b := Key{"h", "c", "a@b"}.Account()
	if a == b {
		t.Fatalf("%q collides", a)
	}
}

func TestStoreLoadDelete(t *testing.T) {
	m := useMem(t)
	k := Key{Headend: "vpn.example.com", Group: "ASA-IKEV2", User: "alice"}
	if _, _, err := Load(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("load before store: %v", err)
	}
	if err := Store(k, "correct horse"); err != nil {
		t.Fatal(err)
	}
	if m.m["vpnc-go\x00alice@ASA-IKEV2@vpn.example.com"] != "correct horse" ||
		m.m["vpnc-go-user\x00ASA-IKEV2@vpn.example.com"] != "alice" {
		t.Fatalf("stored %v", m.m)
	}
	u, p, err := Load(Key{Headend: "VPN.example.com", Group: "ASA-IKEV2"})
	if err != nil || u != "alice" || p != "correct horse" {
		t.Fatalf("load without user: %q %q %v", u, p, err)
	}
	if err := Store(k, "battery staple"); err != nil {
		t.Fatal(err)
	}
	if _, p, _ := Load(k); p != "battery staple" {
		t.Fatalf("not replaced: %q", p)
	}
	// Another group is another key.
	if _, _, err := Load(Key{Headend: "vpn.example.com", Group: "OTHER", User: "alice"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other group: %v", err)
	}
	if u, err := Delete(Key{Headend: "vpn.example.com", Group: "ASA-IKEV2"}); err != nil || u != "alice" {
		t.Fatalf("delete: %q %v", u, err)
	}
	if len(m.m) != 0 {
		t.Fatalf("left %v", m.m)
	}
	if _, err := Delete(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := Delete(Key{Headend: "vpn.example.com"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete without user and none stored: %v", err)
	}
	if err := Store(Key{Headend: "vpn.example.com"}, "x"); err == nil {
		t.Fatal("stored without a user")
	}
}

func TestBackendErrorsMeanNoKeyring(t *testing.T) {
	m := useMem(t)
	m.err = fmt.Errorf("exec: %q: %w", "dbus-launch", errors.New("executable file not found in $PATH"))
	k := Key{Headend: "vpn.example.com", User: "alice"}
	for name, err := range map[string]error{
		"store":  Store(k, "correct horse"),
		"load":   func() error { _, _, err := Load(k); return err }(),
		"delete": func() error { _, err := Delete(k); return err }(),
	} {
		if !errors.Is(err, ErrNoKeyring) {
			t.Errorf("%s: %v does not match ErrNoKeyring", name, err)
		}
		var nk *NoKeyringError
		if !errors.As(err, &nk) {
			t.Errorf("%s: %T", name, err)
		}
	}
}

// TestNoSessionBus uses the real go-keyring with no session bus: every
// call says "no keyring available" and nothing autolaunches dbus.
func TestNoSessionBus(t *testing.T) {
	if _, err := os.Stat(filepath.Join(fmt.Sprintf("/run/user/%d", os.Getuid()), "bus")); err == nil {
		t.Skip("this user has a session bus socket in /run/user")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	k := Key{Headend: "vpn.example.com", Group: "G", User: "alice"}
	if err := Store(k, "correct horse"); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("store: %v", err)
	}
	if _, _, err := Load(k); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("load: %v", err)
	}
	if _, err := Delete(k); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("delete: %v", err)
	}
}

// TestUnreachableBus points go-keyring at a bus socket that does not
// exist: the library's own error becomes ErrNoKeyring.
func TestUnreachableBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	_, _, err := Load(Key{Headend: "vpn.example.com", User: "alice"})
	if !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("load: %v", err)
	}
	t.Log(err)
}
