package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs the command tree in-process and returns what it printed.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestVersion(t *testing.T) {
	out, err := runCLI(t, "version")
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	if !strings.HasPrefix(out, "vpnc-go ") {
		t.Fatalf("version printed %q", out)
	}
}

func TestHelpListsCommands(t *testing.T) {
	out, err := runCLI(t, "help")
	if err != nil {
		t.Fatalf("help: %v", err)
	}
	for _, want := range []string{"version", "help", "IKEv2"} {
		if !strings.Contains(out, want) {
			t.Errorf("help output lacks %q:\n%s", want, out)
		}
	}
}

func TestUnknownCommandFails(t *testing.T) {
	_, err := runCLI(t, "no-such-command")
	if err == nil || !strings.Contains(err.Error(), "no-such-command") {
		t.Fatalf("want an error naming the command, got %v", err)
	}
}
