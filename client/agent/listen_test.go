//go:build linux

package agent

import (
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestListen: the socket gets mode 0660 and the group; a live agent's
// socket is not taken over; a dead one's is replaced.
func TestListen(t *testing.T) {
	g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Skipf("this process's group has no name: %v", err)
	}
	path := filepath.Join(t.TempDir(), "run", "agent.sock")
	l, err := Listen(path, g.Name)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o660 || st.Mode()&os.ModeSocket == 0 || int(st.Sys().(*syscall.Stat_t).Gid) != os.Getgid() {
		t.Fatalf("socket %v gid %d", st.Mode(), st.Sys().(*syscall.Stat_t).Gid)
	}
	if _, err := Listen(path, g.Name); err == nil || !strings.Contains(err.Error(), "another agent") {
		t.Fatalf("a second agent on a live socket: %v", err)
	}
	// The agent dies without removing its socket.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	l, err = Listen(path, "")
	if err != nil {
		t.Fatalf("replacing a dead agent's socket: %v", err)
	}
	l.Close()
	if _, err := Listen(path, "no-such-group-vpnc-go-test"); err == nil || !strings.Contains(err.Error(), "groupadd") {
		t.Fatalf("an unknown group: %v", err)
	}
}
