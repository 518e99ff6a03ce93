package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenManWritesOnePagePerCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "1796401918") // 2026-12-04
	if _, err := runCLI(t, "gen-man", dir); err != nil {
		t.Fatalf("gen-man: %v", err)
	}
	for _, page := range []string{"vpnc-go.1", "vpnc-go-connect.1", "vpnc-go-profiles-list.1", "vpnc-go-version.1"} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Fatalf("page %s: %v", page, err)
		}
		if !strings.Contains(string(b), `"Dec 2026"`) {
			t.Errorf("page %s is not dated by SOURCE_DATE_EPOCH:\n%.200s", page, b)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "vpnc-go-gen-man.1")); err == nil {
		t.Error("the hidden gen-man command got a manual page")
	}
}

func TestGenManIsHiddenFromHelp(t *testing.T) {
	out, err := runCLI(t, "help")
	if err != nil {
		t.Fatalf("help: %v", err)
	}
	if strings.Contains(out, "gen-man") {
		t.Errorf("help lists gen-man:\n%s", out)
	}
}

func TestGenManNeedsAFolder(t *testing.T) {
	if _, err := runCLI(t, "gen-man"); err == nil {
		t.Error("gen-man without a folder succeeded")
	}
}

func TestVersionPrintsCommitAndDate(t *testing.T) {
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	version, commit, date = "1.2.3-1", "0123456789abcdef0123", "2026-12-04T16:35:41Z"
	got := versionString()
	want := "vpnc-go 1.2.3-1 (commit 0123456789ab, built 2026-12-04T16:35:41Z, "
	if !strings.HasPrefix(got, want) {
		t.Errorf("versionString() = %q, want prefix %q", got, want)
	}
}
