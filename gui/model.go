package gui

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
)

// Phase is what the window shows.
type Phase int

const (
	PhaseNoAgent       Phase = iota // the agent is not reachable or refuses this user
	PhaseIdle                       // no session
	PhaseConnecting                 // resolving, IKE_SA_INIT, configuring
	PhaseForm                       // a form waits for the user
	PhaseBanner                     // the tunnel is up; the banner waits for Accept
	PhaseConnected                  // the tunnel is up
	PhaseReconnecting               // the agent brings the tunnel back
	PhaseDisconnecting              // the session ends
)

// Light is the colour of the state icon.
type Light int

const (
	LightOff   Light = iota // grey: disconnected
	LightBusy               // amber: on the way up or down
	LightUp                 // green: connected
	LightError              // red: a failure, or no agent
)

// Host is one entry of the host list.
type Host struct {
	Label   string // what the list shows: the profile's display name
	Value   string // what connect sends: the managed HostName
	Address string // the profile's HostAddress
	Own     bool   // from the user's own profiles, not a managed one
	Usable  bool
	Reason  string // why not usable
}

// Problem is why the window cannot reach the agent, and what to do.
type Problem struct {
	Title   string
	Text    string
	Command string // the exact command that fixes it
	Detail  string // the error as the system said it
}

// View is everything the window renders; widgets only draw it.
type View struct {
	Phase Phase
	Line  string // one-line state: "Connected to Corp VPN"
	Light Light

	Hosts         []Host
	ManualAllowed bool   // a typed host may be used
	ManualNote    string // why not, when a managed profile forbids it
	Host          string // the session's host, or the one last chosen

	Form   *client.Form // PhaseForm: the form to fill in
	Banner string       // PhaseBanner: the headend's banner

	Settings *client.Settings // while up
	Stats    client.Stats
	Since    time.Time // when the tunnel came up

	SavePassword bool   // the form's "Save password" starts checked
	KeyringNote  string // what the keyring did

	// Untrusted is the headend certificate the last attempt refused;
	// UntrustedStrict says a managed profile names the host, so only its
	// administrator can make it trusted (no "Connect anyway").
	Untrusted       *client.UntrustedCert
	UntrustedStrict bool

	Error       string // the last failure in plain words
	ErrorDetail string // the agent's full text
	Problem     *Problem
}

// CanConnect says whether the Connect button works.
func (v *View) CanConnect() bool { return v.Phase == PhaseIdle }

// CanDisconnect says whether the Disconnect button works (it also ends
// an attempt that is still on its way up).
func (v *View) CanDisconnect() bool {
	switch v.Phase {
	case PhaseConnecting, PhaseForm, PhaseBanner, PhaseConnected, PhaseReconnecting:
		return true
	}
	return false
}

// Model turns agent replies and session events into a View. It is not
// safe for concurrent use: the Presenter serialises calls.
type Model struct {
	v       View
	started bool // this window started the session: it shows the banner
	shown   bool // the banner was answered for this session
	now     func() time.Time
}

// NewModel starts with no agent.
func NewModel() *Model {
	m := &Model{now: time.Now}
	m.v.Phase, m.v.Light, m.v.Line = PhaseNoAgent, LightError, "Not connected to the vpnc-go agent"
	return m
}

// View returns a copy of the view state.
func (m *Model) View() View { return m.v }

// SetHosts lists the agent's hosts.
func (m *Model) SetHosts(h *agent.HostsResult) {
	m.v.Hosts = nil
	for _, x := range h.Hosts {
		label := x.Name
		if label == "" {
			label = x.Address
		}
		m.v.Hosts = append(m.v.Hosts, Host{Label: label, Value: label, Address: x.Address, Usable: x.Usable, Reason: x.Reason})
	}
	m.v.ManualAllowed = h.ManualAllowed
	m.v.ManualNote = ""
	if !h.ManualAllowed {
		m.v.ManualNote = "Only the listed hosts may be used (set by " + h.ManualForbiddenBy + ")."
	}
}

// AddUserHosts lists the hosts of the user's own profiles after the
// managed ones.
func (m *Model) AddUserHosts(hs []Host) { m.v.Hosts = append(m.v.Hosts, hs...) }

