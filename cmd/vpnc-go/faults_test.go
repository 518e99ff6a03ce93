//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/internal/swan"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

// The fault suite: the demo's namespaces with the client at --dpd 5s,
// under the faults users meet: a headend that crashes and restarts, the
// laptop's link going down and up, its address changing, heavy loss
// (nftables numgen rules: these kernels have no netem). The short versions
// run by default; their bounds are the goals with wide margins for a
// loaded machine, and the exact figures go to the log. VPNC_GO_FAULTS=long
// runs the long versions (headend and link down 90 s, 10 setups at 20 %
// and 30 % loss) and prints a table.

func longFaults() bool { return os.Getenv("VPNC_GO_FAULTS") == "long" }

// faultLab connects the client of the demo's lab with DPD 5 s and debug
// lines.
func faultLab(t *testing.T) *tunnelLab {
	t.Helper()
	testenv.NeedRoot(t)
	if _, err := os.Stat("/usr/bin/ping"); err != nil {
		t.Skip("needs ping (iputils-ping)")
	}
	var out bytes.Buffer
	tl, err := startTunnel(demoOptions{auth: "EAP-MSCHAPv2", esp: "aes256gcm16", out: &out, exe: binary(t),
		clientFlags: []string{"--dpd", "5s", "-v"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Cleanup(func() { tl.close() })
	return tl
}

// pingable pings the inside host through the tunnel until it answers and
// returns how long that took.
func (tl *tunnelLab) pingable(t *testing.T, within time.Duration) time.Duration {
	t.Helper()
	begin := time.Now()
	for time.Since(begin) < within {
		if _, err := tl.Exec("client", "ping", "-c", "1", "-W", "1", lab.InsideAddr); err == nil {
			return time.Since(begin)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no traffic through the tunnel within %s\nclient:\n%s\nheadend:\n%s", within, tail(tl.client.Output(), 40), tail(tl.headend.Output(), 20))
	return 0
}

// still fails the test if the client exited.
func (tl *tunnelLab) still(t *testing.T) {
	t.Helper()
	if done, err := tl.client.Exited(); done {
		t.Fatalf("the client exited (%v):\n%s", err, tail(tl.client.Output(), 40))
	}
}

// crashHeadend kills the headend (no Delete), waits down, restarts it
// and returns how long after the kill traffic flowed again.
func crashHeadend(t *testing.T, tl *tunnelLab, down time.Duration) time.Duration {
	t.Helper()
	tl.pingable(t, 10*time.Second)
	tl.headend.Kill()
	killed := time.Now()
	time.Sleep(down)
	tl.still(t)
	var err error
	if tl.headend, err = tl.Start("headend", "headend", "", tl.headendArgs...); err != nil {
		t.Fatal(err)
	}
	if _, err := tl.headend.WaitFor("headend listening", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	tl.pingable(t, 2*time.Minute)
	return time.Since(killed)
}

// TestFaultHeadendRestart: the headend crashes and is back 2 s later;
// with DPD 5 s traffic flows again within 3 DPD intervals plus a setup
// (goal 20 s; the bound allows a loaded machine twice that).
func TestFaultHeadendRestart(t *testing.T) {
	tl := faultLab(t)
	d := crashHeadend(t, tl, 2*time.Second)
	t.Logf("headend killed, back after 2 s: traffic again after %s (DPD 5 s)", d.Round(time.Millisecond))
	if d > 40*time.Second {
		t.Fatalf("traffic again only after %s", d)
	}
	if !strings.Contains(tl.client.Output(), "try 2 of 4") {
		t.Errorf("no debug line for the liveness check's retries:\n%s", tail(tl.client.Output(), 40))
	}
}

// TestFaultHeadendDownLong: a headend down longer than every retry
// schedule is waited for.
func TestFaultHeadendDownLong(t *testing.T) {
	down := 25 * time.Second
	if longFaults() {
		down = 90 * time.Second
	}
	tl := faultLab(t)
	d := crashHeadend(t, tl, down)
	t.Logf("headend down %s: traffic again %s after it came back", down, (d - down).Round(time.Millisecond))
	if d-down > 40*time.Second { // the backoff is capped at 30 s
		t.Fatalf("traffic again %s after the headend came back", d-down)
	}
}

// linkDown takes the client's link down for down and returns how long
// after it came back traffic flowed again.
func linkDown(t *testing.T, tl *tunnelLab, down time.Duration) time.Duration {
	t.Helper()
	tl.pingable(t, 10*time.Second)
	if _, err := tl.Exec("client", "ip", "link", "set", "to-headend", "down"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(down)
	tl.still(t)
	if _, err := tl.Exec("client", "ip", "link", "set", "to-headend", "up"); err != nil {
		t.Fatal(err)
	}
	return tl.pingable(t, time.Minute)
}

// TestFaultLinkDownUp: the client's link goes down longer than DPD needs
// to declare the headend dead; the client waits, and reconnects as soon
// as netlink reports the link back (goal 2 s).
func TestFaultLinkDownUp(t *testing.T) {
	down := 20 * time.Second
	if longFaults() {
		down = 90 * time.Second
	}
	tl := faultLab(t)
	d := linkDown(t, tl, down)
	t.Logf("link down %s: traffic again %s after it came back", down, d.Round(time.Millisecond))
	if d > 10*time.Second {
		t.Fatalf("traffic again only %s after the link came back", d)
	}
	if !strings.Contains(tl.client.Output(), "network change") {
		t.Errorf("no network change seen:\n%s", tail(tl.client.Output(), 40))
	}
}

// TestFaultAddressChange: the client's address is replaced, as by a new
// DHCP lease (removing the old one first: removing a primary address
// takes its secondaries along); a liveness check from the new address
// moves the IKE SA there (RFC 7296 section 2.23) and traffic flows again
// (goal 2 s).
func TestFaultAddressChange(t *testing.T) {
	tl := faultLab(t)
	tl.pingable(t, 10*time.Second)
	for _, c := range [][]string{
		{"ip", "addr", "del", lab.ClientAddr + "/24", "dev", "to-headend"},
		{"ip", "addr", "add", "192.0.2.3/24", "dev", "to-headend"},
	} {
		if _, err := tl.Exec("client", c...); err != nil {
			t.Fatal(err)
		}
	}
	d := tl.pingable(t, time.Minute)
	t.Logf("address changed: traffic again after %s", d.Round(time.Millisecond))
	if d > 10*time.Second {
		t.Fatalf("traffic again only after %s", d)
	}
	if !strings.Contains(tl.client.Output(), "liveness check: network change") {
		t.Errorf("no liveness check on the change:\n%s", tail(tl.client.Output(), 40))
	}
}

// lossRules drops pct % of IKE and NAT-T datagrams each way in the client
// namespace.
func lossRules(tl *tunnelLab, pct int) error {
	for _, r := range []string{
		"add table inet loss",
		"add chain inet loss out { type filter hook output priority 0 ; }",
		"add chain inet loss in { type filter hook input priority 0 ; }",
		fmt.Sprintf("add rule inet loss out udp dport { 500, 4500 } numgen random mod 100 < %d drop", pct),
		fmt.Sprintf("add rule inet loss in udp sport { 500, 4500 } numgen random mod 100 < %d drop", pct),
	} {
		if _, err := tl.Exec("client", append([]string{"nft"}, strings.Fields(r)...)...); err != nil {
			return err
		}
	}
	return nil
}

// setupUnderLoss connects n times through pct % loss each way and returns
// the times from the client's start to the tunnel (0 for a failure
// within 2 min).
func setupUnderLoss(t *testing.T, tl *tunnelLab, pct, n int) []time.Duration {
	t.Helper()
	if err := tl.disconnect(); err != nil {
		t.Fatal(err)
	}
	if err := lossRules(tl, pct); err != nil {
		t.Skipf("nftables: %v", err)
	}
	var out []time.Duration
	for range n {
		begin := time.Now()
		c, err := tl.Start("client", "client", "correct horse\n", tl.clientArgs...)
		if err != nil {
			t.Fatal(err)
		}
		tl.client = c
		if _, err := c.WaitFor("tunnel up in", 2*time.Minute); err != nil {
			out = append(out, 0)
			t.Logf("no tunnel: %v", err)
		} else {
			out = append(out, time.Since(begin))
		}
		if err := c.Stop(10 * time.Second); err != nil {
			t.Logf("stopping the client: %v", err)
		}
	}
	return out
}

func summary(ds []time.Duration, limit time.Duration) (ok int, median, worst time.Duration) {
	var good []time.Duration
	for _, d := range ds {
		if d > 0 && d <= limit {
			ok++
		}
		if d > 0 {
			good = append(good, d)
		}
	}
	sort.Slice(good, func(i, j int) bool { return good[i] < good[j] })
	if len(good) > 0 {
		median, worst = good[len(good)/2], good[len(good)-1]
	}
	return ok, median, worst
}

// TestFaultSetupUnderLoss connects through 30 % loss each way (10 times
// at 20 % and 30 % in the long version) and checks the tunnel comes up
// within the 30 s half-open limit of common headends.
func TestFaultSetupUnderLoss(t *testing.T) {
	tl := faultLab(t)
	runs := []struct{ pct, n int }{{30, 3}}
	if longFaults() {
		runs = []struct{ pct, n int }{{20, 10}, {30, 10}}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-10s %-12s %-10s %-10s\n", "loss", "up in 30 s", "median", "worst")
	for i, r := range runs {
		if i > 0 {
			tl.Exec("client", "nft", "delete", "table", "inet", "loss")
		}
		ds := setupUnderLoss(t, tl, r.pct, r.n)
		ok, med, worst := summary(ds, 30*time.Second)
		fmt.Fprintf(&table, "%-10s %-12s %-10s %-10s\n", fmt.Sprintf("%d %%", r.pct), fmt.Sprintf("%d/%d", ok, r.n),
			med.Round(100*time.Millisecond), worst.Round(100*time.Millisecond))
		// The goal is 9 in 10; a loaded machine gets one more miss, and
		// the short run of 3 one miss.
		if minOK := min(r.n*8/10, r.n-1); ok < minOK {
			t.Errorf("%d %% loss: only %d of %d connections within 30 s: %v", r.pct, ok, r.n, ds)
		}
	}
	t.Log(table.String())
}

// TestFaultHeadendRestartStrongSwanClient is the reference for
// TestFaultHeadendRestart: strongSwan's own client (dpd_delay 5 s,
// dpd_action restart) against the same headend emulator, killed and back
// 2 s later. Long version only: strongSwan's retransmissions take minutes.
func TestFaultHeadendRestartStrongSwanClient(t *testing.T) {
	if !longFaults() {
		t.Skip("VPNC_GO_FAULTS=long")
	}
	requireSwan(t)
	exe := binary(t)
	sl := newSwanLab(t, false)
	if err := headend.GeneratePKI(sl.Dir, "vpn.example.com", "alice"); err != nil {
		t.Fatal(err)
	}
	cfg := bytes.Replace(headend.SeedConfig, []byte(`default-tunnel-group = "ASA-IKEV2"`), []byte(`default-tunnel-group = "STANDARD"`), 1)
	cfgPath := filepath.Join(sl.Dir, "headend.toml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{exe, "responder", "--config", cfgPath}
	startHeadend := func() *lab.Proc {
		hp, err := sl.Start("headend", "responder", "", args...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hp.WaitFor("headend listening", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		return hp
	}
	hp := startHeadend()
	ch, err := swan.New(sl.Lab, "client", filepath.Join(sl.Dir, "charon"), swan.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	cl := swan.Client{Remote: lab.HeadendAddr, RemoteID: "vpn.example.com", IKE: gcmIKE, ESP: gcmESP,
		Auth: "eap-mschapv2", RemoteTS: lab.InsideNet, LocalID: "alice", EAPID: "alice", Password: password, DPD: 5 * time.Second}
	if err := copyFile(filepath.Join(sl.Dir, headend.CAFile), filepath.Join(ch.SwanctlDir(), "x509ca", headend.CAFile)); err != nil {
		t.Fatal(err)
	}
	if err := ch.WriteSwanctl(cl.Conf()); err != nil {
		t.Fatal(err)
	}
	if err := ch.Start(); err != nil {
		t.Fatal(err)
	}
	if out, err := ch.Swanctl("--initiate", "--child", "net", "--timeout", "20"); err != nil {
		t.Fatalf("swanctl --initiate: %v\n%s", err, out)
	}
	ping := func(within time.Duration) time.Duration {
		begin := time.Now()
		for time.Since(begin) < within {
			if _, err := sl.Exec("client", "ping", "-c", "1", "-W", "1", lab.InsideAddr); err == nil {
				return time.Since(begin)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("no traffic within %s\ncharon:\n%s", within, tail(ch.Log(), 60))
		return 0
	}
	ping(10 * time.Second)
	hp.Kill()
	killed := time.Now()
	time.Sleep(2 * time.Second)
	startHeadend()
	ping(6 * time.Minute)
	t.Logf("strongSwan's client, headend killed, back after 2 s: traffic again after %s (DPD 5 s)", time.Since(killed).Round(time.Millisecond))
}

// TestFaultStrongSwanHeadendRestart: vpnc-go (--dpd 5s) against a
// strongSwan headend that is killed and started again 2 s later. A
// restarted strongSwan answers nothing for unknown IKE SPIs, so only the
// client's own liveness checks find out. Long version only.
func TestFaultStrongSwanHeadendRestart(t *testing.T) {
	if !longFaults() {
		t.Skip("VPNC_GO_FAULTS=long")
	}
	requireSwan(t)
	binary(t)
	sl := newSwanLab(t, false)
	ch, pki := startSwanHeadend(t, sl, swanHeadendCase{swanAuth: "eap-mschapv2", ike: gcmIKE, esp: gcmESP, ts: splitTS})
	cl := sl.startVpnc(t, password, "--auth", "EAP-MSCHAPv2", "--user", "alice", "--esp", gcmESP, "--ike", gcmIKE,
		"--cafile", pki.CA, "--dpd", "5s")
	if _, err := cl.WaitFor("tunnel up in", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	ping := func(within time.Duration) time.Duration {
		begin := time.Now()
		for time.Since(begin) < within {
			if _, err := sl.Exec("client", "ping", "-c", "1", "-W", "1", lab.InsideAddr); err == nil {
				return time.Since(begin)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("no traffic within %s\nvpnc-go:\n%s", within, tail(cl.Output(), 40))
		return 0
	}
	ping(10 * time.Second)
	ch.Proc.Kill()
	killed := time.Now()
	time.Sleep(2 * time.Second)
	os.Remove(filepath.Join(ch.Dir, "charon.vici"))
	os.Remove(filepath.Join(ch.Dir, "run", "charon.pid"))
	if err := ch.Start(); err != nil {
		t.Fatal(err)
	}
	ping(3 * time.Minute)
	t.Logf("vpnc-go, strongSwan headend killed, back after 2 s: traffic again after %s (DPD 5 s)", time.Since(killed).Round(time.Millisecond))
}
