package gui

// A real agent (client/agent's Server, running a real client.Session)
// with an in-process headend behind it (client/clienttest): no sockets
// but the agent's own, no TUN device, no root.

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/client/clienttest"
	"github.com/vpnc-go/vpnc-go/profile"
)

const (
	testUser     = "alice"
	testPassword = "correct horse battery"
	testBanner   = "Authorized users only."
	headendName  = clienttest.HeadendName
)

// startAgent serves an agent on a socket in a temporary folder and
// returns the socket's path.
func startAgent(t *testing.T) string {
	t.Helper()
	return startAgentTrusting(t, true)
}

// startAgentTrusting is startAgent with the headend's CA given to the
// agent (trusted) or not (its certificate is refused).
func startAgentTrusting(t *testing.T, trusted bool) string {
	t.Helper()
	h, caFile := clienttest.NewASA(t, clienttest.ASA{User: testUser, Password: testPassword, Banner: testBanner})
	newSession := func(o client.Options) (*client.Session, error) { return client.New(o, h.Deps()) }
	if !trusted {
		caFile = ""
	}
	srv, err := agent.NewServer(agent.Config{
		Policy:     &agent.Policy{CAFile: caFile, Profiles: func() *profile.Catalog { return &profile.Catalog{} }},
		NewSession: newSession,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Build:      "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(t.TempDir(), "agent.sock")
	l, err := agent.Listen(socket, "")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return socket
}