// Start takes the state the agent's events start from (subscribe's
// reply): the session another front end may have started, or none.
func (m *Model) Start(st *agent.Status) {
	m.v.Problem = nil
	m.v.Form, m.v.Banner, m.v.Settings, m.v.Stats, m.v.Since = nil, "", nil, client.Stats{}, time.Time{}
	m.started, m.shown = false, true // a session found running is not ours to show the banner of
	if st.Host != "" {
		m.v.Host = st.Host
	}
	if st.LastError != "" && st.State == agent.StateIdle {
		m.fail(st.LastError)
	}
	switch st.State {
	case agent.StateIdle, "disconnected":
		m.idle()
		return
	case "connected", "rekeying":
		if st.Settings != nil {
			s := st.Settings.ClientSettings()
			m.v.Settings = &s
		}
		if st.Stats != nil {
			m.v.Stats = client.Stats(*st.Stats)
		}
		m.v.Since = st.Since
		m.set(PhaseConnected, LightUp, "Connected to "+m.v.Host)
	case "reconnecting":
		m.set(PhaseReconnecting, LightBusy, "Reconnecting to "+m.v.Host)
	case "disconnecting":
		m.set(PhaseDisconnecting, LightBusy, "Disconnecting from "+m.v.Host)
	case "authenticating":
		m.set(PhaseConnecting, LightBusy, "Authenticating with "+m.v.Host)
	default:
		m.set(PhaseConnecting, LightBusy, "Connecting to "+m.v.Host)
	}
	if st.Form != nil {
		if f, err := st.Form.ClientForm(); err == nil {
			m.Apply(client.FormEvent{Form: f})
		}
	}
}

// Connecting records that the user asked for host.
func (m *Model) Connecting(host string) {
	m.v.Host, m.v.Error, m.v.ErrorDetail, m.v.KeyringNote = host, "", "", ""
	m.v.Untrusted, m.v.UntrustedStrict = nil, false
	m.v.Settings, m.v.Stats, m.v.Since = nil, client.Stats{}, time.Time{}
	m.started, m.shown = true, false
	m.set(PhaseConnecting, LightBusy, "Connecting to "+host)
}

// ConnectFailed records a connect the agent refused (busy, policy, ...).
func (m *Model) ConnectFailed(err error) {
	m.fail(err.Error())
	m.idle()
}

// Apply takes one event of the session.
func (m *Model) Apply(e client.Event) {
	switch e := e.(type) {
	case client.StageEvent:
		m.stage(e)
	case client.FormEvent:
		m.v.Form = e.Form
		m.set(PhaseForm, LightBusy, "Authenticating with "+m.v.Host)
	case client.ConnectedEvent:
		s := e.Settings
		m.v.Settings, m.v.Form = &s, nil
		if m.v.Since.IsZero() {
			m.v.Since = m.now()
		}
		m.v.Error, m.v.ErrorDetail = "", ""
		if m.started && !m.shown && s.Banner != "" {
			m.v.Banner = s.Banner
			m.set(PhaseBanner, LightBusy, "Connected to "+m.v.Host+": the banner waits for Accept")
			return
		}
		m.shown = true // a banner of a reconnect was accepted already, or there was none
		m.set(PhaseConnected, LightUp, "Connected to "+m.v.Host)
	case client.StatsEvent:
		m.v.Stats = e.Stats
	case client.ErrorEvent:
		if e.Fatal {
			m.fail(e.Err.Error())
		}
	case client.DisconnectedEvent:
		if e.Err != nil {
			m.fail(e.Err.Error())
		}
		if u, ok := client.UntrustedCertOf(e.Err); ok && m.started {
			m.v.Untrusted, m.v.UntrustedStrict = u, m.Managed(m.v.Host)
		}
		m.v.Form, m.v.Banner, m.v.Settings, m.v.Since = nil, "", nil, time.Time{}
		m.started = false
		m.idle()
	}
}

