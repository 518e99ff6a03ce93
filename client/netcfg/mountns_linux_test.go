//go:build linux

package netcfg

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vpnc-go/vpnc-go/cmd/testenv"
	"golang.org/x/sys/unix"
)

// TestResolvConfBindMounted covers the file that ip netns exec and
// containers bind-mount over /etc/resolv.conf: it cannot be replaced by a
// rename (EBUSY), so it is written through and restored the same way. The
// bind mount lives in a private mount namespace of one OS thread, which
// dies with the test's goroutine.
func TestResolvConfBindMounted(t *testing.T) {
	testenv.NeedRoot(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "netns-resolv.conf")
	dst := filepath.Join(dir, "resolv.conf")
	orig := []byte("nameserver 192.0.2.1\n")
	must(t, os.WriteFile(src, orig, 0o644))
	must(t, os.WriteFile(dst, []byte("host file, hidden by the mount\n"), 0o644))
	errc := make(chan error, 1)
	var during, after []byte
	var inPlace bool
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		errc <- func() error {
			if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
				return err
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return err
			}
			if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
				return err
			}
			fb, err := snapshotResolvConf(dst)
			if err != nil {
				return err
			}
			fb.Written = renderResolvConf(fb.Original, Config{Interface: "tun0", DNS: []netip.Addr{netip.MustParseAddr("10.2.2.53")}})
			if err := writeResolvConf(fb); err != nil {
				return err
			}
			inPlace = fb.InPlace
			during, _ = os.ReadFile(src)
			log, _ := logBuffer()
			if err := restoreResolvConf(fb, log); err != nil {
				return err
			}
			after, _ = os.ReadFile(src)
			return nil
		}()
	}()
	must(t, <-errc)
	if !inPlace || !bytes.Contains(during, []byte("nameserver 10.2.2.53")) {
		t.Errorf("not written through the mount: in place %v, file %q", inPlace, during)
	}
	if !bytes.Equal(after, orig) {
		t.Errorf("after restore %q, want %q", after, orig)
	}
	if b, _ := os.ReadFile(dst); string(b) != "host file, hidden by the mount\n" {
		t.Errorf("the file under the mount changed: %q", b)
	}
}
