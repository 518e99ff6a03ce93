//go:build linux

package netcfg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
	"golang.org/x/sys/unix"
)

var nsCounter atomic.Int32

// testNS is a named network namespace that the test made and removes again.
type testNS struct {
	name, path string
	h          *netlink.Handle
	ns         netns.NsHandle
	far        *testNS // holds the veth peers
}

func newTestNS(t *testing.T, tag string) *testNS {
	t.Helper()
	name := fmt.Sprintf("vpncgo-%s-%d-%d", tag, os.Getpid(), nsCounter.Add(1))
	ns, err := func() (netns.NsHandle, error) {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			return 0, err
		}
		defer orig.Close()
		ns, nerr := netns.NewNamed(name) // moves this thread into it
		if err := netns.Set(orig); err != nil {
			// The thread stays locked and dies with the goroutine.
			panic("cannot return to the original network namespace: " + err.Error())
		}
		runtime.UnlockOSThread()
		return ns, nerr
	}()
	if err != nil {
		t.Fatalf("new network namespace: %v", err)
	}
	n := &testNS{name: name, path: "/run/netns/" + name, ns: ns}
	t.Cleanup(func() {
		if n.h != nil {
			n.h.Close()
		}
		ns.Close()
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("remove namespace %s: %v", name, err)
		}
	})
	if n.h, err = netlink.NewHandleAt(ns); err != nil {
		t.Fatal(err)
	}
	lo, err := n.h.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	must(t, n.h.LinkSetUp(lo))
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// veth makes a veth pair with name in n and peer, up, in the namespace
// far (so that what the kernel does to the peer stays out of n's snapshot).
func (n *testNS) veth(t *testing.T, name, peer string, far *testNS, up bool) netlink.Link {
	t.Helper()
	must(t, n.h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: peer}))
	p, err := n.h.LinkByName(peer)
	must(t, err)
	must(t, n.h.LinkSetNsFd(p, int(far.ns)))
	p, err = far.h.LinkByName(peer)
	must(t, err)
	must(t, far.h.LinkSetUp(p))
	l, err := n.h.LinkByName(name)
	must(t, err)
	if up {
		must(t, n.h.LinkSetUp(l))
	}
	return l
}

func (n *testNS) addr(t *testing.T, l netlink.Link, p string) {
	t.Helper()
	must(t, n.h.AddrAdd(l, nlAddr(netip.MustParsePrefix(p))))
}

// lanNS is a client namespace with a LAN (lan0, default routes via
// 192.0.2.1 and 2001:db8:1::1) and a tunnel stand-in tun0 (a veth, down).
func lanNS(t *testing.T) *testNS {
	n := newTestNS(t, "rt")
	n.far = newTestNS(t, "peer")
	lan := n.veth(t, "lan0", "lan0p", n.far, true)
	n.addr(t, lan, "192.0.2.2/24")
	n.addr(t, lan, "2001:db8:1::2/64")
	tun := n.veth(t, "tun0", "tun0p", n.far, false)
	// No IPv6 link-local address on the stand-in, as on a TUN without one.
	must(t, n.h.LinkSetIP6AddrGenMode(tun, 1))
	must(t, n.h.RouteAdd(&netlink.Route{Dst: prefixNet(netip.MustParsePrefix("0.0.0.0/0")), Gw: net.ParseIP("192.0.2.1"), LinkIndex: lan.Attrs().Index}))
	must(t, n.h.RouteAdd(&netlink.Route{Dst: prefixNet(netip.MustParsePrefix("::/0")), Gw: net.ParseIP("2001:db8:1::1"), LinkIndex: lan.Attrs().Index}))
	return n
}

// settled waits until the namespace stops changing by itself (IPv6 local
// routes appear a moment after their address) and returns its snapshot.
func (n *testNS) settled(t *testing.T) string {
	t.Helper()
	prev := n.snapshot(t)
	for i := 0; i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
		cur := n.snapshot(t)
		if cur == prev {
			return cur
		}
		prev = cur
	}
	return prev
}

