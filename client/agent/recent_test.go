package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
)

// TestDiagAfterSession: after a session, diag returns the log (debug
// lines too, though the agent logs at info), the stages, the settings and
// the end, with times in order, and neither the password given in
// connect nor the one answered in the form.
func TestDiagAfterSession(t *testing.T) {
	ta := startAgent(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	ctx := context.Background()
	a := ta.dial(t)
	if h := a.Hello(); !strings.Contains(fmt.Sprint(h.Rights), "diag") {
		t.Fatalf("hello rights %v lack diag", h.Rights)
	}
	if _, err := a.Connect(ctx, ConnectRequest{Host: headendName, User: testUser}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, a, "form", isForm)
	if err := a.Answer(ctx, client.FormAnswer{"username": testUser, "password": testPassword}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, a, "tunnel", isConnected)
	if _, err := a.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}

	d, err := ta.dial(t).Diag(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status == nil || d.Status.State != StateIdle {
		t.Fatalf("diag status %+v", d.Status)
	}
	var kinds []string
	var connected *Settings
	for i, e := range d.Events {
		kinds = append(kinds, e.Kind)
		if i > 0 && e.Time.Before(d.Events[i-1].Time) {
			t.Fatalf("events out of order: %+v", d.Events)
		}
		if e.Kind == KindConnected {
			connected = e.Settings
		}
	}
	if len(kinds) == 0 || kinds[len(kinds)-1] != KindDisconnected || connected == nil || connected.Address4.String() != "10.2.2.10/24" {
		t.Fatalf("events %v, settings %+v", kinds, connected)
	}
	var debug, info bool
	for _, l := range d.Log {
		debug = debug || l.Level == "DEBUG"
		info = info || (l.Level == "INFO" && strings.Contains(l.Text, "tunnel up"))
	}
	if !debug || !info {
		t.Fatalf("log lacks debug or info lines: %+v", d.Log)
	}
	tr := d.ServerTrust
	if tr == nil || !tr.Trusted || len(tr.Chain) == 0 || !strings.HasPrefix(tr.Chain[0], "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("server trust %+v", tr)
	}
	b, _ := json.Marshal(d)
	if strings.Contains(string(b), testPassword) {
		t.Fatalf("the password is in the diag reply")
	}
}

func TestRecentBounds(t *testing.T) {
	var r Recent
	now := time.Unix(0, 0)
	for i := range recentLines + 10 {
		r.addLine(LogLine{Text: fmt.Sprint(i)})
	}
	for i := range recentEvents + 5 {
		r.addEvent(Event{Kind: KindStage, Detail: fmt.Sprint(i)}, now)
		r.addEvent(Event{Kind: KindStats}, now)
	}
	lines, events := r.snapshot()
	if len(lines) != recentLines || lines[0].Text != "10" || lines[len(lines)-1].Text != fmt.Sprint(recentLines+9) {
		t.Fatalf("lines %d, first %q, last %q", len(lines), lines[0].Text, lines[len(lines)-1].Text)
	}
	if len(events) != recentEvents || events[0].Detail != "5" {
		t.Fatalf("events %d, first %+v", len(events), events[0])
	}
}

func TestRecentHandlerRemovesSecretAttrs(t *testing.T) {
	var r Recent
	log := slog.New(r.Handler(slog.DiscardHandler)).With("user", "alice").WithGroup("g")
	log.Info("login", "password", "hunter2", "session_token", "tok", "n", 3)
	lines, _ := r.snapshot()
	if len(lines) != 1 {
		t.Fatalf("lines %+v", lines)
	}
	got := lines[0].Text
	want := `login user="alice" g.password="[removed]" g.session_token="[removed]" g.n="3"`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
