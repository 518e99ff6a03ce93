//go:build linux

package netcfg

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/vishvananda/netns"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
	"golang.org/x/net/dns/dnsmessage"
)

// resolvedRoot returns a folder holding the unpacked systemd-resolved
// package of the installed systemd version: $VPNCGO_RESOLVED_ROOT, or a
// cache in the temporary folder filled with apt-get download and dpkg-deb
// -x. The package is never installed: its scripts would point the host's
// resolv.conf at a stub that nothing serves.
func resolvedRoot(t *testing.T) string {
	t.Helper()
	if r := os.Getenv("VPNCGO_RESOLVED_ROOT"); r != "" {
		return r
	}
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "systemd").Output()
	if err != nil || len(out) == 0 {
		testenv.SkipOrFail(t, "cannot tell the installed systemd version (dpkg-query): %v", err)
	}
	ver := string(out)
	cache := filepath.Join(os.TempDir(), "vpnc-go-systemd-resolved-"+strings.NewReplacer("~", "_", ":", "_").Replace(ver))
	if _, err := os.Stat(filepath.Join(cache, "lib/systemd/systemd-resolved")); err == nil {
		return cache
	}
	dl := t.TempDir()
	cmd := exec.Command("apt-get", "download", "systemd-resolved="+ver)
	cmd.Dir = dl
	if out, err := cmd.CombinedOutput(); err != nil {
		testenv.SkipOrFail(t, "apt-get download systemd-resolved=%s: %v\n%s", ver, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dl, "systemd-resolved_*.deb"))
	if len(debs) != 1 {
		testenv.SkipOrFail(t, "downloaded %v", debs)
	}
	tmp := cache + ".tmp" + fmt.Sprint(os.Getpid())
	if out, err := exec.Command("dpkg-deb", "-x", debs[0], tmp).CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		t.Fatalf("dpkg-deb -x: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, cache); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(filepath.Join(cache, "lib/systemd/systemd-resolved")); serr != nil {
			t.Fatal(err)
		}
	}
	return cache
}

// dnsServer answers every A query with one address and logs the names.
type dnsServer struct {
	answer netip.Addr
	pc     net.PacketConn
	mu     sync.Mutex
	names  []string
}

// startDNS listens on addr:53 inside ns.
func startDNS(t *testing.T, ns *testNS, addr, answer string) *dnsServer {
	t.Helper()
	pc, err := func() (net.PacketConn, error) {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			return nil, err
		}
		defer orig.Close()
		if err := netns.Set(ns.ns); err != nil {
			runtime.UnlockOSThread()
			return nil, err
		}
		pc, lerr := net.ListenPacket("udp", net.JoinHostPort(addr, "53"))
		if err := netns.Set(orig); err != nil {
			panic("cannot return to the original network namespace: " + err.Error())
		}
		runtime.UnlockOSThread()
		return pc, lerr
	}()
	if err != nil {
		t.Fatalf("DNS server on %s: %v", addr, err)
	}
	s := &dnsServer{answer: netip.MustParseAddr(answer), pc: pc}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := s.reply(buf[:n]); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	return s
}

func (s *dnsServer) reply(req []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")
	s.mu.Lock()
	s.names = append(s.names, name)
	s.mu.Unlock()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	if q.Type == dnsmessage.TypeA && q.Class == dnsmessage.ClassINET {
		b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}, dnsmessage.AResource{A: s.answer.As4()})
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}

func (s *dnsServer) saw(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.names {
		if n == name {
			return true
		}
	}
	return false
}

func (s *dnsServer) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.names, " ")
}

// resolveA asks systemd-resolved (over D-Bus) for name's IPv4 address.
func resolveA(ctx context.Context, conn *dbus.Conn, name string) (netip.Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var addrs []struct {
		Ifindex int32
		Family  int32
		Addr    []byte
	}
	var canon string
	var flags uint64
	err := conn.Object(resolvedName, resolvedPath).CallWithContext(ctx, resolvedMgr+".ResolveHostname", 0,
		int32(0), name, int32(syscall.AF_INET), uint64(0)).Store(&addrs, &canon, &flags)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("no address for %s", name)
	}
	a, _ := netip.AddrFromSlice(addrs[0].Addr)
	return a, nil
}