// snapshot describes the namespace's links, addresses and routes (all
// tables) as sorted lines, to compare before and after.
func (n *testNS) snapshot(t *testing.T) string {
	t.Helper()
	var lines []string
	links, err := n.h.LinkList()
	must(t, err)
	for _, l := range links {
		a := l.Attrs()
		lines = append(lines, fmt.Sprintf("link %s mtu %d flags %v", a.Name, a.MTU, a.Flags&net.FlagUp))
		addrs, err := n.h.AddrList(l, netlink.FAMILY_ALL)
		must(t, err)
		for _, ad := range addrs {
			lines = append(lines, fmt.Sprintf("addr %s %s", a.Name, ad.IPNet))
		}
	}
	routes, err := n.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	must(t, err)
	for _, r := range routes {
		lines = append(lines, fmt.Sprintf("route table %d dst %v gw %v dev %d proto %d metric %d scope %d type %d", r.Table, r.Dst, r.Gw, r.LinkIndex, r.Protocol, r.Priority, r.Scope, r.Type))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// path tells how the kernel routes to dst now: "dev NAME" or "via GW dev NAME".
func (n *testNS) routeTo(t *testing.T, dst string) string {
	t.Helper()
	rs, err := n.h.RouteGet(net.ParseIP(dst))
	if err != nil {
		return "error " + err.Error()
	}
	l, err := n.h.LinkByIndex(rs[0].LinkIndex)
	must(t, err)
	if rs[0].Gw != nil {
		return "via " + rs[0].Gw.String() + " dev " + l.Attrs().Name
	}
	return "dev " + l.Attrs().Name
}

func (n *testNS) wantPaths(t *testing.T, want map[string]string) {
	t.Helper()
	for dst, w := range want {
		if got := n.routeTo(t, dst); got != w {
			t.Errorf("route get %s: %s, want %s", dst, got, w)
		}
	}
}

func testOpts(t *testing.T, n *testNS) Options {
	log, _ := logBuffer()
	return Options{
		StateFile:  filepath.Join(t.TempDir(), "state", "netcfg.json"),
		DNS:        DNSNone,
		ResolvConf: filepath.Join(t.TempDir(), "resolv.conf"),
		NetNS:      n.path,
		Logger:     log,
	}
}

func newTestManager(t *testing.T, opts Options) *linuxManager {
	t.Helper()
	m, err := newLinux(opts)
	must(t, err)
	t.Cleanup(func() { m.h.Close() })
	return m
}

func TestLinuxSplitTunnel(t *testing.T) {
	testenv.NeedRoot(t)
	n := lanNS(t)
	before := n.settled(t)
	opts := testOpts(t, n)
	m := newTestManager(t, opts)
	cfg := Config{
		Interface: "tun0",
		MTU:       1300,
		Addresses: pfx("10.2.2.2/24", "2001:db8:2::2/64"),
		Include:   pfx("198.51.100.0/24", "203.0.113.0/25", "10.2.2.0/24", "2001:db8:c0::/48"),
		Exclude:   pfx("198.51.100.128/26"),
		Headend:   netip.MustParseAddr("203.0.113.100"), // inside 203.0.113.0/25
	}
	ctx := context.Background()
	must(t, m.Apply(ctx, cfg))
	if _, err := os.Stat(opts.StateFile); err != nil {
		t.Errorf("no state file while applied: %v", err)
	}
	n.wantPaths(t, map[string]string{
		"198.51.100.7":   "dev tun0",
		"203.0.113.5":    "dev tun0",
		"10.2.2.9":       "dev tun0",
		"2001:db8:c0::1": "dev tun0",
		"203.0.113.100":  "via 192.0.2.1 dev lan0", // headend pinned
		"198.51.100.130": "via 192.0.2.1 dev lan0", // excluded
		"203.0.113.200":  "via 192.0.2.1 dev lan0", // not included
		"2001:db8:ff::1": "via 2001:db8:1::1 dev lan0",
	})
	tun, err := n.h.LinkByName("tun0")
	must(t, err)
	if tun.Attrs().MTU != 1300 || tun.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("tun0 mtu %d flags %v", tun.Attrs().MTU, tun.Attrs().Flags)
	}
	if err := m.Apply(ctx, cfg); !errors.Is(err, ErrApplied) {
		t.Errorf("second Apply: %v", err)
	}
	must(t, m.Revert(ctx))
	if after := n.settled(t); after != before {
		t.Errorf("after Revert:\n%s\nbefore:\n%s", after, before)
	}
	if _, err := os.Stat(opts.StateFile); !os.IsNotExist(err) {
		t.Errorf("state file left: %v", err)
	}
	must(t, m.Revert(ctx)) // idempotent
}

func TestLinuxFullTunnelKeepsWhatExisted(t *testing.T) {
	testenv.NeedRoot(t)
	n := lanNS(t)
	lan, err := n.h.LinkByName("lan0")
	must(t, err)
	tun, err := n.h.LinkByName("tun0")
	must(t, err)
	// Things that exist before Apply and must survive Revert: an equal
	// exclude route and an address that Config also asks for.
	must(t, n.h.RouteAdd(&netlink.Route{Dst: prefixNet(netip.MustParsePrefix("198.51.100.0/24")), Gw: net.ParseIP("192.0.2.1"), LinkIndex: lan.Attrs().Index, Protocol: unix.RTPROT_STATIC}))
	n.addr(t, tun, "10.2.2.2/24")
	before := n.settled(t)
	m := newTestManager(t, testOpts(t, n))
	cfg := Config{
		Interface: "tun0",
		Addresses: pfx("10.2.2.2/24", "2001:db8:2::2/64"),
		Include:   pfx("0.0.0.0/0", "::/0"),
		Exclude:   pfx("198.51.100.0/24", "192.0.2.0/24", "2001:db8:ee::/48"),
		Headend:   netip.MustParseAddr("203.0.113.200"),
	}
	ctx := context.Background()
	must(t, m.Apply(ctx, cfg))
	n.wantPaths(t, map[string]string{
		"203.0.113.5":    "dev tun0",
		"10.20.30.40":    "dev tun0",
		"2001:db8:ff::1": "dev tun0",
		"203.0.113.200":  "via 192.0.2.1 dev lan0",
		"198.51.100.9":   "via 192.0.2.1 dev lan0",
		"192.0.2.77":     "dev lan0", // local LAN stays local
		"2001:db8:ee::1": "via 2001:db8:1::1 dev lan0",
	})
	// The default routes are untouched.
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := n.h.RouteListFiltered(fam, &netlink.Route{Dst: nil, Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_DST|netlink.RT_FILTER_TABLE)
		must(t, err)
		if len(rs) != 1 || rs[0].LinkIndex != lan.Attrs().Index {
			t.Errorf("default routes of family %d: %v", fam, rs)
		}
	}
	must(t, m.Revert(ctx))
	if after := n.settled(t); after != before {
		t.Errorf("after Revert:\n%s\nbefore:\n%s", after, before)
	}
}

func fullCfg() Config {
	return Config{
		Interface: "tun0",
		MTU:       1380,
		Addresses: pfx("10.2.2.2/24", "2001:db8:2::2/64"),
		Include:   pfx("0.0.0.0/0", "::/0"),
		Exclude:   pfx("198.51.100.0/24"),
		Headend:   netip.MustParseAddr("203.0.113.200"),
		DNS:       []netip.Addr{netip.MustParseAddr("10.2.2.53")},
		Domains:   []string{"corp.example"},
	}
}

func TestLinuxApplyFailsHalfway(t *testing.T) {
	testenv.NeedRoot(t)
	ctx := context.Background()
	n := lanNS(t)
	before := n.settled(t)
	for stop := 1; ; stop++ {
		opts := testOpts(t, n)
		opts.DNS = DNSFile
		orig := []byte("nameserver 192.0.2.1\n")
		must(t, os.WriteFile(opts.ResolvConf, orig, 0o644))
		m := newTestManager(t, opts)
		steps := 0
		m.beforeStep = func(c change) error {
			if steps++; steps == stop {
				return fmt.Errorf("injected failure before %s", c.Kind)
			}
			return nil
		}
		err := m.Apply(ctx, fullCfg())
		if err == nil {
			if stop < 5 {
				t.Fatalf("Apply made only %d steps", stop-1)
			}
			must(t, m.Revert(ctx))
			break
		}
		if !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("step %d: %v", stop, err)
		}
		if after := n.settled(t); after != before {
			t.Fatalf("failure at step %d left changes:\n%s\nbefore:\n%s", stop, after, before)
		}
		if b, _ := os.ReadFile(opts.ResolvConf); string(b) != string(orig) {
			t.Fatalf("failure at step %d left resolv.conf %q", stop, b)
		}
		if _, err := os.Stat(opts.StateFile); !os.IsNotExist(err) {
			t.Fatalf("failure at step %d left the state file: %v", stop, err)
		}
	}
}

