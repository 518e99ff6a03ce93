//go:build linux

package headend

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
)

// setupHost brings the TUN device up, routes the pools to it and turns on
// IPv4 forwarding when configured; the returned function undoes all that.
func setupHost(dev string, cfg *Config) (undo func(), err error) {
	var undos []func()
	undo = func() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
	}
	link, err := netlink.LinkByName(dev)
	if err != nil {
		return undo, err
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return undo, fmt.Errorf("bringing %s up: %w", dev, err)
	}
	v6 := false
	for name, p := range cfg.Pools {
		nets := []netip.Prefix{netip.PrefixFrom(p.first, p.bits).Masked()}
		if p.v6.IsValid() {
			nets, v6 = append(nets, p.v6), true
		}
		for _, dst := range nets {
			r := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: prefixNet(dst), Scope: netlink.SCOPE_LINK}
			if err := netlink.RouteAdd(r); err != nil && !errors.Is(err, os.ErrExist) {
				return undo, fmt.Errorf("routing pool %s (%s) to %s: %w", name, dst, dev, err)
			}
			undos = append(undos, func() { netlink.RouteDel(r) })
		}
	}
	if cfg.Tunnel.Forward {
		knobs := []string{"/proc/sys/net/ipv4/ip_forward"}
		if v6 {
			knobs = append(knobs, "/proc/sys/net/ipv6/conf/all/forwarding")
		}
		for _, knob := range knobs {
			old, err := os.ReadFile(knob)
			if err != nil {
				return undo, err
			}
			if strings.TrimSpace(string(old)) != "1" {
				if err := os.WriteFile(knob, []byte("1\n"), 0o644); err != nil {
					return undo, fmt.Errorf("enabling forwarding (%s): %w", knob, err)
				}
				undos = append(undos, func() { os.WriteFile(knob, old, 0o644) })
			}
		}
	}
	return undo, nil
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
