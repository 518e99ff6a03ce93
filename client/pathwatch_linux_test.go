package client

import (
	"context"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// TestNetlinkPaths runs the netlink monitor in a network namespace of its
// own (on a locked thread, so nothing reaches the machine's network): a
// veth link carries the route to a headend; taking it down, bringing it
// up and replacing its address are each reported, and Usable follows.
func TestNetlinkPaths(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a network namespace")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.New() // and switches this thread into it
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		netns.Set(orig)
		ns.Close()
	}()

	link := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "uplink0"}, PeerName: "peer0"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	addr := func(s string) *netlink.Addr {
		a, err := netlink.ParseAddr(s)
		must(err)
		return a
	}
	must(netlink.LinkAdd(link))
	peer, err := netlink.LinkByName("peer0")
	must(err)
	must(netlink.LinkSetUp(peer))
	must(netlink.AddrAdd(link, addr("192.0.2.2/24")))
	must(netlink.LinkSetUp(link))
	headend := netip.MustParseAddr("192.0.2.1")
	p := NetlinkPaths()
	if err := p.Usable(headend); err != nil {
		t.Fatalf("usable path reported unusable: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes, err := p.Watch(ctx)
	must(err)
	// expect waits for a change of uplink0 whose description contains
	// want (others may come first, or be coalesced into it).
	expect := func(want string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case c := <-changes:
				t.Logf("change: %s", c)
				if c.Link == "uplink0" && strings.Contains(c.Detail, want) {
					return
				}
			case <-timeout:
				t.Fatalf("no change %q of uplink0 reported", want)
			}
		}
	}

	must(netlink.LinkSetDown(link))
	expect("down")
	if err := p.Usable(headend); err == nil {
		t.Fatal("path usable with its link down")
	} else {
		t.Logf("link down: %v", err)
	}

	must(netlink.LinkSetUp(link))
	expect("link uplink0 up")
	must(netlink.AddrDel(link, addr("192.0.2.2/24")))
	must(netlink.AddrAdd(link, addr("192.0.2.3/24")))
	expect("192.0.2.3/24 added")
	if err := p.Usable(headend); err != nil {
		t.Fatalf("path unusable after the address change: %v", err)
	}
	if err := p.Usable(netip.MustParseAddr("203.0.113.1")); err == nil {
		t.Fatal("a destination without a route reported usable")
	}
}
