//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

var (
	buildOnce sync.Once
	builtExe  string
	buildErr  error
)

// binary builds vpnc-go once for the end-to-end tests.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vpnc-go-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		builtExe = filepath.Join(dir, "vpnc-go")
		out, err := exec.Command("go", "build", "-o", builtExe, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			builtExe = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building vpnc-go: %v\n%s", buildErr, builtExe)
	}
	return builtExe
}

// TestEndToEnd runs the demo's whole path for each authentication method
// with the fast and the legacy ESP suite: headend and client in network
// namespaces, tunnel up, ping, DNS through the tunnel, 50 MB whose checksum
// matches, disconnect, and nothing left behind.
func TestEndToEnd(t *testing.T) {
	testenv.NeedRoot(t)
	exe := binary(t)
	for _, auth := range []string{"EAP-AnyConnect", "EAP-MSCHAPv2", "IKE-ECDSA"} {
		for _, esp := range []string{"aes256gcm16", "aes256-sha1"} {
			t.Run(auth+"/"+esp, func(t *testing.T) {
				var out bytes.Buffer
				res, err := runDemo(context.Background(), demoOptions{sizeMB: 50, auth: auth, esp: esp, out: &out, exe: exe})
				if err != nil {
					t.Fatalf("%v\n%s", err, out.String())
				}
				if !strings.Contains(out.String(), "ESP       "+esp) {
					t.Fatalf("the tunnel did not use %s:\n%s", esp, out.String())
				}
				t.Logf("connect %s, %.2f Gbit/s", res.Connect, res.Transfer.Gbits())
			})
		}
	}
}

func TestDemoNeedsRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("runs as root")
	}
	_, err := runDemo(context.Background(), demoOptions{out: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "needs root") {
		t.Fatalf("got %v", err)
	}
}

// TestCrashRecovery kills the client outright (no chance to clean up) and
// checks that the next start undoes what the dead one left (resolv.conf
// here; its TUN device and routes die with it), then runs normally.
func TestCrashRecovery(t *testing.T) {
	testenv.NeedRoot(t)
	var out bytes.Buffer
	tl, err := startTunnel(demoOptions{auth: "EAP-AnyConnect", esp: "aes256gcm16", out: &out, exe: binary(t)})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	defer tl.close()
	tl.client.Kill()
	resolv, err := tl.Exec("client", "cat", "/etc/resolv.conf")
	if err != nil || !strings.Contains(resolv, "198.51.100.53") {
		t.Fatalf("expected the dead client's DNS in resolv.conf: %v\n%s", err, resolv)
	}
	if err := tl.startClient(); err != nil {
		t.Fatalf("reconnecting after the crash: %v", err)
	}
	if err := tl.disconnect(); err != nil {
		t.Fatal(err)
	}
}

// newPairLab makes the lab called name with a client and a headend
// namespace on one link and an address behind the headend (lab.HeadendIn)
// to reach through the tunnel; it is removed when the test ends.
func newPairLab(t *testing.T, name string) *lab.Lab {
	t.Helper()
	l, err := lab.New(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("removing the lab: %v", err)
		}
	})
	if err := l.ClientHeadend(); err != nil {
		t.Fatal(err)
	}
	return l
}
