package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
)

func TestDecodeRequest(t *testing.T) {
	r, err := DecodeRequest([]byte(`{"id":3,"cmd":"connect","connect":{"host":"Corp VPN","user":"alice","password":"s3cret"}}`))
	if err != nil || r.ID != 3 || r.Connect.Host != "Corp VPN" || r.Connect.Password != "s3cret" {
		t.Fatalf("%+v %v", r, err)
	}
	if s := r.Connect.String(); strings.Contains(s, "s3cret") || !strings.Contains(s, "password given") {
		t.Fatalf("String shows the password or hides that it was given: %s", s)
	}
	_, err = DecodeRequest([]byte(`{"id":4,"cmd":"answer","answer":{"password":12345678}}`))
	if err == nil || strings.Contains(err.Error(), "12345678") {
		t.Fatalf("a bad answer's error must not echo it: %v", err)
	}
	_, err = DecodeRequest([]byte(`{"id":4,"cmd":"answer","answer":{"password":"hunter2"`))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("a truncated answer's error must not echo it: %v", err)
	}
}

func TestReadLine(t *testing.T) {
	long := strings.Repeat("a", 100)
	br := bufio.NewReaderSize(strings.NewReader("short\n"+long+"\nafter\nno newline"), 16)
	want := []struct {
		line string
		err  error
	}{{"short", nil}, {"", errLineTooLong}, {"after", nil}, {"", io.ErrUnexpectedEOF}}
	for i, w := range want {
		got, err := readLine(br, 50)
		if string(got) != w.line || !errors.Is(err, w.err) {
			t.Fatalf("line %d: %q %v, want %q %v", i, got, err, w.line, w.err)
		}
	}
}

// TestEventRoundTrip: every kind of client event survives the wire, and
// password fields lose their values on the way.
func TestEventRoundTrip(t *testing.T) {
	events := []client.Event{
		client.StageEvent{Stage: client.StageAuthenticating, Detail: "192.0.2.1:500"},
		client.FormEvent{Form: &client.Form{Title: "Login", Error: "try again", Fields: []client.Field{
			{Name: "group_list", Kind: client.FieldSelect, Value: "A", Options: []client.Option{{Value: "A", Label: "Group A"}}},
			{Name: "username", Label: "Username:", Kind: client.FieldText, Value: "alice"},
			{Name: "password", Label: "Password:", Kind: client.FieldPassword},
			{Name: "secondary_password", Kind: client.FieldPassword, SecondFactor: true},
		}}},
		client.StatsEvent{Stats: client.Stats{PacketsIn: 1, PacketsOut: 2, BytesIn: 3, BytesOut: 4, Dropped: 5}},
		client.ErrorEvent{Err: errors.New("rekey refused")},
		client.DisconnectedEvent{},
		client.ProfileEvent{URI: "/CACHE/stc/profiles/corp.xml", Path: "/var/lib/vpnc-go/profile/corp.xml", Updated: true},
	}
	for _, e := range events {
		b, err := json.Marshal(EventOf(e))
		if err != nil {
			t.Fatal(err)
		}
		var w Event
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		back, err := w.ClientEvent()
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if ee, ok := back.(client.ErrorEvent); ok {
			if ee.Err.Error() != "rekey refused" {
				t.Fatalf("error %v", ee.Err)
			}
			continue
		}
		if got, want := mustJSON(t, back), mustJSON(t, e); got != want {
			t.Fatalf("round trip:\n got %s\nwant %s", got, want)
		}
	}
	withSecret := client.FormEvent{Form: &client.Form{Fields: []client.Field{{Name: "password", Kind: client.FieldPassword, Value: "leak"}}}}
	if b := mustJSON(t, EventOf(withSecret)); strings.Contains(b, "leak") {
		t.Fatalf("a password value went on the wire: %s", b)
	}
	auth := EventOf(client.DisconnectedEvent{Err: wrapAuth{}})
	back, _ := auth.ClientEvent()
	if !errors.Is(back.(client.DisconnectedEvent).Err, client.ErrAuthFailed) {
		t.Fatal("ErrAuthFailed lost on the wire")
	}
	st := client.Settings{SetupTime: 1500 * time.Millisecond, Device: "vpnc0", MTU: 1400}
	if got := SettingsOf(st).ClientSettings(); got.SetupTime != st.SetupTime || got.Device != "vpnc0" || got.MTU != 1400 {
		t.Fatalf("settings %+v", got)
	}
}

type wrapAuth struct{}

func (wrapAuth) Error() string { return "refused" }
func (wrapAuth) Unwrap() error { return client.ErrAuthFailed }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzDecodeRequest: any line decodes to a request or an *Error, never a
// panic, and a request that decodes re-encodes to one that decodes the
// same.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"cmd":"hello","version":1}`,
		`{"id":2,"cmd":"hosts"}`,
		`{"id":3,"cmd":"connect","connect":{"host":"Corp VPN","group":"G","user":"u","password":"p","servercert":["pin-sha256:x"],"backups":["a"]}}`,
		`{"id":4,"cmd":"answer","answer":{"username":"alice","password":"x"}}`,
		`{"id":5,"cmd":"disconnect"}`,
		`{"id":6,"cmd":"status"}`,
		`{"id":7,"cmd":"subscribe"}`,
		`{"id":8,"cmd":"answer","answer":null}`,
		`{"id":-1}`,
		`[]`,
		`{"cmd":"hello","version":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := DecodeRequest(line)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
				t.Fatalf("error %v is not a coded *Error", err)
			}
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := DecodeRequest(b)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", b, err)
		}
		if b2, _ := json.Marshal(r2); string(b2) != string(b) {
			t.Fatalf("round trip changed %s to %s", b, b2)
		}
	})
}
