package netcfg

import "context"

// dnsProbes are the looks at the running system that choose the DNS method,
// replaceable in tests (the shape of Tailscale's net/dns manager).
type dnsProbes struct {
	// resolvedOnBus reports whether org.freedesktop.resolve1 has an owner
	// on the system bus.
	resolvedOnBus func(ctx context.Context) (bool, error)
	// resolvConf returns the file's bytes, its symlink target if it is a
	// link, and whether it exists.
	resolvConf func(path string) (b []byte, symlink string, exists bool, err error)
	// writable reports whether path (or its folder, if it does not exist)
	// can be written.
	writable func(path string) bool
}

// chooseDNS picks the DNS method for mode and says why. In auto mode:
//   - systemd-resolved when it is on the bus and resolv.conf points at its
//     stub (or is missing): then it is what the system's lookups reach;
//   - a direct resolv.conf rewrite when the file can be written (also when
//     resolved runs but resolv.conf bypasses it, or when resolv.conf names
//     resolved's stub but resolved is not running);
//   - none otherwise.
func chooseDNS(ctx context.Context, mode DNSMode, resolvPath string, p dnsProbes) (DNSMode, string) {
	if mode != DNSAuto {
		return mode, "configured"
	}
	onBus, busErr := p.resolvedOnBus(ctx)
	b, link, exists, rcErr := p.resolvConf(resolvPath)
	stub := exists && rcErr == nil && resolvConfPointsAtResolved(b, link)
	switch {
	case onBus && (stub || !exists):
		return DNSResolved, "systemd-resolved is on the system bus and resolv.conf uses it"
	case onBus && rcErr == nil && p.writable(resolvPath):
		return DNSFile, "systemd-resolved is on the system bus but resolv.conf does not use it"
	case onBus:
		return DNSResolved, "systemd-resolved is on the system bus; resolv.conf cannot be written"
	case rcErr != nil:
		return DNSNone, "resolv.conf unreadable: " + rcErr.Error()
	case !p.writable(resolvPath):
		return DNSNone, "resolv.conf cannot be written"
	case stub:
		reason := "resolv.conf names systemd-resolved's stub, but resolved is not on the system bus"
		if busErr != nil {
			reason += " (" + busErr.Error() + ")"
		}
		return DNSFile, reason
	default:
		return DNSFile, "no systemd-resolved on the system bus"
	}
}
