//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/internal/swan"
)

// TestInteropStrongSwanDefaults runs vpnc-go with no proposal flags against
// strongSwan headends restricted to one suite each, in one lab and one
// charon whose configuration is reloaded per policy: the sound ones accept
// the default offer; a legacy one (the seed ASA's aes192-sha1-modp1024)
// refuses it, and then `vpnc-go probe` names the suite, the named --ike
// connects with the weak-suite warning, and --remember keeps it for that
// host.
func TestInteropStrongSwanDefaults(t *testing.T) {
	requireSwan(t)
	binary(t)
	start := time.Now()
	sl := newSwanLab(t, false)
	pki, err := swan.MakePKI(sl.Dir, swan.PKIOptions{ServerHost: lab.HeadendAddr, Client: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := swan.New(sl.Lab, "headend", filepath.Join(sl.Dir, "charon"), swan.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.Install(ch, pki.ServerCert, pki.ServerKey); err != nil {
		t.Fatal(err)
	}
	load := func(ike, esp string) {
		t.Helper()
		h := swan.Headend{IKE: ike, ESP: esp, RemoteAuth: "eap-mschapv2", LocalID: lab.HeadendAddr, LocalTS: splitTS,
			Pool: "10.2.2.1-10.2.2.10", DNS: lab.InsideDNS, Users: map[string]string{"alice": password}}
		if err := ch.WriteSwanctl(h.Conf()); err != nil {
			t.Fatal(err)
		}
		if ch.Proc == nil {
			if err := ch.Start(); err != nil {
				t.Fatal(err)
			}
			return
		}
		if out, err := ch.Swanctl("--load-all", "--noprompt"); err != nil {
			t.Fatalf("reloading: %v\n%s", err, out)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("charon's log (last 80 lines):\n%s", tail(ch.Log(), 80))
		}
		keepLog(t, "charon", ch.Log())
	})
	base := []string{"--auth", "EAP-MSCHAPv2", "--user", "alice", "--cafile", pki.CA}
	// up connects, checks the suites and a little traffic, and disconnects;
	// it returns vpnc-go's output.
	up := func(t *testing.T, ike, esp string, args ...string) string {
		t.Helper()
		cl := sl.startVpnc(t, password, append(append([]string(nil), base...), args...)...)
		if _, err := cl.WaitFor("  ESP ", 30*time.Second); err != nil {
			t.Fatalf("%v\n%s", err, tail(cl.Output(), 40))
		}
		out := cl.Output()
		if l := grepLines(out, "  IKE "); len(l) != 1 || !hasAll(l[0], strings.Split(ike, "-")) {
			t.Errorf("IKE suite %v, want %s", l, ike)
		}
		if l := grepLines(out, "  ESP "); len(l) != 1 || strings.Fields(l[0])[1] != esp {
			t.Errorf("ESP suite %v, want %s", l, esp)
		}
		sl.checkTraffic(t, true, 1<<20)
		mark := ch.Lines()
		if err := cl.Stop(10 * time.Second); err != nil {
			t.Fatalf("vpnc-go did not end cleanly: %v", err)
		}
		if _, err := ch.WaitLog("received DELETE for IKE_SA", mark-1, 5*time.Second); err != nil {
			t.Error(err)
		}
		return cl.Output()
	}

	for _, c := range []struct{ ike, esp, wantIKE string }{
		{"aes256gcm16-prfsha256-ecp256", "aes256gcm16", "aes256gcm16-prfsha256-ecp256"},
		{"aes128-sha256-modp2048", "aes256-sha1", "aes128-sha256-prfsha256-modp2048"},
		{"aes256-sha512-ecp521", "aes128-sha256", "aes256-sha512-prfsha512-ecp521"},
	} {
		t.Run("defaults-vs-"+c.ike+"-"+c.esp, func(t *testing.T) {
			load(c.ike, c.esp)
			out := up(t, c.wantIKE, c.esp)
			if w := grepLines(out, "warning: weak"); len(w) != 0 {
				t.Errorf("a sound suite was warned about: %v", w)
			}
		})
	}

	t.Run("legacy-"+seedIKE, func(t *testing.T) {
		load(seedIKE, cbcESP)
		cl := sl.startVpnc(t, password, base...)
		code, ended := exitCode(cl.Proc, 30*time.Second)
		out := cl.Output()
		if !ended || code == 0 || !strings.Contains(out, "answered IKE_SA_INIT with NO_PROPOSAL_CHOSEN") ||
			!strings.Contains(out, "`vpnc-go probe "+lab.HeadendAddr+"`") {
			t.Fatalf("the default offer against the legacy headend: ended %v, status %d:\n%s", ended, code, tail(out, 20))
		}
		t.Logf("refused: %s", strings.Join(grepLines(out, "vpnc-go probe"), " | "))

		empty := filepath.Join(sl.Dir, "no-profiles")
		probe, err := sl.Exec("client", "env", "VPNC_GO_USER_PROFILE_DIR="+empty, binary(t), "probe", "--profile-dir", empty, lab.HeadendAddr)
		t.Logf("vpnc-go probe:\n%s", probe)
		if err != nil || !strings.Contains(probe, "accepts aes192-sha1-prfsha1-modp1024") || !strings.Contains(probe, "--ike aes192-sha1-modp1024") ||
			!strings.Contains(probe, "WEAK: MODP-1024") || strings.Count(probe, "refused (NO_PROPOSAL_CHOSEN)") != 4 {
			t.Fatalf("probe: %v", err)
		}

		out = up(t, "aes192-sha1-prfsha1-modp1024", cbcESP, "--ike", "aes192-sha1-modp1024", "--remember")
		warn := grepLines(out, "warning: weak encryption")
		if len(warn) != 1 || !strings.Contains(warn[0], "IKE aes192-sha1-prfsha1-modp1024 (MODP-1024 (group 2) is below 2048 bits)") {
			t.Fatalf("weak-suite warning %q", warn)
		}
		t.Logf("%s", warn[0])
		if _, err := os.Stat(filepath.Join(sl.Dir, "config", "vpnc-go", "hosts.json")); err != nil || len(grepLines(out, "remembered for "+lab.HeadendAddr)) != 1 {
			t.Fatalf("--remember: %v", err)
		}
		// Remembered: no flag needed for this host any more, and still the
		// warning on this connection too.
		out = up(t, "aes192-sha1-prfsha1-modp1024", cbcESP)
		if len(grepLines(out, "using the proposals remembered for "+lab.HeadendAddr)) != 1 || len(grepLines(out, "warning: weak encryption")) != 1 {
			t.Fatalf("the remembered setting was not used:\n%s", tail(out, 30))
		}
	})
	t.Logf("done in %s", time.Since(start).Round(time.Millisecond))
}
