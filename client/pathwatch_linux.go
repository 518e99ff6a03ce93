package client

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetlinkPaths watches the network namespace the process runs in through
// netlink: links (up, down, carrier), addresses and routes.
func NetlinkPaths() PathMonitor { return netlinkPaths{} }

type netlinkPaths struct{}

// Watch implements PathMonitor, for the network namespace of the calling
// thread.
func (netlinkPaths) Watch(ctx context.Context) (<-chan PathChange, error) {
	// Interface names are looked up in the namespace watched, whatever
	// thread the watcher runs on.
	here, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("watching the network through netlink: %w", err)
	}
	h, err := netlink.NewHandleAt(here)
	here.Close()
	if err != nil {
		return nil, fmt.Errorf("watching the network through netlink: %w", err)
	}
	done := make(chan struct{})
	links := make(chan netlink.LinkUpdate, 16)
	addrs := make(chan netlink.AddrUpdate, 16)
	routes := make(chan netlink.RouteUpdate, 16)
	stop := func(err error) (<-chan PathChange, error) {
		close(done)
		h.Close()
		return nil, fmt.Errorf("watching the network through netlink: %w", err)
	}
	if err := netlink.LinkSubscribeWithOptions(links, done, netlink.LinkSubscribeOptions{}); err != nil {
		return stop(err)
	}
	if err := netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{}); err != nil {
		return stop(err)
	}
	if err := netlink.RouteSubscribeWithOptions(routes, done, netlink.RouteSubscribeOptions{}); err != nil {
		return stop(err)
	}
	// Room for a burst (a device coming up brings a few); beyond it,
	// changes are dropped: the session has enough to look at.
	out := make(chan PathChange, 64)
	go func() {
		defer close(out)
		defer h.Close()
		defer close(done)
		for {
			var c PathChange
			select {
			case <-ctx.Done():
				return
			case u, ok := <-links:
				if !ok {
					return
				}
				c.Link = u.Attrs().Name
				c.Detail = fmt.Sprintf("link %s %s (%s)", c.Link, updown(u.Attrs().Flags&net.FlagUp != 0), u.Attrs().OperState)
			case u, ok := <-addrs:
				if !ok {
					return
				}
				c.Link = linkName(h, u.LinkIndex)
				c.Detail = fmt.Sprintf("address %s %s on %s", u.LinkAddress.String(), map[bool]string{true: "added", false: "removed"}[u.NewAddr], c.Link)
			case u, ok := <-routes:
				if !ok {
					return
				}
				if u.Table != 0 && u.Table != 254 { // the main table only
					continue
				}
				c.Link = linkName(h, u.LinkIndex)
				c.Detail = fmt.Sprintf("route %s %s on %s", routeDst(u.Route), map[bool]string{true: "added", false: "removed"}[u.Type == unix.RTM_NEWROUTE], c.Link)
			}
			select {
			case out <- c:
			default:
			}
		}
	}()
	return out, nil
}

// linkName names interface index i ("#i" once it is gone).
func linkName(h *netlink.Handle, i int) string {
	if l, err := h.LinkByIndex(i); err == nil {
		return l.Attrs().Name
	}
	return fmt.Sprintf("#%d", i)
}

func updown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func routeDst(r netlink.Route) string {
	if r.Dst == nil {
		return "default"
	}
	return r.Dst.String()
}

// Usable implements PathMonitor: the kernel's route to dst, through a
// link that is up and has a carrier.
func (netlinkPaths) Usable(dst netip.Addr) error {
	rs, err := netlink.RouteGet(net.IP(dst.Unmap().AsSlice()))
	if err != nil {
		return fmt.Errorf("no route: %w", err)
	}
	if len(rs) == 0 {
		return fmt.Errorf("no route")
	}
	l, err := netlink.LinkByIndex(rs[0].LinkIndex)
	if err != nil {
		return fmt.Errorf("the route's link %d: %w", rs[0].LinkIndex, err)
	}
	a := l.Attrs()
	switch {
	case a.Flags&net.FlagUp == 0:
		return fmt.Errorf("link %s is down", a.Name)
	case a.OperState == netlink.OperDown || a.OperState == netlink.OperLowerLayerDown || a.OperState == netlink.OperNotPresent:
		return fmt.Errorf("link %s has no carrier (%s)", a.Name, a.OperState)
	}
	return nil
}
