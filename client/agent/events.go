package agent

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
)

// Event is a client.Event on the wire. Kind says which fields count:
//
//	stage         Stage, Detail
//	form          Form
//	connected     Settings
//	stats         Stats
//	error         Error, Fatal, AuthFailed
//	disconnected  Error (empty after a disconnect the user asked for), AuthFailed
//	profile       Detail (the profile's URI on the headend), Path, Updated
type Event struct {
	Kind     string    `json:"kind"`
	Stage    string    `json:"stage,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	Form     *Form     `json:"form,omitempty"`
	Settings *Settings `json:"settings,omitempty"`
	Stats    *Stats    `json:"stats,omitempty"`
	Error    string    `json:"error,omitempty"`
	Fatal    bool      `json:"fatal,omitempty"`
	// AuthFailed marks an error that matches client.ErrAuthFailed.
	AuthFailed bool `json:"auth_failed,omitempty"`
	// Untrusted is the headend certificate the session refused, with
	// error and disconnected events whose failure it was.
	Untrusted *Untrusted `json:"untrusted,omitempty"`
	// Path and Updated tell where a profile the headend pushed is stored
	// and whether this connection downloaded it.
	Path    string `json:"path,omitempty"`
	Updated bool   `json:"updated,omitempty"`
}

// Event kinds.
const (
	KindStage        = "stage"
	KindForm         = "form"
	KindConnected    = "connected"
	KindStats        = "stats"
	KindError        = "error"
	KindDisconnected = "disconnected"
	KindProfile      = "profile"
)

// Stage names on the wire: stable, unlike client.Stage's String, which is
// for people.
var stageWire = map[client.Stage]string{
	client.StageResolving:      "resolving",
	client.StageConnecting:     "connecting",
	client.StageAuthenticating: "authenticating",
	client.StageConfiguring:    "configuring",
	client.StageConnected:      "connected",
	client.StageRekeying:       "rekeying",
	client.StageReconnecting:   "reconnecting",
	client.StageDisconnecting:  "disconnecting",
	client.StageDisconnected:   "disconnected",
}

var stageOfWire = func() map[string]client.Stage {
	m := map[string]client.Stage{}
	for s, n := range stageWire {
		m[n] = s
	}
	return m
}()

// Settings is client.Settings on the wire.
type Settings struct {
	Headend  netip.AddrPort `json:"headend"`
	Address4 netip.Prefix   `json:"address4"`
	Address6 netip.Prefix   `json:"address6"`
	DNS      []netip.Addr   `json:"dns"`
	Domains  []string       `json:"domains"`
	Routes   []netip.Prefix `json:"routes"`
	Exclude  []netip.Prefix `json:"exclude"`
	Banner   string         `json:"banner,omitempty"`
	IKESuite string         `json:"ike_suite"`
	ESPSuite string         `json:"esp_suite"`
	MTU      int            `json:"mtu"`
	Device   string         `json:"device"`
	// SetupMS is from the first IKE_SA_INIT to the tunnel up, in
	// milliseconds.
	SetupMS int64 `json:"setup_ms"`
}

// Stats is client.Stats on the wire.
type Stats struct {
	PacketsIn  uint64 `json:"packets_in"`
	PacketsOut uint64 `json:"packets_out"`
	BytesIn    uint64 `json:"bytes_in"`
	BytesOut   uint64 `json:"bytes_out"`
	Dropped    uint64 `json:"dropped"`
}

// Form is client.Form on the wire. Password fields never carry a value.
type Form struct {
	Title   string  `json:"title,omitempty"`
	Message string  `json:"message,omitempty"`
	Banner  string  `json:"banner,omitempty"`
	Error   string  `json:"error,omitempty"`
	Fields  []Field `json:"fields"`
}

// Field is client.Field on the wire; Kind is "text", "password", "hidden"
// or "select".
type Field struct {
	Name         string   `json:"name"`
	Label        string   `json:"label,omitempty"`
	Kind         string   `json:"kind"`
	Value        string   `json:"value,omitempty"`
	Options      []Option `json:"options,omitempty"`
	SecondFactor bool     `json:"second_factor,omitempty"`
}

// Option is one choice of a select field.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

var fieldKinds = map[client.FieldKind]string{
	client.FieldText: "text", client.FieldPassword: "password", client.FieldHidden: "hidden", client.FieldSelect: "select",
}

// EventOf puts a client event on the wire.
func EventOf(e client.Event) Event {
	switch e := e.(type) {
	case client.StageEvent:
		return Event{Kind: KindStage, Stage: stageWire[e.Stage], Detail: e.Detail}
	case client.FormEvent:
		return Event{Kind: KindForm, Form: FormOf(e.Form)}
	case client.ConnectedEvent:
		s := SettingsOf(e.Settings)
		return Event{Kind: KindConnected, Settings: &s}
	case client.StatsEvent:
		s := Stats(e.Stats)
		return Event{Kind: KindStats, Stats: &s}
	case client.ErrorEvent:
		return Event{Kind: KindError, Error: e.Err.Error(), Fatal: e.Fatal, AuthFailed: errors.Is(e.Err, client.ErrAuthFailed), Untrusted: untrustedOf(e.Err)}
	case client.DisconnectedEvent:
		ev := Event{Kind: KindDisconnected}
		if e.Err != nil {
			ev.Error, ev.AuthFailed, ev.Untrusted = e.Err.Error(), errors.Is(e.Err, client.ErrAuthFailed), untrustedOf(e.Err)
		}
		return ev
	case client.ProfileEvent:
		return Event{Kind: KindProfile, Detail: e.URI, Path: e.Path, Updated: e.Updated}
	}
	return Event{Kind: fmt.Sprintf("%T", e)}
}

// FormOf puts a form on the wire, without the values of password fields.
func FormOf(f *client.Form) *Form {
	if f == nil {
		return nil
	}
	out := &Form{Title: f.Title, Message: f.Message, Banner: f.Banner, Error: f.Error, Fields: make([]Field, len(f.Fields))}
	for i, fl := range f.Fields {
		w := Field{Name: fl.Name, Label: fl.Label, Kind: fieldKinds[fl.Kind], Value: fl.Value, SecondFactor: fl.SecondFactor}
		if fl.Kind == client.FieldPassword {
			w.Value = ""
		}
		for _, o := range fl.Options {
			w.Options = append(w.Options, Option(o))
		}
		out.Fields[i] = w
	}
	return out
}

// SettingsOf puts the tunnel's settings on the wire; lists are [] rather
// than null when empty.
func SettingsOf(s client.Settings) Settings {
	return Settings{
		Headend: s.Headend, Address4: s.Address4, Address6: s.Address6,
		DNS: nonNil(s.DNS), Domains: nonNil(s.Domains), Routes: nonNil(s.Routes), Exclude: nonNil(s.Exclude), Banner: s.Banner,
		IKESuite: s.IKESuite, ESPSuite: s.ESPSuite, MTU: s.MTU, Device: s.Device,
		SetupMS: s.SetupTime.Milliseconds(),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ClientEvent turns a wire event back into a client.Event. Errors keep
// their text, and match client.ErrAuthFailed when they did in the agent.
func (e Event) ClientEvent() (client.Event, error) {
	switch e.Kind {
	case KindStage:
		st, ok := stageOfWire[e.Stage]
		if !ok {
			return nil, fmt.Errorf("agent: unknown stage %q", e.Stage)
		}
		return client.StageEvent{Stage: st, Detail: e.Detail}, nil
	case KindForm:
		if e.Form == nil {
			return nil, errors.New("agent: form event without a form")
		}
		f, err := e.Form.ClientForm()
		if err != nil {
			return nil, err
		}
		return client.FormEvent{Form: f}, nil
	case KindConnected:
		if e.Settings == nil {
			return nil, errors.New("agent: connected event without settings")
		}
		return client.ConnectedEvent{Settings: e.Settings.ClientSettings()}, nil
	case KindStats:
		if e.Stats == nil {
			return nil, errors.New("agent: stats event without stats")
		}
		return client.StatsEvent{Stats: client.Stats(*e.Stats)}, nil
	case KindError:
		return client.ErrorEvent{Err: remoteError(e.Error, e.AuthFailed, e.Untrusted), Fatal: e.Fatal}, nil
	case KindProfile:
		return client.ProfileEvent{URI: e.Detail, Path: e.Path, Updated: e.Updated}, nil
	case KindDisconnected:
		var err error
		if e.Error != "" {
			err = remoteError(e.Error, e.AuthFailed, e.Untrusted)
		}
		return client.DisconnectedEvent{Err: err}, nil
	}
	return nil, fmt.Errorf("agent: unknown event kind %q", e.Kind)
}

// ClientForm turns a wire form back into a client.Form.
func (f *Form) ClientForm() (*client.Form, error) {
	out := &client.Form{Title: f.Title, Message: f.Message, Banner: f.Banner, Error: f.Error}
	for _, fl := range f.Fields {
		kind, ok := client.FieldKind(-1), false
		for k, n := range fieldKinds {
			if n == fl.Kind {
				kind, ok = k, true
			}
		}
		if !ok {
			return nil, fmt.Errorf("agent: form field %q has unknown kind %q", fl.Name, fl.Kind)
		}
		cf := client.Field{Name: fl.Name, Label: fl.Label, Kind: kind, Value: fl.Value, SecondFactor: fl.SecondFactor}
		for _, o := range fl.Options {
			cf.Options = append(cf.Options, client.Option(o))
		}
		out.Fields = append(out.Fields, cf)
	}
	return out, nil
}

// ClientSettings turns wire settings back into client.Settings.
func (s Settings) ClientSettings() client.Settings {
	return client.Settings{
		Headend: s.Headend, Address4: s.Address4, Address6: s.Address6,
		DNS: s.DNS, Domains: s.Domains, Routes: s.Routes, Exclude: s.Exclude, Banner: s.Banner,
		IKESuite: s.IKESuite, ESPSuite: s.ESPSuite, MTU: s.MTU, Device: s.Device,
		SetupTime: time.Duration(s.SetupMS) * time.Millisecond,
	}
}

// RemoteError is an error the agent reported, with its text.
type RemoteError struct {
	Text       string
	AuthFailed bool
	Untrusted  *client.UntrustedCert // the refused headend certificate, if that was the failure
}

// UntrustedCert lets client.UntrustedCertOf find the refused certificate
// across the socket.
func (e *RemoteError) UntrustedCert() *client.UntrustedCert { return e.Untrusted }

func (e *RemoteError) Error() string { return e.Text }

// Is lets errors.Is(err, client.ErrAuthFailed) work across the socket.
func (e *RemoteError) Is(target error) bool { return e.AuthFailed && target == client.ErrAuthFailed }

func remoteError(text string, authFailed bool, u *Untrusted) error {
	e := &RemoteError{Text: text, AuthFailed: authFailed}
	if u != nil {
		e.Untrusted = &client.UntrustedCert{Host: u.Host, Reason: u.Reason, Subject: u.Subject, Issuer: u.Issuer,
			PinSHA256: u.PinSHA256, NotBefore: u.NotBefore, NotAfter: u.NotAfter}
	}
	return e
}

// Untrusted is a headend certificate the session refused: what a person
// needs to decide whether to trust its key.
type Untrusted struct {
	Host      string    `json:"host"`
	Reason    string    `json:"reason"`
	Subject   string    `json:"subject,omitempty"`
	Issuer    string    `json:"issuer,omitempty"`
	PinSHA256 string    `json:"pin_sha256,omitempty"`
	NotBefore time.Time `json:"not_before,omitzero"`
	NotAfter  time.Time `json:"not_after,omitzero"`
}

func untrustedOf(err error) *Untrusted {
	u, ok := client.UntrustedCertOf(err)
	if !ok {
		return nil
	}
	return &Untrusted{Host: u.Host, Reason: u.Reason, Subject: u.Subject, Issuer: u.Issuer,
		PinSHA256: u.PinSHA256, NotBefore: u.NotBefore, NotAfter: u.NotAfter}
}

// Status is the agent's state: idle, or one session's host, stage,
// settings and counters.
type Status struct {
	// State is "idle" (no session), or the session's last stage name
	// ("connecting", "authenticating", "connected", "reconnecting", ...).
	State string `json:"state"`
	Host  string `json:"host,omitempty"`
	// Server is the headend address the session was given.
	Server string `json:"server,omitempty"`
	Group  string `json:"group,omitempty"`
	User   string `json:"user,omitempty"`
	// OwnerUID is the user who connected.
	OwnerUID int `json:"owner_uid"`
	// Since is when the session started.
	Since    time.Time `json:"since,omitzero"`
	Settings *Settings `json:"settings,omitempty"`
	Stats    *Stats    `json:"stats,omitempty"`
	// Form is the form waiting for an answer, if any.
	Form *Form `json:"form,omitempty"`
	// LastError is the last error event or the reason the last session
	// ended.
	LastError string `json:"last_error,omitempty"`
}

// StateIdle is Status.State without a session.
const StateIdle = "idle"
