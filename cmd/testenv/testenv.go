// Package testenv tells tests what the machine offers them. Tests that need
// root, a network namespace or an installed tool skip on a developer's
// machine that lacks it, but fail when CI is set: CI runs as root and its
// setup script installs every tool, so a skip there would hide a broken
// setup.
package testenv

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// CI reports whether the tests run under CI (the CI variable is set).
func CI() bool { return os.Getenv("CI") != "" }

// SkipOrFail ends the test: a failure under CI, a skip elsewhere.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatal(msg + " (CI must provide it)")
	}
	t.Skip(msg)
}

// NeedRoot skips or fails a test that needs root (network namespaces, TUN
// devices, routes).
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		SkipOrFail(t, "needs root: network namespaces and TUN devices")
	}
}

// NeedCommand returns the path of an installed command, or skips or fails
// the test; pkg names the Debian package that has it (.ci/setup installs
// it).
func NeedCommand(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		SkipOrFail(t, "needs %s (Debian package %s; bash .ci/setup installs it)", name, pkg)
	}
	return path
}

var update = flag.Bool("update", false, "rewrite the golden files the tests compare with")

// Golden compares got with the file at path; with -update it writes got
// there instead (review the diff before committing it).
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
