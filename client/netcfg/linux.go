//go:build linux

package netcfg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// routeProtocol marks the routes this package adds (rtnetlink's protocol
// field, "proto 86" in ip route); deleting with it never removes an equal
// route that someone else added.
const routeProtocol = 86

const mainTable = unix.RT_TABLE_MAIN

type linuxManager struct {
	opts   Options
	h      *netlink.Handle
	probes dnsProbes

	mu sync.Mutex
	st *state // nil while nothing is applied

	// newResolved opens systemd-resolved's API (a fake in unit tests).
	newResolved func(ctx context.Context, busAddr string) (resolvedAPI, error)
	// beforeStep, when set, runs after a change is recorded and before it
	// is made; an error fails Apply there (tests of the undo path).
	beforeStep func(c change) error
}

// NewLinux returns a Manager for the Linux network stack.
func NewLinux(opts Options) (Manager, error) {
	return newLinux(opts)
}

func newLinux(opts Options) (*linuxManager, error) {
	opts = opts.withDefaults()
	if _, err := ParseDNSMode(string(opts.DNS)); err != nil {
		return nil, err
	}
	h, err := openHandle(opts.NetNS)
	if err != nil {
		return nil, err
	}
	m := &linuxManager{opts: opts, h: h}
	if opts.probes != nil {
		m.probes = *opts.probes
	} else {
		m.probes = realProbes(opts.DBusAddress)
	}
	m.newResolved = func(ctx context.Context, addr string) (resolvedAPI, error) {
		return newDBusResolved(ctx, addr)
	}
	return m, nil
}

func openHandle(path string) (*netlink.Handle, error) {
	if path == "" {
		h, err := netlink.NewHandle()
		if err != nil {
			return nil, fmt.Errorf("netcfg: netlink: %w", err)
		}
		return h, nil
	}
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("netcfg: network namespace %s: %w", path, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, fmt.Errorf("netcfg: netlink in %s: %w", path, err)
	}
	return h, nil
}

func (m *linuxManager) Apply(ctx context.Context, cfg Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st != nil {
		return ErrApplied
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if old, err := loadState(m.opts.StateFile); err != nil {
		return err
	} else if old != nil {
		return fmt.Errorf("%w: %s", ErrApplied, m.opts.StateFile)
	}
	m.st = &state{Version: stateVersion, PID: os.Getpid(), StartTime: procStartTime(os.Getpid()), NetNS: m.opts.NetNS}
	if err := m.apply(ctx, cfg); err != nil {
		if uerr := m.undo(ctx); uerr != nil {
			return errors.Join(err, fmt.Errorf("netcfg: undoing the partial Apply: %w", uerr))
		}
		return err
	}
	return nil
}

func (m *linuxManager) Revert(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st == nil {
		return nil
	}
	return m.undo(ctx)
}

// bypass is a destination kept on the path it had before Apply.
type bypass struct {
	dst     netip.Prefix
	gw      netip.Addr
	ifindex int
	ifname  string
}

func (m *linuxManager) apply(ctx context.Context, cfg Config) error {
	link, err := m.h.LinkByName(cfg.Interface)
	if err != nil {
		return fmt.Errorf("netcfg: interface %s: %w", cfg.Interface, err)
	}
	at := link.Attrs()
	idx, name := at.Index, at.Name

	// Learn the paths to keep before anything changes.
	var plan routePlan
	var keep []bypass
	if !m.opts.NoRoutes {
		plan = planRoutes(cfg)
		for _, dst := range plan.bypass {
			b, err := m.currentPath(dst, idx)
			if err != nil {
				return err
			}
			keep = append(keep, b)
		}
	}

	if cfg.MTU > 0 && at.MTU != cfg.MTU {
		c := change{Kind: chMTU, Ifindex: idx, Ifname: name, OldMTU: at.MTU}
		if err := m.step(c, func() error { return m.h.LinkSetMTU(link, cfg.MTU) }); err != nil {
			return fmt.Errorf("netcfg: set MTU of %s: %w", name, err)
		}
	}
	if at.Flags&net.FlagUp == 0 {
		c := change{Kind: chUp, Ifindex: idx, Ifname: name}
		if err := m.step(c, func() error { return m.h.LinkSetUp(link) }); err != nil {
			return fmt.Errorf("netcfg: bring %s up: %w", name, err)
		}
	}

	have, err := m.h.AddrList(link, netlink.FAMILY_ALL)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("netcfg: addresses of %s: %w", name, err)
	}
	for _, p := range cfg.Addresses {
		if hasAddr(have, p) {
			m.opts.Logger.Info("netcfg: address already present, left alone", "addr", p, "dev", name)
			continue
		}
		c := change{Kind: chAddr, Ifindex: idx, Ifname: name, Addr: p}
		if err := m.step(c, func() error { return m.h.AddrAdd(link, nlAddr(p)) }); err != nil {
			return fmt.Errorf("netcfg: add address %v to %s: %w", p, name, err)
		}
	}

	// Pinned paths first, so that the headend never goes into the tunnel.
	for _, b := range keep {
		r := routeRec{Dst: b.dst, Gw: b.gw, Ifindex: b.ifindex, Ifname: b.ifname, Table: mainTable, Protocol: routeProtocol}
		if err := m.addRoute(r); err != nil {
			return err
		}
	}
	for _, dst := range plan.tunnel {
		r := routeRec{Dst: dst, Ifindex: idx, Ifname: name, Table: mainTable, Protocol: routeProtocol}
		if err := m.addRoute(r); err != nil {
			return err
		}
	}

	if len(cfg.DNS) > 0 || len(cfg.Domains) > 0 {
		if err := m.applyDNS(ctx, cfg, link); err != nil {
			return err
		}
	}
	return nil
}

