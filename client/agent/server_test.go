package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/profile"
)

// syncBuffer is a log sink several goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testAgent struct {
	srv    *Server
	socket string
	log    *syncBuffer
	h      *testHeadend
}

// startAgent runs an agent on a socket in a temporary folder, with the
// in-process headend behind it; change adjusts its configuration.
func startAgent(t *testing.T, change func(*Config)) *testAgent {
	t.Helper()
	h, caFile := newTestHeadend(t)
	ta := &testAgent{h: h, log: &syncBuffer{}, socket: filepath.Join(t.TempDir(), "agent.sock")}
	cfg := Config{
		Policy:     &Policy{CAFile: caFile, Profiles: func() *profile.Catalog { return &profile.Catalog{} }},
		NewSession: h.newSession,
		Logger:     slog.New(slog.NewTextHandler(ta.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Build:      "test",
	}
	if change != nil {
		change(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ta.srv = srv
	l, err := Listen(ta.socket, "")
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
	return ta
}

func (ta *testAgent) dial(t *testing.T) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), ta.socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitEvent reads c's events until want accepts one; the time limit only
// keeps a broken test from hanging.
func waitEvent(t *testing.T, c *Conn, what string, want func(client.Event) bool) client.Event {
	t.Helper()
	var seen []string
	limit := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-c.Events():
			if !ok {
				t.Fatalf("events ended while waiting for %s: %v (%v)", what, seen, c.Err())
			}
			seen = append(seen, fmt.Sprintf("%T%+v", e, e))
			if want(e) {
				return e
			}
		case <-limit:
			t.Fatalf("no %s; saw %v", what, seen)
		}
	}
}

func isForm(e client.Event) bool      { _, ok := e.(client.FormEvent); return ok }
func isConnected(e client.Event) bool { _, ok := e.(client.ConnectedEvent); return ok }
func isDisconnected(e client.Event) bool {
	_, ok := e.(client.DisconnectedEvent)
	return ok
}

func codeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestSessionThroughTheAgent drives one session from two front ends: one
// connects and answers the form, the other watches; both see the same
// events; a second connect is refused naming the host; the first front
// end leaving keeps the tunnel up, and the watcher disconnects it.
func TestSessionThroughTheAgent(t *testing.T) {
	ta := startAgent(t, nil)
	ctx := context.Background()
	a, watcher := ta.dial(t), ta.dial(t)
	if h := a.Hello(); h.Version != Version || h.UID != os.Getuid() || h.PID != os.Getpid() {
		t.Fatalf("hello %+v", h)
	}
	if st, err := watcher.Subscribe(ctx); err != nil || st.State != StateIdle {
		t.Fatalf("subscribe: %+v %v", st, err)
	}
	st, err := a.Connect(ctx, ConnectRequest{Host: headendName, User: testUser})
	if err != nil {
		t.Fatal(err)
	}
	if st.Host != headendName || st.OwnerUID != os.Getuid() {
		t.Fatalf("connect status %+v", st)
	}
	fe := waitEvent(t, a, "form", isForm).(client.FormEvent)
	if fe.Form.Field("password") == nil {
		t.Fatalf("form without a password field: %+v", fe.Form)
	}
	waitEvent(t, watcher, "form for the watcher", isForm)
	if st, _ := watcher.Status(ctx); st.Form == nil {
		t.Fatalf("status does not show the waiting form: %+v", st)
	}
	if err := a.Answer(ctx, client.FormAnswer{"username": testUser}); codeOf(err) != CodeAnswer {
		t.Fatalf("an answer without the password: %v", err)
	}
	if err := a.Answer(ctx, client.FormAnswer{"username": testUser, "password": testPassword}); err != nil {
		t.Fatal(err)
	}
	ce := waitEvent(t, a, "tunnel", isConnected).(client.ConnectedEvent)
	we := waitEvent(t, watcher, "tunnel for the watcher", isConnected).(client.ConnectedEvent)
	if ce.Settings.Address4.String() != "10.2.2.10/24" || ce.Settings.Device != "vpnc0" ||
		fmt.Sprint(ce.Settings) != fmt.Sprint(we.Settings) {
		t.Fatalf("settings %+v / %+v", ce.Settings, we.Settings)
	}
	if err := a.Answer(ctx, client.FormAnswer{"x": "y"}); codeOf(err) != CodeNoForm {
		t.Fatalf("an answer while no form waits: %v", err)
	}

	b := ta.dial(t)
	_, err = b.Connect(ctx, ConnectRequest{Host: "192.0.2.77"})
	if codeOf(err) != CodeBusy || !strings.Contains(err.Error(), headendName) {
		t.Fatalf("second connect: %v", err)
	}

	a.Close()
	st, err = b.Status(ctx)
	if err != nil || st.State != "connected" || st.Settings == nil || st.Settings.Address4.String() != "10.2.2.10/24" {
		t.Fatalf("status after the connecting front end left: %+v %v", st, err)
	}

	st, err = b.Disconnect(ctx)
	if err != nil || st.State != StateIdle {
		t.Fatalf("disconnect: %+v %v", st, err)
	}
	de := waitEvent(t, watcher, "disconnected", isDisconnected).(client.DisconnectedEvent)
	if de.Err != nil {
		t.Fatalf("disconnected with %v", de.Err)
	}
	if _, err := b.Disconnect(ctx); codeOf(err) != CodeNoSession {
		t.Fatalf("disconnect without a session: %v", err)
	}
	if log := ta.log.String(); strings.Contains(log, testPassword) {
		t.Fatalf("the password is in the agent's log:\n%s", log)
	}
}

// TestPasswordGivenAndAuthFailure: a password in connect is used without
// a form; a wrong one ends the session with an error that matches
// client.ErrAuthFailed on the front end's side, and is never logged.
func TestPasswordGivenAndAuthFailure(t *testing.T) {
	ta := startAgent(t, nil)
	ctx := context.Background()
	c := ta.dial(t)
	if _, err := c.Connect(ctx, ConnectRequest{Host: headendName, User: testUser, Password: "wrong password"}); err != nil {
		t.Fatal(err)
	}
	// The headend allows one retry: the form comes back with an error.
	fe := waitEvent(t, c, "form after the refused password", isForm).(client.FormEvent)
	if fe.Form.Error == "" {
		t.Fatalf("the retry form has no error: %+v", fe.Form)
	}
	if err := c.Answer(ctx, client.FormAnswer{"username": testUser, "password": "still wrong"}); err != nil {
		t.Fatal(err)
	}
	de := waitEvent(t, c, "disconnected", isDisconnected).(client.DisconnectedEvent)
	if !errors.Is(de.Err, client.ErrAuthFailed) {
		t.Fatalf("disconnected with %v, want an authentication failure", de.Err)
	}
	st, err := c.Status(ctx)
	if err != nil || st.State != StateIdle || st.LastError == "" {
		t.Fatalf("status %+v %v", st, err)
	}

	if _, err := c.Connect(ctx, ConnectRequest{Host: headendName, User: testUser, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, c, "tunnel", func(e client.Event) bool {
		if isForm(e) {
			t.Fatal("asked although the password was given")
		}
		return isConnected(e)
	})
	if _, err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"wrong password", "still wrong", testPassword} {
		if strings.Contains(ta.log.String(), secret) {
			t.Fatalf("%q is in the agent's log:\n%s", secret, ta.log.String())
		}
	}
}

// TestRefusedPeer: a peer the access rule refuses gets one clear error
// and nothing else, and the refusal is logged with its uid and pid.
func TestRefusedPeer(t *testing.T) {
	ta := startAgent(t, func(c *Config) {
		c.Authorize = func(p Peer) error { return fmt.Errorf("uid %d is not welcome", p.UID) }
	})
	_, err := Dial(context.Background(), ta.socket)
	if codeOf(err) != CodeForbidden || !strings.Contains(err.Error(), "not welcome") {
		t.Fatalf("dial: %v", err)
	}
	log := ta.log.String()
	if !strings.Contains(log, fmt.Sprintf("uid=%d", os.Getuid())) || !strings.Contains(log, fmt.Sprintf("pid=%d", os.Getpid())) {
		t.Fatalf("refusal not logged with uid and pid:\n%s", log)
	}
}

// TestGroupAccess checks the production rule's verdicts that do not
// depend on the machine's user database.
func TestGroupAccess(t *testing.T) {
	allow := GroupAccess("no-such-group-vpnc-go-test")
	if err := allow(Peer{UID: 0}); err != nil {
		t.Fatalf("root refused: %v", err)
	}
	if err := allow(Peer{UID: 54321, GID: 54321}); err == nil || !strings.Contains(err.Error(), "54321") {
		t.Fatalf("a stranger: %v", err)
	}
}

// rawClient speaks the protocol by hand, as socat would.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func (ta *testAgent) raw(t *testing.T) *rawClient {
	nc, err := net.Dial("unix", ta.socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawClient) roundTrip(line string) Message {
	r.t.Helper()
	if _, err := r.nc.Write([]byte(line + "\n")); err != nil {
		r.t.Fatal(err)
	}
	r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	reply, err := r.br.ReadBytes('\n')
	if err != nil {
		r.t.Fatalf("after %.60q: %v", line, err)
	}
	var m Message
	if err := json.Unmarshal(reply, &m); err != nil {
		r.t.Fatalf("reply %q: %v", reply, err)
	}
	return m
}

// TestBadInput: malformed, oversized, unknown-version and out-of-order
// messages each get an error reply; the connection and the others go on.
func TestBadInput(t *testing.T) {
	ta := startAgent(t, nil)
	other := ta.dial(t)
	r := ta.raw(t)
	cases := []struct{ line, code string }{
		{`{"id":1,"cmd":"status"}`, CodeHelloFirst},
		{`{"id":2,"cmd":"hello","version":99}`, CodeVersion},
		{`not json`, CodeBadRequest},
		{`{"id":3,"cmd":"launch"}`, CodeBadRequest},
		{`{"id":4,"cmd":"hello","version":1,"extra":true}`, CodeBadRequest},
		{`{"id":5,"cmd":"hello","version":1}{"id":6}`, CodeBadRequest},
		{`{"id":7,"cmd":"hello"}`, CodeBadRequest},
		{strings.Repeat("x", MaxLine+10), CodeTooLong},
		{`{"id":8,"cmd":"hello","version":1}`, ""},
		{`{"id":9,"cmd":"answer","answer":{"password":"p"}}`, CodeNoSession},
		{`{"id":10,"cmd":"connect","connect":{"host":" "}}`, CodeBadRequest},
		{`{"id":11,"cmd":"connect","connect":{"host":"vpn.example.com","ike":"rot13"}}`, CodeBadRequest},
		{`{"id":12,"cmd":"disconnect"}`, CodeNoSession},
		{`{"id":13,"cmd":"status","version":1}`, CodeBadRequest},
	}
	for _, c := range cases {
		m := r.roundTrip(c.line)
		got := ""
		if m.Error != nil {
			got = m.Error.Code
			if m.Error.Message == "" {
				t.Errorf("%.40q: error without a message", c.line)
			}
		}
		if got != c.code || m.Type != TypeReply {
			t.Errorf("%.40q: got %+v (error %+v), want code %q", c.line, m, m.Error, c.code)
		}
	}
	if m := r.roundTrip(`{"id":20,"cmd":"status"}`); m.ID != 20 || m.Status == nil || m.Status.State != StateIdle {
		t.Fatalf("status after the bad lines: %+v", m)
	}
	if _, err := other.Status(context.Background()); err != nil {
		t.Fatalf("the other front end: %v", err)
	}
}

// TestShutdownDisconnects: stopping the agent ends its session cleanly
// and tells the watchers.
func TestShutdownDisconnects(t *testing.T) {
	ta := startAgent(t, nil)
	c := ta.dial(t)
	if _, err := c.Connect(context.Background(), ConnectRequest{Host: headendName, User: testUser, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, c, "tunnel", isConnected)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ta.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	de := waitEvent(t, c, "disconnected", isDisconnected).(client.DisconnectedEvent)
	if de.Err != nil {
		t.Fatalf("disconnected with %v", de.Err)
	}
}

// TestConnectionLimit: front ends beyond maxConns are refused with a
// reason, and a place freed is taken again.
func TestConnectionLimit(t *testing.T) {
	ta := startAgent(t, nil)
	conns := make([]*Conn, maxConns)
	for i := range conns {
		conns[i] = ta.dial(t)
	}
	_, err := Dial(context.Background(), ta.socket)
	if codeOf(err) != CodeUnavailable || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("front end %d: %v", maxConns+1, err)
	}
	conns[0].Close()
	// The agent notices the closed connection on its own time: try until
	// it has (each try is refused at once while it has not).
	for {
		c, err := Dial(context.Background(), ta.socket)
		if err == nil {
			c.Close()
			break
		}
		if codeOf(err) != CodeUnavailable {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAbandonedLogin: the front end that connected goes away while the
// headend's form waits; the agent ends the attempt rather than wait for
// an answer nobody will give, and is free for the next connect.
func TestAbandonedLogin(t *testing.T) {
	ta := startAgent(t, nil)
	ctx := context.Background()
	watcher, c := ta.dial(t), ta.dial(t)
	if _, err := watcher.Subscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connect(ctx, ConnectRequest{Host: headendName, User: testUser}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, watcher, "form", isForm)
	c.Close()
	waitEvent(t, watcher, "disconnected", isDisconnected)
	if st, err := watcher.Status(ctx); err != nil || st.State != StateIdle {
		t.Fatalf("status %+v %v", st, err)
	}
	if _, err := watcher.Connect(ctx, ConnectRequest{Host: headendName, User: testUser, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, watcher, "tunnel", isConnected)
	watcher.Close()
	other := ta.dial(t)
	if st, err := other.Status(ctx); err != nil || st.State != "connected" {
		t.Fatalf("the tunnel did not outlive its front end: %+v %v", st, err)
	}
}
