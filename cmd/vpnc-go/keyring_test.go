package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spf13/cobra"
	"github.com/zalando/go-keyring"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/clienttest"
	"github.com/vpnc-go/vpnc-go/client/creds"
	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
	"github.com/vpnc-go/vpnc-go/profile"
)

// mockKeyring swaps go-keyring for its in-memory mock for one test. The
// bus address only gets creds past its "is there a session bus" check;
// nothing connects to it.
func mockKeyring(t *testing.T) {
	t.Helper()
	keyring.MockInit()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mock-keyring")
}

// noProfiles keeps the system and user profile folders out of a test.
func noProfiles(t *testing.T) string {
	t.Helper()
	empty := t.TempDir()
	t.Setenv("VPNC_GO_USER_PROFILE_DIR", empty)
	return empty
}

const forgetProfile = `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ServerList>
    <HostEntry>
      <HostName>Corp VPN</HostName>
      <HostAddress>VPN.example.com</HostAddress>
      <UserGroup>ENG</UserGroup>
      <PrimaryProtocol>IPsec</PrimaryProtocol>
    </HostEntry>
  </ServerList>
</AnyConnectProfile>
`

func TestForget(t *testing.T) {
	mockKeyring(t)
	empty := noProfiles(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "corp.xml"), []byte(forgetProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	k := creds.Key{Headend: "vpn.example.com", Group: "ENG", User: "alice"}
	if err := creds.Store(k, "correct horse"); err != nil {
		t.Fatal(err)
	}
	other := creds.Key{Headend: "vpn.example.com", Group: "OPS", User: "bob"}
	if err := creds.Store(other, "battery staple"); err != nil {
		t.Fatal(err)
	}
	// By HostName: the profile's address and UserGroup, the last user.
	out, err := runCLI(t, "forget", "Corp VPN", "--profile-dir", dir)
	if err != nil || !strings.Contains(out, "removed the password for alice@ENG@vpn.example.com") {
		t.Fatalf("forget: %v\n%s", err, out)
	}
	if _, _, err := creds.Load(k); !errors.Is(err, creds.ErrNotFound) {
		t.Fatalf("still stored: %v", err)
	}
	out, err = runCLI(t, "forget", "Corp VPN", "--profile-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "holds no password") {
		t.Fatalf("second forget: %v\n%s", err, out)
	}
	// By address, with group and user.
	out, err = runCLI(t, "forget", "vpn.example.com", "--profile-dir", empty, "--group", "OPS", "--user", "bob")
	if err != nil || !strings.Contains(out, "bob@OPS@vpn.example.com") {
		t.Fatalf("forget by address: %v\n%s", err, out)
	}
	if _, _, err := creds.Load(other); !errors.Is(err, creds.ErrNotFound) {
		t.Fatalf("still stored: %v", err)
	}
}

func TestForgetWithoutKeyring(t *testing.T) {
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		t.Skip("this user has a session bus")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	empty := noProfiles(t)
	out, err := runCLI(t, "forget", "vpn.example.com", "--profile-dir", empty, "--user", "alice")
	if err == nil || !strings.Contains(err.Error(), "no keyring available") {
		t.Fatalf("got %v\n%s", err, out)
	}
}

// syncBuffer is a bytes.Buffer several goroutines write to.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	watches []watch
}

// watch is a text whose first appearance in a syncBuffer closes seen.
type watch struct {
	text string
	seen chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	s.watches = slices.DeleteFunc(s.watches, func(w watch) bool {
		if strings.Contains(s.b.String(), w.text) {
			close(w.seen)
			return true
		}
		return false
	})
	return n, err
}