// currentPath asks the kernel how it reaches dst now (ip route get).
func (m *linuxManager) currentPath(dst netip.Prefix, tunIdx int) (bypass, error) {
	rs, err := m.h.RouteGet(dst.Addr().AsSlice())
	if err != nil || len(rs) == 0 {
		return bypass{}, fmt.Errorf("netcfg: no route to %v before the tunnel: %v", dst.Addr(), err)
	}
	r := rs[0]
	if r.LinkIndex == tunIdx {
		return bypass{}, fmt.Errorf("netcfg: %v is already routed through the tunnel interface", dst.Addr())
	}
	l, err := m.h.LinkByIndex(r.LinkIndex)
	if err != nil {
		return bypass{}, fmt.Errorf("netcfg: link %d of the route to %v: %w", r.LinkIndex, dst.Addr(), err)
	}
	if l.Type() == "device" && l.Attrs().Flags&net.FlagLoopback != 0 {
		return bypass{}, fmt.Errorf("netcfg: %v is a local address", dst.Addr())
	}
	b := bypass{dst: dst, ifindex: r.LinkIndex, ifname: l.Attrs().Name}
	if r.Gw != nil {
		gw, ok := netip.AddrFromSlice(r.Gw)
		if ok {
			b.gw = gw.Unmap()
		}
	}
	return b, nil
}

func (m *linuxManager) addRoute(r routeRec) error {
	if !r.Gw.IsValid() && r.Dst.Addr().Is4() {
		r.Scope = int(netlink.SCOPE_LINK)
	}
	nr := r.netlink()
	fam := netlink.FAMILY_V4
	if r.Dst.Addr().Is6() {
		fam = netlink.FAMILY_V6
	}
	existing, err := m.h.RouteListFiltered(fam, &netlink.Route{Dst: nr.Dst, Table: r.Table}, netlink.RT_FILTER_DST|netlink.RT_FILTER_TABLE)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("netcfg: list routes to %v: %w", r.Dst, err)
	}
	want := r.Metric
	if fam == netlink.FAMILY_V6 && want == 0 {
		want = 1024 // the kernel's default metric for IPv6 routes added by users
	}
	for _, e := range existing {
		if e.Priority != want {
			continue
		}
		if e.LinkIndex == r.Ifindex && sameIP(e.Gw, r.Gw) {
			m.opts.Logger.Info("netcfg: route already present, left alone", "route", r.String())
		} else {
			m.opts.Logger.Warn("netcfg: a different route to the same network exists; not replacing it", "route", r.String(), "existing_dev", e.LinkIndex, "existing_gw", e.Gw)
		}
		return nil
	}
	err = m.step(change{Kind: chRoute, Route: &r}, func() error { return m.h.RouteAdd(nr) })
	if errors.Is(err, unix.EEXIST) {
		// Appeared between the check and the add: not ours to remove.
		m.st.Changes = m.st.Changes[:len(m.st.Changes)-1]
		m.opts.Logger.Warn("netcfg: route appeared meanwhile; not replacing it", "route", r.String())
		return saveState(m.opts.StateFile, m.st)
	}
	if err != nil {
		return fmt.Errorf("netcfg: add route %s: %w", r.String(), err)
	}
	return nil
}

func sameIP(ip net.IP, a netip.Addr) bool {
	if !a.IsValid() {
		return len(ip) == 0 || ip.IsUnspecified()
	}
	b, ok := netip.AddrFromSlice(ip)
	return ok && b.Unmap() == a.Unmap()
}

