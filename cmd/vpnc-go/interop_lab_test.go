//go:build linux

package main

// Shared parts of the strongSwan interoperability tests
// (interop_headend_test.go, interop_client_test.go, interop_tshark_test.go):
// the namespaces, strongSwan's presence, vpnc-go connect as a client, and a
// paced transfer that runs while SAs are rekeyed.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/internal/swan"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

// requireSwan skips without strongSwan, except in CI, whose setup
// installs it.
func requireSwan(t *testing.T) {
	t.Helper()
	testenv.NeedRoot(t)
	if err := swan.Available(); err != nil {
		testenv.SkipOrFail(t, "%v", err)
	}
}

var labSeq atomic.Int32

// swanLab is one test's network:
//
//	client 192.0.2.2 ---- 192.0.2.1 headend 198.51.100.1 ---- 198.51.100.10 inside
//
// or, with nat, the client behind a masquerading router:
//
//	client 203.0.113.2 ---- 203.0.113.1 nat 192.0.2.2 ---- 192.0.2.1 headend ...
//
// The inside host serves DNS on 198.51.100.53 and routes the pool
// 10.2.2.0/24 back to the headend.
type swanLab struct {
	*lab.Lab
	dns *lab.DNSServer
}

func newSwanLab(t *testing.T, nat bool) *swanLab {
	t.Helper()
	l, err := lab.New(fmt.Sprintf("swan%d-%d", os.Getpid(), labSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() && os.Getenv("VPNC_GO_LAB_VERBOSE") != "" {
		l.Verbose = os.Stderr
	}
	sl := &swanLab{Lab: l}
	t.Cleanup(func() {
		if sl.dns != nil {
			sl.dns.Close()
		}
		if err := l.Close(); err != nil {
			t.Errorf("removing the lab: %v", err)
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	nss := []string{"client", "headend", "inside"}
	if nat {
		nss = append(nss, "nat")
	}
	for _, ns := range nss {
		must(l.AddNS(ns))
	}
	if nat {
		must(l.Link("client", "203.0.113.2/24", "nat", "203.0.113.1/24"))
		must(l.Link("nat", lab.ClientAddr+"/24", "headend", lab.HeadendAddr+"/24"))
		must(l.Route("client", "default", "203.0.113.1"))
		_, err := l.Exec("nat", "sysctl", "-qw", "net.ipv4.ip_forward=1")
		must(err)
		// Masquerade with random source ports: NAT-T must cope with a port
		// that is neither 500 nor 4500.
		rules := filepath.Join(l.Dir, "nat.nft")
		must(os.WriteFile(rules, []byte(`table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "to-headend" masquerade random
  }
}
`), 0o644))
		_, err = l.Exec("nat", "nft", "-f", rules)
		must(err)
	} else {
		must(l.Link("client", lab.ClientAddr+"/24", "headend", lab.HeadendAddr+"/24"))
	}
	must(l.Link("headend", lab.HeadendIn+"/24", "inside", lab.InsideAddr+"/24"))
	_, err = l.Exec("headend", "sysctl", "-qw", "net.ipv4.ip_forward=1")
	must(err)
	must(l.Route("inside", "10.2.2.0/24", lab.HeadendIn))
	_, err = l.Exec("inside", "ip", "addr", "add", lab.InsideDNS+"/24", "dev", "to-headend")
	must(err)
	sl.dns, err = l.ServeDNS("inside", lab.InsideDNS+":53", map[string]netip.Addr{"intranet.corp.example": netip.MustParseAddr(lab.InsideAddr)})
	must(err)
	return sl
}

// vpncClient is vpnc-go connect running in the client namespace.
type vpncClient struct {
	*lab.Proc
	keylog string
}

// startVpnc runs `vpnc-go connect` in the client namespace against the
// headend's bare address, with the password on stdin.
func (sl *swanLab) startVpnc(t *testing.T, password string, args ...string) *vpncClient {
	t.Helper()
	empty := filepath.Join(sl.Dir, "no-profiles")
	os.MkdirAll(empty, 0o755)
	keylog := filepath.Join(sl.Dir, "keylog.txt")
	// A private config folder: no host setting of the machine's user
	// (hosts.json) reaches the test, and --remember writes there.
	full := []string{"env", "VPNC_GO_USER_PROFILE_DIR=" + empty, "XDG_CONFIG_HOME=" + filepath.Join(sl.Dir, "config"),
		binary(t), "connect", "-v", "--profile-dir", empty,
		"--state-file", filepath.Join(sl.Dir, "netcfg.json"), "--keylog", keylog, "--passwd-on-stdin"}
	full = append(full, args...)
	full = append(full, lab.HeadendAddr)
	p, err := sl.Start("client", "vpnc-go", password+"\n", full...)
	if err != nil {
		t.Fatal(err)
	}
	return &vpncClient{Proc: p, keylog: keylog}
}

// exitCode waits for a process that is expected to end by itself and
// returns its exit status and whether it ended within timeout.
func exitCode(p *lab.Proc, timeout time.Duration) (int, bool) {
	if _, err := p.WaitFor("\x00never printed\x00", timeout); err == nil || !strings.Contains(err.Error(), "ended before") {
		return -1, false
	}
	err := p.Stop(time.Second)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), true
	}
	if err == nil {
		return 0, true
	}
	return -1, true
}

// checkTraffic pings the inside host, resolves a name with the tunnel's
// DNS server and sends size bytes to the inside host, checked by SHA-256.
func (sl *swanLab) checkTraffic(t *testing.T, dns bool, size int64) lab.TransferResult {
	t.Helper()
	out, err := sl.Exec("client", "ping", "-c", "3", "-i", "0.2", "-W", "2", lab.InsideAddr)
	if err != nil {
		t.Fatalf("ping through the tunnel: %v\n%s", err, out)
	}
	if dns {
		out, err = sl.Exec("client", "getent", "ahostsv4", "intranet.corp.example")
		if err != nil || !strings.Contains(out, lab.InsideAddr) {
			t.Fatalf("the tunnel's DNS did not answer: %v\n%s", err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := sl.Transfer(ctx, "client", "inside", lab.InsideAddr+":5201", size)
	if err != nil {
		t.Fatalf("transfer through the tunnel: %v", err)
	}
	return res
}

// pacedTransfer streams pseudo-random data at about rate bytes/s from the
// client to the inside host for d, over one TCP connection, and checks
// what arrived by SHA-256. It also reports the longest stall: a write that
// blocked longer than a second means the tunnel dropped traffic for a
// while.
func (sl *swanLab) pacedTransfer(ctx context.Context, d time.Duration, rate int) (n int64, stall time.Duration, err error) {
	addr := lab.InsideAddr + ":5202"
	ln, err := sl.Listen("inside", addr)
	if err != nil {
		return 0, 0, err
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		h := sha256.New()
		io.Copy(h, c)
		got <- hex.EncodeToString(h.Sum(nil))
	}()
	c, err := sl.Dial(ctx, "client", addr)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(d + 15*time.Second))
	h := sha256.New()
	src := rand.NewChaCha8([32]byte{2})
	chunk := make([]byte, rate/20)
	start := time.Now()
	for tick := start; time.Since(start) < d; tick = tick.Add(50 * time.Millisecond) {
		time.Sleep(time.Until(tick))
		src.Read(chunk)
		h.Write(chunk)
		t0 := time.Now()
		if _, err := c.Write(chunk); err != nil {
			return n, stall, fmt.Errorf("sending after %d bytes: %w", n, err)
		}
		stall = max(stall, time.Since(t0))
		n += int64(len(chunk))
	}
	c.(*net.TCPConn).CloseWrite()
	select {
	case sum := <-got:
		if want := hex.EncodeToString(h.Sum(nil)); sum != want {
			return n, stall, fmt.Errorf("the data arrived altered or incomplete: checksum %s, sent %s", sum, want)
		}
	case <-time.After(30 * time.Second):
		return n, stall, errors.New("the sink did not finish")
	}
	return n, stall, nil
}

var pingLossRE = regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`)

// pingLoss parses ping's summary: sent and received.
func pingLoss(out string) (sent, received int, ok bool) {
	m := pingLossRE.FindStringSubmatch(out)
	if m == nil {
		return 0, 0, false
	}
	sent, _ = strconv.Atoi(m[1])
	received, _ = strconv.Atoi(m[2])
	return sent, received, true
}

// clientLines returns vpnc-go's output lines that contain s.
func grepLines(text, s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// keepLog writes a process's whole output to $VPNC_GO_INTEROP_LOGS/NAME
// when that folder is set (for looking into failures; the lab's folder
// goes away with the test).
func keepLog(t *testing.T, name, text string) {
	dir := os.Getenv("VPNC_GO_INTEROP_LOGS")
	if dir == "" {
		return
	}
	os.MkdirAll(dir, 0o755)
	file := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"."+name+".log")
	if err := os.WriteFile(file, []byte(text), 0o644); err == nil {
		t.Logf("%s's whole output: %s", name, file)
	}
}

// tail returns the last n lines of text (for failure messages).
func tail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
