package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/clienttest"
	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// serveExample runs the emulator's IKE with the example policy
// testdata/headend/NAME on a loopback UDP port until the test ends.
func serveExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "headend", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := headend.GeneratePKI(dir, "vpn.example.com", "alice"); err != nil {
		t.Fatal(err)
	}
	cfg, err := headend.Parse(filepath.Join(dir, name), b)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := headend.NewPolicy(cfg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := pol.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	return clienttest.ServeUDP(t, rc)
}

func TestProbeCommand(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("VPNC_GO_USER_PROFILE_DIR", empty)
	t.Run("legacy", func(t *testing.T) {
		addr := serveExample(t, "cisco-legacy-group2.toml")
		out, err := runCLI(t, "probe", "--profile-dir", empty, addr)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		t.Log(out)
		for _, want := range []string{
			"AES-GCM  ", "refused (NO_PROPOSAL_CHOSEN)",
			"accepts aes192-sha1-prfsha1-modp1024 (asked for modp1024)  --ike aes192-sha1-modp1024  WEAK: MODP-1024 (group 2) is below 2048 bits", "vpnc-go connect --ike aes192-sha1-modp1024 " + addr, "--remember",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q", want)
			}
		}
	})
	t.Run("modern", func(t *testing.T) {
		addr := serveExample(t, "cisco-gcm-group19.toml")
		out, err := runCLI(t, "probe", "--profile-dir", empty, addr)
		if err != nil || !strings.Contains(out, "accepts aes256gcm16-prfsha256-ecp256") || !strings.Contains(out, "needs no --ike") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
}

func TestProposalHint(t *testing.T) {
	ike := &ikev2.PeerError{Exchange: iana.IKE_SA_INIT, Type: iana.NO_PROPOSAL_CHOSEN}
	err := proposalHint(ike, "vpn.example.com", "Example")
	if !errors.Is(err, ike) || !strings.Contains(err.Error(), "`vpnc-go probe vpn.example.com`") || !strings.Contains(err.Error(), "--ike") {
		t.Fatalf("IKE: %v", err)
	}
	esp := &ikev2.PeerError{Exchange: iana.IKE_AUTH, Type: iana.NO_PROPOSAL_CHOSEN}
	if err := proposalHint(esp, "", "Example"); !strings.Contains(err.Error(), "--esp") || strings.Contains(err.Error(), "probe") {
		t.Fatalf("ESP: %v", err)
	}
	other := errors.New("other")
	if proposalHint(other, "h", "h") != other {
		t.Fatal("other errors changed")
	}
}

func TestRememberedProposals(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var out strings.Builder
	f := &connectFlags{remember: true}
	if _, err := f.hostProposals(&client.Options{}, "vpn.example.com", &out); err == nil {
		t.Fatal("--remember without --ike or --esp accepted")
	}
	f = &connectFlags{remember: true, ike: "aes192-sha1-bogus"}
	if _, err := f.hostProposals(&client.Options{}, "vpn.example.com", &out); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("bad --ike: %v", err)
	}
	f = &connectFlags{remember: true, ike: "aes192-sha1-modp1024"}
	store, err := f.hostProposals(&client.Options{}, "vpn.example.com", &out)
	if err != nil || store == nil {
		t.Fatal(err)
	}
	o := client.Options{}
	if _, err := (&connectFlags{}).hostProposals(&o, "vpn.example.com", &out); err != nil || o.IKEProposals != "" {
		t.Fatalf("remembered before the tunnel came up: %q %v", o.IKEProposals, err)
	}
	store() // the tunnel is up
	if _, err := (&connectFlags{}).hostProposals(&o, "VPN.example.com", &out); err != nil || o.IKEProposals != "aes192-sha1-modp1024" {
		t.Fatalf("not applied: %q %v", o.IKEProposals, err)
	}
	o = client.Options{}
	if _, err := (&connectFlags{}).hostProposals(&o, "other.example.com", &out); err != nil || o.IKEProposals != "" {
		t.Fatalf("applied to another host: %q %v", o.IKEProposals, err)
	}
	o = client.Options{}
	if _, err := (&connectFlags{ike: "aes256gcm16-prfsha256-ecp256"}).hostProposals(&o, "vpn.example.com", &out); err != nil || o.IKEProposals != "" {
		t.Fatalf("a flag must win over the remembered setting: %q %v", o.IKEProposals, err)
	}
	o = client.Options{}
	if _, err := (&connectFlags{esp: "aes256-sha1"}).hostProposals(&o, "vpn.example.com", &out); err != nil || o.IKEProposals != "aes192-sha1-modp1024" {
		t.Fatalf("--esp alone must keep the remembered IKE choice: %q %v", o.IKEProposals, err)
	}
	if !strings.Contains(out.String(), "remembered for vpn.example.com") || !strings.Contains(out.String(), "using the proposals remembered for VPN.example.com") {
		t.Fatalf("output %q", out.String())
	}
	if o2, err := runCLI(t, "forget", "--proposals", "vpn.example.com"); err != nil || !strings.Contains(o2, "defaults again") {
		t.Fatalf("forget: %v %s", err, o2)
	}
	o = client.Options{}
	if _, err := (&connectFlags{}).hostProposals(&o, "vpn.example.com", &out); err != nil || o.IKEProposals != "" {
		t.Fatalf("still applied after forget: %q %v", o.IKEProposals, err)
	}
}
