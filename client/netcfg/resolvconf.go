package netcfg

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// snapshotResolvConf reads what must be kept to restore path later.
func snapshotResolvConf(path string) (*fileBackup, error) {
	fb := &fileBackup{Path: path}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fb, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netcfg: %w", err)
	}
	fb.Existed = true
	fb.Mode = fi.Mode().Perm()
	if fi.Mode()&fs.ModeSymlink != 0 {
		if fb.Symlink, err = os.Readlink(path); err != nil {
			return nil, fmt.Errorf("netcfg: %w", err)
		}
		fb.Mode = 0o644
	}
	// A dangling symlink (resolved's stub without resolved) reads as empty.
	if fb.Original, err = os.ReadFile(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("netcfg: %w", err)
	}
	return fb, nil
}

// renderResolvConf makes the file for cfg from the original. resolv.conf
// cannot send only some names to some servers: with SplitDNS the tunnel's
// servers come first and the original ones follow (up to the three that
// glibc reads), and the domains are added in front of the original search
// list.
func renderResolvConf(orig []byte, cfg Config) []byte {
	var origNS, origSearch, origOpts []string
	sc := bufio.NewScanner(bytes.NewReader(orig))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			origNS = append(origNS, f[1])
		case "search", "domain":
			origSearch = append(origSearch, f[1:]...)
		case "options":
			origOpts = append(origOpts, f[1:]...)
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Written by vpnc-go for the VPN on %s; the original comes back when it disconnects.\n", cfg.Interface)
	ns := make([]string, 0, len(cfg.DNS))
	for _, a := range cfg.DNS {
		ns = append(ns, a.String())
	}
	if cfg.SplitDNS {
		for _, o := range origNS {
			if len(ns) >= 3 {
				break
			}
			if !contains(ns, o) {
				ns = append(ns, o)
			}
		}
	}
	for _, n := range ns {
		fmt.Fprintf(&b, "nameserver %s\n", n)
	}
	var search []string
	for _, d := range cfg.Domains {
		if d = normDomain(d); d != "" && !contains(search, d) {
			search = append(search, d)
		}
	}
	if cfg.SplitDNS {
		for _, d := range origSearch {
			if !contains(search, d) {
				search = append(search, d)
			}
		}
	}
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	if len(origOpts) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(origOpts, " "))
	}
	return b.Bytes()
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// writeResolvConf puts fb.Written in place. A regular file or a symlink is
// replaced atomically by a new regular file; a file that cannot be replaced
// because it is a mount point (ip netns exec, containers) is written through.
func writeResolvConf(fb *fileBackup) error {
	err := writeFileAtomic(fb.Path, fb.Written, 0o644)
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.EXDEV) {
		fb.InPlace = true
		return writeInPlace(fb.Path, fb.Written)
	}
	return err
}

func writeInPlace(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("netcfg: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("netcfg: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("netcfg: %w", err)
	}
	return f.Close()
}

// restoreResolvConf puts the original back, unless the file now holds
// neither what was written nor the original: then someone else (a DHCP
// client, the user) has changed it since, and their version is kept.
func restoreResolvConf(fb *fileBackup, log *slog.Logger) error {
	cur, curErr := os.ReadFile(fb.Path)
	fi, lerr := os.Lstat(fb.Path)
	exists := lerr == nil
	if curErr != nil && !errors.Is(curErr, fs.ErrNotExist) {
		return fmt.Errorf("netcfg: %w", curErr)
	}
	isLink := exists && fi.Mode()&fs.ModeSymlink != 0
	if fb.Written == nil || !exists || isLink || !bytes.Equal(cur, fb.Written) {
		if isOriginal(fb, exists, isLink, cur) {
			return nil // never written, or already restored
		}
		log.Warn("netcfg: resolv.conf was changed by someone else while the VPN was up; leaving their version",
			"path", fb.Path, "original_bytes", len(fb.Original))
		return nil
	}
	switch {
	case !fb.Existed:
		if err := os.Remove(fb.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("netcfg: %w", err)
		}
		return nil
	case fb.Symlink != "":
		tmp := filepath.Join(filepath.Dir(fb.Path), "."+filepath.Base(fb.Path)+".vpnc-go-link")
		os.Remove(tmp)
		if err := os.Symlink(fb.Symlink, tmp); err != nil {
			return fmt.Errorf("netcfg: %w", err)
		}
		if err := os.Rename(tmp, fb.Path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("netcfg: %w", err)
		}
		return nil
	case fb.InPlace:
		return writeInPlace(fb.Path, fb.Original)
	default:
		err := writeFileAtomic(fb.Path, fb.Original, fb.Mode)
		if errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.EXDEV) {
			return writeInPlace(fb.Path, fb.Original)
		}
		return err
	}
}

func isOriginal(fb *fileBackup, exists, isLink bool, cur []byte) bool {
	if !fb.Existed {
		return !exists
	}
	if fb.Symlink != "" {
		if !isLink {
			return false
		}
		t, err := os.Readlink(fb.Path)
		return err == nil && t == fb.Symlink
	}
	return exists && !isLink && bytes.Equal(cur, fb.Original)
}

// resolvConfPointsAtResolved reports whether a resolv.conf sends queries to
// systemd-resolved's stub (or is resolved's own file).
func resolvConfPointsAtResolved(b []byte, symlink string) bool {
	if strings.Contains(symlink, "/run/systemd/resolve/") {
		return true
	}
	var ns []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "managed by man:systemd-resolved") {
			return true
		}
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			ns = append(ns, f[1])
		}
	}
	if len(ns) == 0 {
		return false
	}
	for _, n := range ns {
		a, err := netip.ParseAddr(n)
		if err != nil || (a != netip.MustParseAddr("127.0.0.53") && a != netip.MustParseAddr("127.0.0.54")) {
			return false
		}
	}
	return true
}
