package creds

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// reachable tells early whether a session bus can exist at all. Without
// DBUS_SESSION_BUS_ADDRESS and without the per-user bus socket, godbus
// would try to autolaunch one with dbus-launch, which either fails
// ("dbus-launch: executable file not found") or starts a stray daemon.
func reachable() error {
	if _, real := kr.(goKeyring); !real {
		return nil // a test backend
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	dir := fmt.Sprintf("/run/user/%d", os.Getuid())
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return nil
		}
	}
	return &NoKeyringError{Err: errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")}
}
