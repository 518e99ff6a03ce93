package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/zalando/go-keyring"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/creds"
	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
	"github.com/vpnc-go/vpnc-go/ikev2"
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

// memPlane connects a client session to an in-process headend emulator
// (the real policy of the seed configuration) without sockets or TUN.
type memPlane struct {
	mu    sync.Mutex
	srv   *ikev2.Server
	onIKE func(netip.AddrPort, bool, []byte)
}

var (
	memClient  = netip.MustParseAddrPort("192.0.2.2:40000")
	memHeadend = netip.MustParseAddr("192.0.2.1")
)

func (p *memPlane) LocalAddr(netip.AddrPort) (netip.AddrPort, error) { return memClient, nil }
func (p *memPlane) Install(*ikev2.ChildSA, []netip.Prefix) error     { return nil }
func (p *memPlane) Remove(*ikev2.ChildSA)                            {}
func (p *memPlane) Device() (string, int)                            { return "vpnc0", 1400 }
func (p *memPlane) Stats() client.Stats                              { return client.Stats{} }
func (p *memPlane) Close() error                                     { return nil }
func (p *memPlane) Usage(uint32) (uint64, bool)                      { return 0, false }

func (p *memPlane) SendIKE(_ netip.AddrPort, encap bool, msgs [][]byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range msgs {
		p.deliver(p.srv.HandleDatagram(time.Now(), memClient, encap, m))
	}
	return nil
}

func (p *memPlane) deliver(acts []ikev2.Action) {
	for _, a := range acts {
		if s, ok := a.(ikev2.Send); ok {
			port := uint16(500)
			if s.Encap {
				port = 4500
			}
			for _, d := range s.Datagrams {
				p.onIKE(netip.AddrPortFrom(memHeadend, port), s.Encap, d)
			}
		}
	}
}

func (p *memPlane) tick(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.mu.Lock()
			p.deliver(p.srv.HandleTimeout(time.Now()))
			p.mu.Unlock()
		}
	}
}

// syncBuffer is a bytes.Buffer several goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
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
			dir := t.TempDir()
			if err := headend.GeneratePKI(dir, memHeadend.String(), "alice"); err != nil {
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
			rc.Local = netip.AddrPortFrom(memHeadend, 500)
			srv, err := ikev2.NewServer(rc)
			if err != nil {
				t.Fatal(err)
			}
			plane := &memPlane{srv: srv}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go plane.tick(ctx)

			key := creds.Key{Headend: memHeadend.String(), Group: "ASA-IKEV2", User: "alice"}
			if err := creds.Store(key, stale); err != nil {
				t.Fatal(err)
			}
			var keylog syncBuffer
			o := client.Options{Server: memHeadend.String(), Group: "ASA-IKEV2", Auth: auth,
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
			sl := loadStoredLogin(&o, memHeadend.String(), true, true, &all, &all)
			if o.Password != stale || o.Username != "alice" {
				t.Fatalf("the keyring's password was not used: user %q", o.Username)
			}
			deps := client.Deps{NetConfig: &netcfg.Fake{}, NewDataPlane: func(c client.DataPlaneConfig) (client.DataPlane, error) {
				plane.mu.Lock()
				plane.onIKE = c.OnIKE
				plane.mu.Unlock()
				return plane, nil
			}}
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- runSessions(runCtx, cmd, "Demo ASA", o, sl, deps) }()
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(all.String(), "saved the password") {
				if time.Now().After(deadline) {
					t.Fatalf("no tunnel with the password saved:\n%s", all.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			stop()
			if err := <-done; err != nil {
				t.Fatalf("session: %v\n%s", err, all.String())
			}
			if _, p, err := creds.Load(key); err != nil || p != good {
				t.Fatalf("the keyring holds the wrong password (%v)", err)
			}
			output := all.String() + keylog.String()
			for _, want := range []string{"using the password stored in the keyring for alice@ASA-IKEV2@192.0.2.1",
				"tunnel up", "debug: ", "headend: ", "saved the password for alice@ASA-IKEV2@192.0.2.1"} {
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
		})
	}
}