// TestResolvedReal runs a real systemd-resolved with a private system bus in
// a test network namespace, with a "LAN" DNS server (a decoy that answers
// 192.0.2.99) and a tunnel DNS server (answers 10.2.2.99), and checks that
// split DNS sends only the corp domain into the tunnel, that full DNS sends
// everything there, and that Revert gives the LAN its names back. A corp
// name at the decoy, or another name at the tunnel's server, is a leak.
func TestResolvedReal(t *testing.T) {
	testenv.NeedRoot(t)
	for _, tool := range []string{"dbus-daemon", "nsenter", "unshare", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.SkipOrFail(t, "%s not found (apt packages dbus-daemon, util-linux, mount)", tool)
		}
	}
	root := resolvedRoot(t)
	script, err := filepath.Abs("testdata/resolved-env.sh")
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	c := newTestNS(t, "dnsc")
	s := newTestNS(t, "dnss")
	lan := c.veth(t, "lan0", "lan0p", s, true)
	c.addr(t, lan, "192.0.2.2/24")
	lanp, err := s.h.LinkByName("lan0p")
	must(t, err)
	s.addr(t, lanp, "192.0.2.1/24")
	c.veth(t, "tun0", "tun0p", s, false)
	tunp, err := s.h.LinkByName("tun0p")
	must(t, err)
	s.addr(t, tunp, "10.2.2.1/24")
	decoy := startDNS(t, s, "192.0.2.1", "192.0.2.99")
	tunnel := startDNS(t, s, "10.2.2.1", "10.2.2.99")

	dir := t.TempDir()
	// The environment bind-mounts its own /etc/passwd and /etc/group; no
	// account may be added on the machine meanwhile.
	unlock, err := testenv.LockAccounts()
	must(t, err)
	t.Cleanup(unlock)
	envLog, err := os.Create(filepath.Join(dir, "env.log"))
	must(t, err)
	defer envLog.Close()
	cmd := exec.Command("nsenter", "--net="+c.path, "unshare", "--mount", "--propagation", "private", "sh", script, dir, root)
	cmd.Stdout, cmd.Stderr = envLog, envLog
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	must(t, cmd.Start())
	pgid := cmd.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(-pgid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			for _, f := range []string{"env.log", "dbus.log", "resolved.log"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				if len(b) > 6000 {
					b = b[len(b)-6000:]
				}
				t.Logf("%s:\n%s", f, b)
			}
		}
	})

	bus := "unix:path=" + filepath.Join(dir, "run/dbus/system_bus_socket")
	waitFor(t, ctx, "systemd-resolved on the private bus", func() error {
		ok, err := nameOnBus(ctx, bus, resolvedName)
		if err == nil && !ok {
			err = fmt.Errorf("%s not on the bus", resolvedName)
		}
		return err
	})
	conn, err := dialSystemBus(ctx, bus)
	must(t, err)
	defer conn.Close()

	// The LAN's DNS, as a DHCP client would set it.
	api, err := newDBusResolved(ctx, bus)
	must(t, err)
	defer api.Close()
	must(t, api.SetLinkDNS(ctx, lan.Attrs().Index, []netip.Addr{netip.MustParseAddr("192.0.2.1")}))
	probe := 0
	expect := func(name, want string) {
		t.Helper()
		got, err := resolveA(ctx, conn, name)
		if err != nil || got != netip.MustParseAddr(want) {
			t.Errorf("resolve %s: %v %v, want %s", name, got, err, want)
		}
	}
	// waitAnswer polls with fresh names until the answer comes from want:
	// resolved learns link changes from rtnetlink a moment later.
	waitAnswer := func(domain, want string) {
		t.Helper()
		waitFor(t, ctx, "answers for "+domain+" from "+want, func() error {
			probe++
			got, err := resolveA(ctx, conn, fmt.Sprintf("probe%d.%s", probe, domain))
			if err == nil && got != netip.MustParseAddr(want) {
				err = fmt.Errorf("answer %v", got)
			}
			return err
		})
	}
	waitAnswer("corp.example", "192.0.2.99")

	rc := filepath.Join(dir, "resolv.conf")
	rcBytes := []byte("nameserver 127.0.0.53\n")
	must(t, os.WriteFile(rc, rcBytes, 0o644))
	log, logs := logBuffer()
	opts := Options{StateFile: filepath.Join(dir, "netcfg.json"), DNS: DNSAuto, ResolvConf: rc, DBusAddress: bus, NetNS: c.path, Logger: log}
	mgr, err := NewLinux(opts)
	must(t, err)
	cfg := Config{
		Interface: "tun0",
		Addresses: pfx("10.2.2.2/24"),
		Include:   pfx("10.2.2.0/24"),
		DNS:       []netip.Addr{netip.MustParseAddr("10.2.2.1")},
		Domains:   []string{"corp.example"},
		SplitDNS:  true,
	}

	// Split DNS.
	must(t, mgr.Apply(ctx, cfg))
	if !strings.Contains(logs.String(), "mode=resolved") {
		t.Errorf("auto did not choose resolved: %s", logs.String())
	}
	waitAnswer("corp.example", "10.2.2.99")
	expect("host1.corp.example", "10.2.2.99")
	expect("www1.example.net", "192.0.2.99")
	if decoy.saw("host1.corp.example") {
		t.Error("split DNS: the corp name leaked to the LAN's server")
	}
	if tunnel.saw("www1.example.net") {
		t.Error("split DNS: a public name went to the tunnel's server")
	}
	must(t, mgr.Revert(ctx))
	expect("host2.corp.example", "192.0.2.99")
	if tunnel.saw("host2.corp.example") {
		t.Error("after Revert the tunnel's server is still asked")
	}

	// Full DNS: the tunnel's server answers everything.
	cfg.SplitDNS = false
	must(t, mgr.Apply(ctx, cfg))
	waitAnswer("example.net", "10.2.2.99")
	expect("www2.example.net", "10.2.2.99")
	expect("host3.corp.example", "10.2.2.99")
	for _, n := range []string{"www2.example.net", "host3.corp.example"} {
		if decoy.saw(n) {
			t.Errorf("full DNS: %s leaked to the LAN's server", n)
		}
	}
	must(t, mgr.Revert(ctx))
	expect("www3.example.net", "192.0.2.99")
	if tunnel.saw("www3.example.net") {
		t.Error("after Revert the tunnel's server is still asked")
	}
	if b, _ := os.ReadFile(rc); string(b) != string(rcBytes) {
		t.Errorf("resolv.conf touched in resolved mode: %q", b)
	}
	t.Logf("decoy saw: %s", decoy.log())
	t.Logf("tunnel saw: %s", tunnel.log())
}

func waitFor(t *testing.T, ctx context.Context, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
