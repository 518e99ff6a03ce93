package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

// DefaultSocket is where the agent listens and front ends look for it.
const DefaultSocket = "/run/vpnc-go/agent.sock"

// DefaultGroup is the group whose members may use the agent.
const DefaultGroup = "vpnc-go"

// Listen makes the agent's socket at path: its folder (mode 0755) when
// missing, the socket with mode 0660 and group group (when not empty), so
// that only root and that group's members can even open it; the agent
// checks every peer's credentials besides. A socket file left by an agent
// that died is replaced; one that answers is an error (another agent runs).
func Listen(path, group string) (net.Listener, error) {
	gid := -1
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("agent socket group: %w (create it with groupadd %s, or name another with --group)", err, group)
		}
		if gid, err = strconv.Atoi(g.Gid); err != nil {
			return nil, fmt.Errorf("agent socket group %q: gid %q", group, g.Gid)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another agent is listening on %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing the stale socket: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if ul, ok := l.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(true)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, err
	}
	if gid >= 0 {
		if err := os.Chown(path, -1, gid); err != nil {
			l.Close()
			return nil, fmt.Errorf("giving the socket to group %s: %w", group, err)
		}
	}
	return l, nil
}
