//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

// groupKindsConfig adds a certificate-only and a certificate + password
// EAP-AnyConnect tunnel group to the seed's password group ASA-IKEV2.
const groupKindsConfig = `
[tunnel-group.CERT-ONLY]
auth = "eap-anyconnect"
authentication = "certificate"
group-policy = "GP-ASA"
pool = "VPNPOOL"

[tunnel-group.CERT-AAA]
auth = "eap-anyconnect"
authentication = "aaa certificate"
group-policy = "GP-ASA"
pool = "VPNPOOL"
`

// TestGroupKindsEndToEnd: vpnc-go connect to a tunnel group of each
// EAP-AnyConnect kind of the headend emulator, in namespaces: the
// certificate-only group with --cert and nothing on standard input (no
// password is asked), certificate + password, and password only.
func TestGroupKindsEndToEnd(t *testing.T) {
	testenv.NeedRoot(t)
	exe := binary(t)
	l := newPairLab(t, fmt.Sprintf("vpncgogk%d", os.Getpid()))
	if err := headend.GeneratePKI(l.Dir, lab.HeadendAddr, "alice"); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(l.Dir, "headend.toml")
	if err := os.WriteFile(cfg, append(append([]byte(nil), headend.SeedConfig...), groupKindsConfig...), 0o600); err != nil {
		t.Fatal(err)
	}
	he, err := l.Start("headend", "headend", "", exe, "responder", "-v", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := he.WaitFor("headend listening", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(l.Dir, "no-profiles")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		group, stdin string
		cert         bool
	}{
		{"CERT-ONLY", "", true},
		{"CERT-AAA", e2ePassword + "\n", true},
		{"ASA-IKEV2", e2ePassword + "\n", false},
	} {
		args := []string{"env", "VPNC_GO_USER_PROFILE_DIR=", "VPNC_GO_PUSHED_PROFILE_DIR=", exe, "connect", "-v",
			"--profile-dir", empty, "--cafile", filepath.Join(l.Dir, headend.CAFile),
			"--state-file", filepath.Join(l.Dir, c.group+"-netcfg.json"), "--group", c.group}
		if c.cert {
			args = append(args, "--cert", filepath.Join(l.Dir, headend.ClientCertFile), "--key", filepath.Join(l.Dir, headend.ClientKeyFile))
		}
		if c.stdin != "" {
			args = append(args, "--user", "alice", "--passwd-on-stdin")
		}
		cp, err := l.Start("client", c.group, c.stdin, append(args, lab.HeadendAddr)...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cp.WaitFor("tunnel up in", 30*time.Second); err != nil {
			t.Fatalf("%s: %v\nheadend:\n%s", c.group, err, he.Output())
		}
		if _, err := he.WaitFor("group "+c.group+")", 5*time.Second); err != nil {
			t.Errorf("%s: the headend did not lease in the group: %v", c.group, err)
		}
		if out, err := l.Exec("client", "ping", "-c", "1", "-W", "2", lab.HeadendIn); err != nil {
			t.Errorf("%s: ping through the tunnel: %v\n%s", c.group, err, out)
		}
		stopClient(t, cp)
		// The password form's label; stdin is empty, so a form would also
		// have ended the connection.
		if c.group == "CERT-ONLY" && strings.Contains(cp.Output(), "Password:") {
			t.Errorf("the certificate-only login asked for a password:\n%s", cp.Output())
		}
	}
}
