package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/client/diag"
)

// readBundle returns a bundle's files by name, without their folder.
func readBundle(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		_, name, _ := strings.Cut(h.Name, "/")
		files[name] = string(b)
	}
}

// TestDiagWithoutAgent: with no agent listening, diag still writes the
// bundle, prints its path and a summary naming what is missing, and the
// profiles of the folders given are in it.
func TestDiagWithoutAgent(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bundle.tar.gz")
	t.Setenv("VPNC_GO_USER_PROFILE_DIR", filepath.Join(pdir, "user"))
	t.Setenv("VPNC_GO_PUSHED_PROFILE_DIR", "")
	got, err := runCLI(t, "diag", "--output", out, "--socket", filepath.Join(dir, "no.sock"), "--state-file", filepath.Join(dir, "netcfg.json"),
		"--profile-dir", filepath.Join(pdir, "good"))
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 2 || lines[0] != out || !strings.Contains(lines[1], "not collected: agent") {
		t.Fatalf("output:\n%s", got)
	}
	files := readBundle(t, out)
	var m diag.Manifest
	if err := json.Unmarshal([]byte(files[diag.ManifestName]), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != len(files) {
		t.Errorf("manifest lists %d files, the bundle holds %d", len(m.Files), len(files))
	}
	if sum := files["profiles/summary.txt"]; !strings.Contains(sum, "corp-asa.xml") || !strings.Contains(sum, "home.xml") {
		t.Errorf("profiles/summary.txt:\n%s", files["profiles/summary.txt"])
	}
	if _, err := runCLI(t, "diag", "--output", out, "--socket", filepath.Join(dir, "no.sock")); err == nil {
		t.Error("diag overwrote an existing file")
	}
}