func (m *Model) stage(e client.StageEvent) {
	switch e.Stage {
	case client.StageResolving, client.StageConnecting, client.StageConfiguring:
		if m.v.Phase != PhaseReconnecting {
			m.v.Form = nil
			m.set(PhaseConnecting, LightBusy, "Connecting to "+m.v.Host)
		}
	case client.StageAuthenticating:
		if m.v.Phase != PhaseReconnecting {
			m.v.Form = nil
			m.set(PhaseConnecting, LightBusy, "Authenticating with "+m.v.Host)
		}
	case client.StageReconnecting:
		m.set(PhaseReconnecting, LightBusy, "Reconnecting to "+m.v.Host)
	case client.StageDisconnecting:
		m.v.Form, m.v.Banner = nil, ""
		m.set(PhaseDisconnecting, LightBusy, "Disconnecting from "+m.v.Host)
	}
}

// Managed says whether a managed profile names host (by name or
// address): the agent applies that profile's trust, never the user's pins.
func (m *Model) Managed(host string) bool {
	h := pinHost(host)
	for _, x := range m.v.Hosts {
		if !x.Own && (pinHost(x.Value) == h || pinHost(x.Address) == h) {
			return true
		}
	}
	return false
}

// DismissUntrusted closes the untrusted-certificate dialog.
func (m *Model) DismissUntrusted() { m.v.Untrusted, m.v.UntrustedStrict = nil, false }

// BannerAccepted records Accept on the banner.
func (m *Model) BannerAccepted() {
	if m.v.Phase != PhaseBanner {
		return
	}
	m.shown, m.v.Banner = true, ""
	m.set(PhaseConnected, LightUp, "Connected to "+m.v.Host)
}

// AgentLost records that the agent cannot be reached (err from Dial, or
// the connection's end); user names the desktop user for the command
// that lets them in.
func (m *Model) AgentLost(err error, socket, user string) {
	m.v = View{Hosts: m.v.Hosts, Host: m.v.Host, Problem: ProblemOf(err, socket, user)}
	m.started = false
	m.set(PhaseNoAgent, LightError, m.v.Problem.Title)
}

func (m *Model) idle() {
	if m.v.Error != "" {
		m.set(PhaseIdle, LightError, "Disconnected: "+m.v.Error)
		return
	}
	m.set(PhaseIdle, LightOff, "Disconnected")
}

func (m *Model) set(p Phase, l Light, line string) { m.v.Phase, m.v.Light, m.v.Line = p, l, line }

// fail keeps an error in plain words: the agent's text up to its first
// colon-separated detail is the summary, the whole of it the detail.
func (m *Model) fail(text string) {
	m.v.ErrorDetail = text
	m.v.Error = plainError(text)
}

// plainError words an error for the state line: the auth failure as
// people know it, else the text's last part (the cause), capitalised.
func plainError(text string) string {
	low := strings.ToLower(text)
	switch {
	case strings.Contains(low, "authentication failed"):
		return "the login was refused"
	case strings.Contains(low, "timed out"), strings.Contains(low, "no answer"):
		return "the headend does not answer"
	case strings.Contains(low, "certificate"):
		return "the headend's certificate is not trusted"
	}
	if i := strings.LastIndex(text, ": "); i >= 0 && i+2 < len(text) {
		return text[i+2:]
	}
	return text
}

// ProblemOf explains why the agent cannot be used, with the command that
// fixes it.
func ProblemOf(err error, socket, user string) *Problem {
	var ae *agent.Error
	if errors.As(err, &ae) && ae.Code == agent.CodeForbidden || errors.Is(err, fs.ErrPermission) {
		if user == "" {
			user = "$USER"
		}
		return &Problem{
			Title:   "This user may not use the vpnc-go agent",
			Text:    "The agent serves root and the members of its group. Join the group vpnc-go, then log out and in again.",
			Command: "sudo usermod -aG vpnc-go " + user,
			Detail:  err.Error(),
		}
	}
	if errors.As(err, &ae) && ae.Code == agent.CodeUnavailable {
		return &Problem{Title: "The vpnc-go agent is shutting down", Text: "Start it again, then press Retry.", Command: "sudo systemctl start vpnc-go-agent", Detail: err.Error()}
	}
	why := "It does not answer at " + socket + "."
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		why = "Nothing listens at " + socket + "."
	}
	return &Problem{
		Title:   "The vpnc-go agent is not running",
		Text:    why + " Start the service, then press Retry.",
		Command: "sudo systemctl enable --now vpnc-go-agent",
		Detail:  err.Error(),
	}
}