func (r routeRec) netlink() *netlink.Route {
	nr := &netlink.Route{
		LinkIndex: r.Ifindex,
		Dst:       prefixNet(r.Dst.Masked()),
		Table:     r.Table,
		Protocol:  netlink.RouteProtocol(r.Protocol),
		Priority:  r.Metric,
		Scope:     netlink.Scope(r.Scope),
	}
	if r.Gw.IsValid() {
		nr.Gw = r.Gw.AsSlice()
	}
	return nr
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func nlAddr(p netip.Prefix) *netlink.Addr {
	a := &netlink.Addr{IPNet: prefixNet(p)}
	if p.Addr().Is6() {
		a.Flags = unix.IFA_F_NODAD // usable at once, no tentative phase
	}
	return a
}

func hasAddr(have []netlink.Addr, p netip.Prefix) bool {
	for _, a := range have {
		if a.IPNet == nil {
			continue
		}
		ip, ok := netip.AddrFromSlice(a.IP)
		ones, _ := a.Mask.Size()
		if ok && ip.Unmap() == p.Addr().Unmap() && ones == p.Bits() {
			return true
		}
	}
	return false
}

func (m *linuxManager) applyDNS(ctx context.Context, cfg Config, link netlink.Link) error {
	mode, why := chooseDNS(ctx, m.opts.DNS, m.opts.ResolvConf, m.probes)
	m.opts.Logger.Info("netcfg: DNS method", "mode", mode, "why", why)
	at := link.Attrs()
	switch mode {
	case DNSResolved:
		if at.RawFlags&unix.IFF_LOWER_UP == 0 {
			// resolved accepts but ignores settings for a link without carrier.
			m.opts.Logger.Warn("netcfg: tunnel interface has no carrier; systemd-resolved may ignore its DNS", "dev", at.Name)
		}
		api, err := m.newResolved(ctx, m.opts.DBusAddress)
		if err != nil {
			return err
		}
		defer api.Close()
		c := change{Kind: chResolved, Ifindex: at.Index, Ifname: at.Name, Bus: m.opts.DBusAddress}
		return m.step(c, func() error { return applyResolved(ctx, api, at.Index, cfg) })
	case DNSFile:
		if len(cfg.DNS) == 0 {
			m.opts.Logger.Info("netcfg: no DNS servers; resolv.conf left alone")
			return nil
		}
		if cfg.SplitDNS {
			m.opts.Logger.Info("netcfg: resolv.conf cannot split DNS; tunnel servers first, then the original ones")
		}
		fb, err := snapshotResolvConf(m.opts.ResolvConf)
		if err != nil {
			return err
		}
		fb.Written = renderResolvConf(fb.Original, cfg)
		return m.step(change{Kind: chResolvConf, File: fb}, func() error { return writeResolvConf(fb) })
	}
	return nil
}

// step records c, makes it with do and marks it done; the state file holds
// the change before it is made, so a crash between the two is undone too.
func (m *linuxManager) step(c change, do func() error) error {
	m.st.Changes = append(m.st.Changes, c)
	if err := saveState(m.opts.StateFile, m.st); err != nil {
		m.st.Changes = m.st.Changes[:len(m.st.Changes)-1]
		return err
	}
	if m.beforeStep != nil {
		if err := m.beforeStep(c); err != nil {
			return err
		}
	}
	if err := do(); err != nil {
		return err // stays recorded as not done; undo tolerates that
	}
	m.st.Changes[len(m.st.Changes)-1].Done = true
	return saveState(m.opts.StateFile, m.st)
}

// undo reverts the recorded changes, newest first, removing each from the
// state file once undone. What fails stays recorded and is reported.
func (m *linuxManager) undo(ctx context.Context) error {
	var errs []error
	var left []change
	for i := len(m.st.Changes) - 1; i >= 0; i-- {
		c := m.st.Changes[i]
		if err := m.undoChange(ctx, c); err != nil {
			errs = append(errs, err)
			left = append(left, c)
		}
		m.st.Changes = m.st.Changes[:i]
		keep := append(append([]change(nil), m.st.Changes...), reversed(left)...)
		if err := saveState(m.opts.StateFile, &state{Version: m.st.Version, PID: m.st.PID, StartTime: m.st.StartTime, NetNS: m.st.NetNS, Changes: keep}); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		m.st.Changes = reversed(left)
		return errors.Join(errs...)
	}
	m.st = nil
	return nil
}

func reversed(l []change) []change {
	r := make([]change, len(l))
	for i, c := range l {
		r[len(l)-1-i] = c
	}
	return r
}

// sameLink returns the link with index i if it still has the recorded name;
// after a crash the tunnel device is gone and its index may be reused.
func (m *linuxManager) sameLink(i int, name string) (netlink.Link, bool) {
	l, err := m.h.LinkByIndex(i)
	if err != nil || l.Attrs().Name != name {
		return nil, false
	}
	return l, true
}

func (m *linuxManager) undoChange(ctx context.Context, c change) error {
	switch c.Kind {
	case chMTU:
		if l, ok := m.sameLink(c.Ifindex, c.Ifname); ok && l.Attrs().MTU != c.OldMTU {
			if err := m.h.LinkSetMTU(l, c.OldMTU); err != nil && !gone(err) {
				return fmt.Errorf("netcfg: restore MTU of %s: %w", c.Ifname, err)
			}
		}
	case chUp:
		if l, ok := m.sameLink(c.Ifindex, c.Ifname); ok {
			if err := m.h.LinkSetDown(l); err != nil && !gone(err) {
				return fmt.Errorf("netcfg: set %s down: %w", c.Ifname, err)
			}
		}
	case chAddr:
		if l, ok := m.sameLink(c.Ifindex, c.Ifname); ok {
			if err := m.h.AddrDel(l, nlAddr(c.Addr)); err != nil && !gone(err) {
				return fmt.Errorf("netcfg: remove address %v from %s: %w", c.Addr, c.Ifname, err)
			}
		}
	case chRoute:
		if c.Route == nil {
			return nil
		}
		if _, ok := m.sameLink(c.Route.Ifindex, c.Route.Ifname); !ok {
			return nil // the route went with its link
		}
		if err := m.h.RouteDel(c.Route.netlink()); err != nil && !gone(err) {
			return fmt.Errorf("netcfg: remove route %s: %w", c.Route.String(), err)
		}
	case chResolved:
		if _, ok := m.sameLink(c.Ifindex, c.Ifname); !ok {
			return nil // resolved dropped the settings with the link
		}
		api, err := m.newResolved(ctx, c.Bus)
		if err != nil {
			return err
		}
		defer api.Close()
		if err := api.RevertLink(ctx, c.Ifindex); err != nil {
			return err
		}
		_ = api.FlushCaches(ctx)
	case chResolvConf:
		if c.File != nil {
			return restoreResolvConf(c.File, m.opts.Logger)
		}
	default:
		return fmt.Errorf("netcfg: unknown recorded change %q", c.Kind)
	}
	return nil
}

// gone reports errors that mean the thing to remove is not there (any more).
func gone(err error) bool {
	return errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENODEV) ||
		errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.ENOENT) ||
		errors.Is(err, unix.ENXIO)
}