func TestLinuxApplyFailsAtDNS(t *testing.T) {
	testenv.NeedRoot(t)
	n := lanNS(t)
	before := n.settled(t)
	opts := testOpts(t, n)
	opts.DNS = DNSResolved
	opts.DBusAddress = "unix:path=" + filepath.Join(t.TempDir(), "no-bus")
	m := newTestManager(t, opts)
	if err := m.Apply(context.Background(), fullCfg()); err == nil {
		t.Fatal("Apply without a bus succeeded")
	}
	if after := n.settled(t); after != before {
		t.Errorf("failed Apply left changes:\n%s\nbefore:\n%s", after, before)
	}
}

func TestLinuxResolvedCalls(t *testing.T) {
	testenv.NeedRoot(t)
	n := lanNS(t)
	opts := testOpts(t, n)
	opts.DNS = DNSResolved
	m := newTestManager(t, opts)
	f := &fakeResolved{}
	m.newResolved = func(context.Context, string) (resolvedAPI, error) { return f, nil }
	cfg := fullCfg()
	cfg.SplitDNS = true
	ctx := context.Background()
	must(t, m.Apply(ctx, cfg))
	tun, err := n.h.LinkByName("tun0")
	must(t, err)
	i := tun.Attrs().Index
	must(t, m.Revert(ctx))
	want := []string{
		fmtCall("SetLinkDNS", i, cfg.DNS),
		fmtCall("SetLinkDomains", i, []resolvedDomain{{"corp.example", true}}),
		fmtCall("SetLinkDefaultRoute", i, false),
		"FlushCaches",
		fmtCall("RevertLink", i, nil),
		"FlushCaches",
	}
	if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
}

