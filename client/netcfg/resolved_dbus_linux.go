package netcfg

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/godbus/dbus/v5"
)

const (
	resolvedName = "org.freedesktop.resolve1"
	resolvedPath = "/org/freedesktop/resolve1"
	resolvedMgr  = "org.freedesktop.resolve1.Manager"
)

// dbusResolved talks to systemd-resolved over a private connection to the
// system bus.
type dbusResolved struct {
	conn *dbus.Conn
	obj  dbus.BusObject
}

// systemBusAddress is the address to use: the explicit one, else
// DBUS_SYSTEM_BUS_ADDRESS, else the standard socket.
func systemBusAddress(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if a := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"); a != "" {
		return a
	}
	return "unix:path=/var/run/dbus/system_bus_socket"
}

func dialSystemBus(ctx context.Context, addr string) (*dbus.Conn, error) {
	conn, err := dbus.Connect(systemBusAddress(addr), dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("netcfg: system bus: %w", err)
	}
	return conn, nil
}

func newDBusResolved(ctx context.Context, addr string) (*dbusResolved, error) {
	conn, err := dialSystemBus(ctx, addr)
	if err != nil {
		return nil, err
	}
	return &dbusResolved{conn: conn, obj: conn.Object(resolvedName, resolvedPath)}, nil
}

// nameOnBus reports whether name has an owner on the bus at addr.
func nameOnBus(ctx context.Context, addr, name string) (bool, error) {
	conn, err := dialSystemBus(ctx, addr)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
	return has, err
}

func (r *dbusResolved) call(ctx context.Context, method string, args ...any) error {
	if err := r.obj.CallWithContext(ctx, resolvedMgr+"."+method, 0, args...).Err; err != nil {
		return fmt.Errorf("netcfg: resolved %s: %w", method, err)
	}
	return nil
}

type dbusLinkAddr struct {
	Family  int32
	Address []byte
}

type dbusLinkDomain struct {
	Domain      string
	RoutingOnly bool
}

func (r *dbusResolved) SetLinkDNS(ctx context.Context, ifindex int, servers []netip.Addr) error {
	l := make([]dbusLinkAddr, 0, len(servers))
	for _, a := range servers {
		a = a.Unmap()
		fam := int32(2) // AF_INET
		if a.Is6() {
			fam = 10 // AF_INET6
		}
		l = append(l, dbusLinkAddr{Family: fam, Address: a.AsSlice()})
	}
	return r.call(ctx, "SetLinkDNS", int32(ifindex), l)
}

func (r *dbusResolved) SetLinkDomains(ctx context.Context, ifindex int, domains []resolvedDomain) error {
	l := make([]dbusLinkDomain, 0, len(domains))
	for _, d := range domains {
		l = append(l, dbusLinkDomain(d))
	}
	return r.call(ctx, "SetLinkDomains", int32(ifindex), l)
}

func (r *dbusResolved) SetLinkDefaultRoute(ctx context.Context, ifindex int, on bool) error {
	return r.call(ctx, "SetLinkDefaultRoute", int32(ifindex), on)
}

func (r *dbusResolved) RevertLink(ctx context.Context, ifindex int) error {
	err := r.call(ctx, "RevertLink", int32(ifindex))
	if isUnknownLink(err) {
		return nil // the link is gone, and its settings with it
	}
	return err
}

func (r *dbusResolved) FlushCaches(ctx context.Context) error {
	return r.call(ctx, "FlushCaches")
}

func (r *dbusResolved) Close() error { return r.conn.Close() }

func isUnknownLink(err error) bool {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name == "org.freedesktop.resolve1.NoSuchLink"
	}
	return err != nil && strings.Contains(err.Error(), "NoSuchLink")
}
