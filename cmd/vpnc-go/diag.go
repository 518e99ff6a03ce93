package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/client/diag"
	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/profile"
)

type diagFlags struct {
	output      string
	redact      bool
	socket      string
	profileDirs []string
	stateFile   string
}

func newDiagCmd() *cobra.Command {
	f := &diagFlags{}
	cmd := &cobra.Command{
		Use:   "diag",
		Short: "Write one file with everything a help desk needs to diagnose the VPN, and no secret",
		Long: `Write a .tar.gz for your help desk: vpnc-go's version, the OS (kernel,
distribution, systemd-resolved, NetworkManager, the TUN device), the profiles
in effect and their validation, the agent's status, recent log and the last
sessions' events, the headend's certificate chain and the trust decision, the
tunnel's addresses, routes, rules and DNS, and the netcfg journal. MANIFEST.json
inside lists every file, what it is and what was removed from it.

Never inside: passwords, form answers, private keys, PKCS#12 files, keyring
entries, session tokens, key logs. User names and headend host names are kept
unless --redact-identities replaces them with placeholders (user-1,
headend-1), the same in every file.

It needs neither the agent nor root: what it cannot collect is listed in the
manifest, with the reason.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDiag(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "write to `FILE` (default: vpnc-go-diag-HOST-TIME.tar.gz in the current folder)")
	fl.BoolVar(&f.redact, "redact-identities", false, "replace user names and headend host names with placeholders")
	fl.StringVar(&f.socket, "socket", agent.DefaultSocket, "the agent's socket `PATH`")
	fl.StringArrayVar(&f.profileDirs, "profile-dir", nil, "read managed profiles from `DIR` instead of the system folders (repeatable)")
	fl.StringVar(&f.stateFile, "state-file", netcfg.DefaultStateFile, "the netcfg journal `FILE`")
	return cmd
}

func runDiag(cmd *cobra.Command, f *diagFlags) error {
	now := time.Now().UTC()
	path := f.output
	if path == "" {
		path = defaultDiagName(now)
	}
	dir := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".gz"), ".tar")
	if strings.HasSuffix(filepath.Base(path), ".tgz") {
		dir = strings.TrimSuffix(filepath.Base(path), ".tgz")
	}
	popts := profile.Options{}
	if len(f.profileDirs) > 0 {
		popts.SystemDirs = f.profileDirs
	}
	build := versionString() + "\n"
	if info, ok := debug.ReadBuildInfo(); ok {
		build += "\n" + info.String()
	}
	src := diag.System(build, f.socket, popts, f.stateFile)
	src.Now = func() time.Time { return now }
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("diag: %w", err)
	}
	m, err := diag.Write(context.Background(), out, dir, src, diag.Options{RedactIdentities: f.redact})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("diag: writing %s: %w", path, err)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintln(w, path)
	fmt.Fprintln(w, m.Summary())
	return nil
}

// defaultDiagName is vpnc-go-diag-HOST-20261204T163000Z.tar.gz.
func defaultDiagName(now time.Time) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, host)
	return fmt.Sprintf("vpnc-go-diag-%s-%s.tar.gz", host, now.Format("20060102T150405Z"))
}