// Recover undoes the changes recorded in the state file by a process that
// did not Revert (it crashed or was killed). It refuses while that process
// still runs. Without a state file it does nothing.
func Recover(ctx context.Context, opts Options) error {
	opts = opts.withDefaults()
	st, err := loadState(opts.StateFile)
	if err != nil || st == nil {
		return err
	}
	if st.PID != os.Getpid() && st.StartTime != 0 && procStartTime(st.PID) == st.StartTime {
		return fmt.Errorf("netcfg: state file %s belongs to running process %d", opts.StateFile, st.PID)
	}
	if opts.NetNS == "" {
		opts.NetNS = st.NetNS
	}
	m, err := newLinux(opts)
	if err != nil {
		return err
	}
	m.st = st
	if err := m.undo(ctx); err != nil {
		return fmt.Errorf("netcfg: recover: %w", err)
	}
	opts.Logger.Info("netcfg: recovered the network configuration left by an earlier run", "pid", st.PID, "changes", len(st.Changes))
	return nil
}

// procStartTime is the start time of a process in clock ticks since boot
// (field 22 of /proc/PID/stat), or 0; with the PID it names one process.
func procStartTime(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}

func realProbes(busAddr string) dnsProbes {
	return dnsProbes{
		resolvedOnBus: func(ctx context.Context) (bool, error) {
			return nameOnBus(ctx, busAddr, resolvedName)
		},
		resolvConf: func(path string) ([]byte, string, bool, error) {
			fi, err := os.Lstat(path)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, "", false, nil
			}
			if err != nil {
				return nil, "", false, err
			}
			var link string
			if fi.Mode()&fs.ModeSymlink != 0 {
				link, _ = os.Readlink(path)
			}
			b, err := os.ReadFile(path)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, link, true, err
			}
			return b, link, true, nil
		},
		writable: func(path string) bool {
			if unix.Access(path, unix.W_OK) == nil {
				return true
			}
			if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
				dir := path
				for i := len(dir) - 1; i >= 0; i-- {
					if dir[i] == '/' {
						dir = dir[:i]
						break
					}
				}
				if dir == "" {
					dir = "/"
				}
				return unix.Access(dir, unix.W_OK) == nil
			}
			return false
		},
	}
}

func (o Options) withDefaults() Options {
	if o.StateFile == "" {
		o.StateFile = DefaultStateFile
	}
	if o.DNS == "" {
		o.DNS = DNSAuto
	}
	if o.ResolvConf == "" {
		o.ResolvConf = DefaultResolvConf
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
