package agent

import (
	"context"
	"encoding/pem"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
)

// Bounds of what the agent remembers for diag: the newest lines and
// events win. They keep a diag reply well under the line limit a Conn
// reads (16 × MaxLine).
const (
	recentLines    = 400
	recentEvents   = 200
	recentLineSize = 512
)

// LogLine is one line of the agent's log as diag returns it.
type LogLine struct {
	Time  time.Time `json:"time"`
	Level string    `json:"level"`
	// Text is the message and its attributes, key=value.
	Text string `json:"text"`
}

// TimedEvent is a session event with the time the agent saw it.
type TimedEvent struct {
	Time time.Time `json:"time"`
	Event
}

// DiagResult is the reply to diag: what a help desk needs from the agent.
// It holds no secret: the log never has one, form events carry no
// password values, and answers are not recorded.
type DiagResult struct {
	Status *Status `json:"status"`
	// Log is the agent's recent log, oldest first (at most 400 lines,
	// debug lines included whatever the agent's log level).
	Log []LogLine `json:"log"`
	// Events are the recent sessions' events, oldest first (at most 200;
	// stats events are left out, Status has the last counters).
	Events []TimedEvent `json:"events"`
	// ServerTrust is the headend chain the current or last session
	// checked, and the verdict; nil when no chain was received.
	ServerTrust *ServerTrust `json:"server_trust,omitempty"`
}

// ServerTrust is client.ServerTrust on the wire: certificates in PEM.
type ServerTrust struct {
	Name     string    `json:"name"`
	Time     time.Time `json:"time"`
	Chain    []string  `json:"chain"`
	Trusted  bool      `json:"trusted"`
	ByPin    bool      `json:"by_pin,omitempty"`
	Problems []string  `json:"problems,omitempty"`
}

// ServerTrustOf puts a client.ServerTrust on the wire.
func ServerTrustOf(t client.ServerTrust) *ServerTrust {
	w := &ServerTrust{Name: t.Name, Time: t.Time, Chain: []string{}, Trusted: t.Trusted, ByPin: t.ByPin, Problems: t.Problems}
	for _, der := range t.Chain {
		w.Chain = append(w.Chain, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	}
	return w
}

// Recent is the bounded memory behind diag: the newest log lines and
// session events. The zero value is ready to use.
type Recent struct {
	mu     sync.Mutex
	lines  []LogLine
	events []TimedEvent
}

func (r *Recent) addLine(l LogLine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = appendBounded(r.lines, l, recentLines)
}

func (r *Recent) addEvent(e Event, at time.Time) {
	if e.Kind == KindStats {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = appendBounded(r.events, TimedEvent{Time: at.UTC(), Event: e}, recentEvents)
}

func (r *Recent) snapshot() ([]LogLine, []TimedEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]LogLine{}, r.lines...), append([]TimedEvent{}, r.events...)
}

// appendBounded appends v, dropping the oldest elements beyond max.
func appendBounded[T any](s []T, v T, max int) []T {
	if len(s) >= max {
		n := copy(s, s[len(s)-max+1:])
		s = s[:n]
	}
	return append(s, v)
}

// Handler returns a handler that passes records to next and keeps a copy
// of each, at every level, in r. Values of attributes named like a
// password, secret, token, cookie, answer or key are not kept.
func (r *Recent) Handler(next slog.Handler) slog.Handler {
	return &recentHandler{next: next, ring: r}
}

// recentHandler is Recent.Handler's.
type recentHandler struct {
	next   slog.Handler
	ring   *Recent
	prefix string // attributes and groups of With*, rendered
	group  string
}

func (h *recentHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recentHandler) Handle(ctx context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	b.WriteString(h.prefix)
	rec.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.group, a)
		return true
	})
	text := b.String()
	if len(text) > recentLineSize {
		text = text[:recentLineSize] + "..."
	}
	h.ring.addLine(LogLine{Time: rec.Time.UTC(), Level: rec.Level.String(), Text: text})
	if h.next.Enabled(ctx, rec.Level) {
		return h.next.Handle(ctx, rec)
	}
	return nil
}

func (h *recentHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	for _, a := range as {
		writeAttr(&b, h.group, a)
	}
	return &recentHandler{next: h.next.WithAttrs(as), ring: h.ring, prefix: h.prefix + b.String(), group: h.group}
}

func (h *recentHandler) WithGroup(name string) slog.Handler {
	g := name
	if h.group != "" {
		g = h.group + "." + name
	}
	return &recentHandler{next: h.next.WithGroup(name), ring: h.ring, prefix: h.prefix, group: g}
}

// secretKey matches attribute names whose values must never be kept,
// should a caller ever log one.
var secretKey = regexp.MustCompile(`(?i)pass|secret|token|cookie|answer|key$`)

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, ga := range a.Value.Group() {
			writeAttr(b, key, ga)
		}
		return
	}
	v := a.Value.String()
	if secretKey.MatchString(a.Key) {
		v = "[removed]"
	}
	fmt.Fprintf(b, " %s=%q", key, v)
}
