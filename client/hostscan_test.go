package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHostScanWrapper(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	req := HostScanRequest{Host: "192.0.2.1", CSPort: "8443", Ticket: "T1", Token: "TOK", WaitURI: "/+CSCOE+/sdesktop/wait.html"}

	// Arguments and environment as OpenConnect's wrappers expect; the
	// printed line becomes the token.
	echo := write("echo.sh", `echo "$CSD_TOKEN:$CSD_HOSTNAME:$CSD_PORT:$*"`)
	got, err := HostScanWrapper(echo, time.Second)(req)
	if err != nil || got != "TOK:192.0.2.1:8443:-ticket T1 -stub 0 -group  -url https://192.0.2.1:8443/+CSCOE+/sdesktop/wait.html" {
		t.Fatalf("got %q %v", got, err)
	}
	// A silent wrapper hands back the headend's token.
	if got, err := HostScanWrapper(write("quiet.sh", "exit 0\n"), time.Second)(req); err != nil || got != "TOK" {
		t.Fatalf("got %q %v", got, err)
	}
	// Failure and timeout stop the login with the wrapper's words.
	if _, err := HostScanWrapper(write("fail.sh", "echo no antivirus >&2; exit 3\n"), time.Second)(req); err == nil || !strings.Contains(err.Error(), "no antivirus") {
		t.Fatalf("got %v", err)
	}
	if _, err := HostScanWrapper(write("slow.sh", "sleep 5\n"), 100*time.Millisecond)(req); err == nil {
		t.Fatal("a wrapper past its time limit succeeded")
	}
}