// appeared returns a channel closed once text is written.
func (s *syncBuffer) appeared(text string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := watch{text, make(chan struct{})}
	if strings.Contains(s.b.String(), text) {
		close(w.seen)
	} else {
		s.watches = append(s.watches, w)
	}
	return w.seen
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretsNeverPrinted runs verbose sessions through the connect
// command's own code (keyring lookup, the session, its events printed,
// forms asked, the password saved) against the headend emulator with the
// seed configuration, with every debug line of the client and the
// headend, the key log and the keyring's messages captured, and finds
// neither the right password nor the stale stored one in any of it.
// Both paths where the keyring's password is refused are covered:
// EAP-AnyConnect (the headend shows the form again) and EAP-MSCHAPv2 (a
// new session asks).
func TestSecretsNeverPrinted(t *testing.T) {
	const (
		good  = "correct horse" // alice's password in the seed configuration
		stale = "stale-secret-4711"
	)
	for _, auth := range []profile.AuthMethod{profile.AuthEAPAnyConnect, profile.AuthEAPMSCHAPv2} {
		t.Run(string(auth), func(t *testing.T) {
			mockKeyring(t)
			// The session and the in-process headend run on the bubble's
			// clock; the certificates are made on it too.
			synctest.Test(t, func(t *testing.T) {
				secretsNeverPrinted(t, auth, good, stale)
			})
		})
	}
}

// secretsNeverPrinted is one case of TestSecretsNeverPrinted, in a
// synctest bubble.
func secretsNeverPrinted(t *testing.T, auth profile.AuthMethod, good, stale string) {
	headendAddr := clienttest.HeadendAddr.String()
	dir := t.TempDir()
	if err := headend.GeneratePKI(dir, headendAddr, "alice"); err != nil {
		t.Fatal(err)
	}
	var all syncBuffer // everything anything printed
	logf := func(format string, args ...any) { fmt.Fprintf(&all, "headend: "+format+"\n", args...) }
	cfg, err := headend.Parse(filepath.Join(dir, "headend.toml"), headend.SeedConfig)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := headend.NewPolicy(cfg, logf)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := pol.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	hd := clienttest.NewHeadend(t, rc)

	key := creds.Key{Headend: headendAddr, Group: "ASA-IKEV2", User: "alice"}
	if err := creds.Store(key, stale); err != nil {
		t.Fatal(err)
	}
	var keylog syncBuffer
	o := client.Options{Server: headendAddr, Group: "ASA-IKEV2", Auth: auth,
		CAFile: filepath.Join(dir, headend.CAFile), KeyLog: &keylog,
		Log: func(format string, args ...any) { fmt.Fprintf(&all, "debug: "+format+"\n", args...) }}
	cmd := &cobra.Command{}
	cmd.SetOut(&all)
	cmd.SetErr(&all)
	// EAP-AnyConnect shows its form again: the user name keeps its
	// default (alice, from the keyring), the password is typed.
	// EAP-MSCHAPv2 allows a retry within the exchange, whose form
	// asks for the password alone.
	input := "\n" + good + "\n"
	if auth == profile.AuthEAPMSCHAPv2 {
		input = good + "\n"
	}
	cmd.SetIn(strings.NewReader(input))
	sl := loadStoredLogin(&o, headendAddr, true, true, &all, &all)
	if o.Password != stale || o.Username != "alice" {
		t.Fatalf("the keyring's password was not used: user %q", o.Username)
	}
	deps := client.Deps{NetConfig: &netcfg.Fake{}, NewDataPlane: hd.NewDataPlane}
	saved := all.appeared("saved the password")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- runSessions(ctx, cmd, "Demo ASA", o, sl, deps) }()
	select {
	case <-saved:
	case <-time.After(time.Minute): // on the bubble's clock
		t.Fatalf("no tunnel with the password saved:\n%s", all.String())
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("session: %v\n%s", err, all.String())
	}
	if _, p, err := creds.Load(key); err != nil || p != good {
		t.Fatalf("the keyring holds the wrong password (%v)", err)
	}
	output := all.String() + keylog.String()
	for _, want := range []string{"using the password stored in the keyring for alice@ASA-IKEV2@" + headendAddr,
		"tunnel up", "debug: ", "headend: ", "saved the password for alice@ASA-IKEV2@" + headendAddr} {
		if !strings.Contains(output, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if keylog.String() == "" {
		t.Error("nothing in the key log")
	}
	for _, secret := range []string{good, stale} {
		if strings.Contains(output, secret) {
			t.Errorf("%q appears in the output", secret)
		}
	}
	refused := "error: " // the AnyConnect form again, with the headend's error
	if auth == profile.AuthEAPMSCHAPv2 {
		refused = "error: MS-CHAPv2 failure E=691" // the retry form
	}
	if !strings.Contains(output, refused) {
		t.Errorf("the stale password was not refused (%q)", refused)
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("output:\n%s", output)
	}
}