func TestLinuxRecoverAfterCrash(t *testing.T) {
	testenv.NeedRoot(t)
	ctx := context.Background()
	n := lanNS(t)
	before := n.settled(t)
	opts := testOpts(t, n)
	opts.DNS = DNSFile
	orig := []byte("# original\nnameserver 192.0.2.1\n")
	must(t, os.WriteFile(opts.ResolvConf, orig, 0o644))
	m := newTestManager(t, opts)
	must(t, m.Apply(ctx, fullCfg()))
	// "Crash": the manager is dropped without Revert.
	m.h.Close()
	m = nil
	if after := n.settled(t); after == before {
		t.Fatal("Apply changed nothing")
	}
	ropts := opts
	ropts.NetNS = "" // Recover takes the namespace from the state file
	must(t, Recover(ctx, ropts))
	if after := n.settled(t); after != before {
		t.Errorf("after Recover:\n%s\nbefore:\n%s", after, before)
	}
	if b, _ := os.ReadFile(opts.ResolvConf); string(b) != string(orig) {
		t.Errorf("resolv.conf after Recover: %q", b)
	}
	if _, err := os.Stat(opts.StateFile); !os.IsNotExist(err) {
		t.Errorf("state file left: %v", err)
	}
	must(t, Recover(ctx, ropts)) // nothing left to do
}

func TestLinuxRecoverTunnelGone(t *testing.T) {
	testenv.NeedRoot(t)
	ctx := context.Background()
	n := lanNS(t)
	opts := testOpts(t, n)
	m := newTestManager(t, opts)
	must(t, m.Apply(ctx, fullCfg()))
	// The tunnel device dies with the crashed process; the pinned routes on
	// the LAN stay and must go. A new link takes the old name elsewhere.
	tun, err := n.h.LinkByName("tun0")
	must(t, err)
	must(t, n.h.LinkDel(tun))
	must(t, n.h.LinkSetIP6AddrGenMode(n.veth(t, "tun0", "tun0p", n.far, false), 1))
	before := n.settled(t)
	must(t, Recover(ctx, opts))
	after := n.settled(t)
	if strings.Contains(after, fmt.Sprintf("proto %d", routeProtocol)) {
		t.Errorf("routes of ours left after Recover:\n%s", after)
	}
	if strings.Count(before, "\n")-strings.Count(after, "\n") != 2 {
		t.Errorf("want exactly the two LAN routes removed:\n%s\nbefore:\n%s", after, before)
	}
}

func TestRecoverRefusesLiveOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "netcfg.json")
	st := &state{Version: stateVersion, PID: 1, StartTime: procStartTime(1), Changes: []change{{Kind: chUp, Ifindex: 999, Ifname: "nope"}}}
	if st.StartTime == 0 {
		t.Skip("no /proc/1/stat")
	}
	must(t, saveState(path, st))
	if err := Recover(context.Background(), Options{StateFile: path}); err == nil || !strings.Contains(err.Error(), "running process") {
		t.Errorf("Recover over a live owner: %v", err)
	}
}
