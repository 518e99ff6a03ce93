//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/internal/swan"
)

// certGroup is a tunnel group for certificate clients, added to the seed
// configuration.
const certGroup = `
# Certificate clients (strongSwan with auth = pubkey), added by the interop test.
[tunnel-group.CERT]
auth = "certificate"
group-policy = "GP-ASA"
pool = "VPNPOOL"
`

// TestInteropStrongSwanClient connects strongSwan's charon as the client
// (kernel-libipsec, swanctl --initiate) to `vpnc-go responder` configured
// from the seed ASA's file: EAP-MSCHAPv2 in the STANDARD tunnel group
// (alice, nt-hash) and certificate authentication in a CERT group. The
// client pings the inside host and sends data to it through the
// responder's data plane, then terminates; the responder logs the end.
func TestInteropStrongSwanClient(t *testing.T) {
	requireSwan(t)
	exe := binary(t)
	for _, c := range []struct {
		name, group, auth string
		ike, esp          string
	}{
		{"EAP-MSCHAPv2", "STANDARD", "eap-mschapv2", seedIKE, cbcESP},
		{"certificate-ECDSA", "CERT", "pubkey", gcmIKE, gcmESP},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			sl := newSwanLab(t, false)
			if err := headend.GeneratePKI(sl.Dir, "vpn.example.com", "alice"); err != nil {
				t.Fatal(err)
			}
			cfg := bytes.Replace(headend.SeedConfig, []byte(`default-tunnel-group = "ASA-IKEV2"`),
				[]byte(`default-tunnel-group = "`+c.group+`"`), 1)
			cfg = append(cfg, certGroup...)
			cfgPath := filepath.Join(sl.Dir, "headend.toml")
			if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
				t.Fatal(err)
			}
			hp, err := sl.Start("headend", "responder", "", exe, "responder", "--config", cfgPath, "-v")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("responder (last 60 lines):\n%s", tail(hp.Output(), 60))
				}
				keepLog(t, "responder", hp.Output())
			})
			if _, err := hp.WaitFor("headend listening", 10*time.Second); err != nil {
				t.Fatal(err)
			}

			ch, err := swan.New(sl.Lab, "client", filepath.Join(sl.Dir, "charon"), swan.Settings{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("charon (last 80 lines):\n%s", tail(ch.Log(), 80))
				}
				keepLog(t, "charon", ch.Log())
			})
			cl := swan.Client{Remote: lab.HeadendAddr, RemoteID: "vpn.example.com", IKE: c.ike, ESP: c.esp,
				Auth: c.auth, RemoteTS: lab.InsideNet}
			if c.auth == "pubkey" {
				cl.Cert = headend.ClientCertFile
				if err := copyFile(filepath.Join(sl.Dir, headend.ClientCertFile), filepath.Join(ch.SwanctlDir(), "x509", headend.ClientCertFile)); err != nil {
					t.Fatal(err)
				}
				if err := copyFile(filepath.Join(sl.Dir, headend.ClientKeyFile), filepath.Join(ch.SwanctlDir(), "private", headend.ClientKeyFile)); err != nil {
					t.Fatal(err)
				}
			} else {
				cl.LocalID, cl.EAPID, cl.Password = "alice", "alice", password
			}
			if err := copyFile(filepath.Join(sl.Dir, headend.CAFile), filepath.Join(ch.SwanctlDir(), "x509ca", headend.CAFile)); err != nil {
				t.Fatal(err)
			}
			if err := ch.WriteSwanctl(cl.Conf()); err != nil {
				t.Fatal(err)
			}
			if err := ch.Start(); err != nil {
				t.Fatal(err)
			}
			out, err := ch.Swanctl("--initiate", "--child", "net", "--timeout", "20")
			if err != nil {
				t.Fatalf("swanctl --initiate: %v\n%s", err, out)
			}
			if _, err := ch.WaitLog("CHILD_SA net{1} established", 0, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			line, err := hp.WaitFor("session up", 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("responder: %s", strings.TrimSpace(line))
			res := sl.checkTraffic(t, false, 20<<20)
			t.Logf("ping fine, %d MB in %s (%.0f Mbit/s) through the responder's data plane",
				res.Bytes>>20, res.Duration.Round(time.Millisecond), res.Gbits()*1000)

			if out, err := ch.Swanctl("--terminate", "--ike", "home", "--timeout", "10"); err != nil {
				t.Fatalf("swanctl --terminate: %v\n%s", err, out)
			}
			if _, err := hp.WaitFor("session ended", 5*time.Second); err != nil {
				t.Fatal(err)
			}
			t.Logf("case done in %s", time.Since(start).Round(time.Millisecond))
		})
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
