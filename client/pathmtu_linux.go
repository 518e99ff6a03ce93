package client

import (
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// PathMTU asks the kernel for the route to dst and returns its MTU: the
// route's own MTU when it has one, else its device's.
func PathMTU(dst netip.Addr) (int, error) {
	routes, err := netlink.RouteGet(net.IP(dst.AsSlice()))
	if err != nil || len(routes) == 0 {
		return 0, err
	}
	if routes[0].MTU > 0 {
		return routes[0].MTU, nil
	}
	link, err := netlink.LinkByIndex(routes[0].LinkIndex)
	if err != nil {
		return 0, err
	}
	return link.Attrs().MTU, nil
}
