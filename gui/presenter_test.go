package gui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/profile"
)

// views collects a presenter's published views.
type views chan View

func (vs views) publish(v View) { vs <- v }

// wait reads views until want accepts one; the time limit only keeps a
// broken test from hanging.
func (vs views) wait(t *testing.T, what string, want func(View) bool) View {
	t.Helper()
	timeout := time.After(30 * time.Second)
	var last View
	for {
		select {
		case v := <-vs:
			if want(v) {
				return v
			}
			last = v
		case <-timeout:
			t.Fatalf("no view with %s; the last: %+v", what, last)
		}
	}
}

func phase(p Phase) func(View) bool { return func(v View) bool { return v.Phase == p } }

func newTestPresenter(t *testing.T, socket string) (*Presenter, views) {
	vs := make(views, 256)
	p := NewPresenter(socket, "alice", vs.publish)
	t.Cleanup(p.Close)
	return p, vs
}

func TestPresenterSession(t *testing.T) {
	ctx := context.Background()
	p, vs := newTestPresenter(t, startAgent(t))
	if err := p.Attach(ctx); err != nil {
		t.Fatal(err)
	}
	v := vs.wait(t, "idle", phase(PhaseIdle))
	if !v.ManualAllowed || !v.CanConnect() || v.Line != "Disconnected" || v.Light != LightOff {
		t.Fatalf("idle view: %+v", v)
	}

	if err := p.Connect(ctx, headendName, testUser); err != nil {
		t.Fatal(err)
	}
	v = vs.wait(t, "the login form", phase(PhaseForm))
	if v.Form.Field("password") == nil || v.Form.Error != "" || !v.CanDisconnect() || v.Light != LightBusy {
		t.Fatalf("first form: %+v %+v", v, v.Form)
	}
	if v.Line != "Authenticating with "+headendName {
		t.Errorf("line %q", v.Line)
	}
	// A wrong password: the form comes again with the headend's reason.
	if err := p.Answer(ctx, client.FormAnswer{"username": testUser, "password": "wrong"}, false); err != nil {
		t.Fatal(err)
	}
	v = vs.wait(t, "the form again, with an error", func(v View) bool { return v.Phase == PhaseForm && v.Form.Error != "" })
	if err := p.Answer(ctx, client.FormAnswer{"username": testUser, "password": testPassword}, false); err != nil {
		t.Fatal(err)
	}
	v = vs.wait(t, "the banner", phase(PhaseBanner))
	if v.Banner != testBanner || v.Settings == nil || v.Light != LightBusy {
		t.Fatalf("banner view: %+v", v)
	}
	p.AcceptBanner()
	v = vs.wait(t, "connected", phase(PhaseConnected))
	if v.Line != "Connected to "+headendName || v.Light != LightUp || v.Settings.Address4.String() != "10.2.2.10/24" || v.Banner != "" {
		t.Fatalf("connected view: %+v", v)
	}

	// A second window finds the session up, with no banner to accept.
	p2, vs2 := newTestPresenter(t, p.Socket)
	if err := p2.Attach(ctx); err != nil {
		t.Fatal(err)
	}
	v2 := vs2.wait(t, "the running session", phase(PhaseConnected))
	if v2.Host != headendName || v2.Settings == nil || v2.Settings.DNS[0].String() != "198.51.100.53" {
		t.Fatalf("second window: %+v", v2)
	}

	if err := p.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	v = vs.wait(t, "disconnected", phase(PhaseIdle))
	if v.Line != "Disconnected" || v.Light != LightOff || v.Settings != nil || v.Error != "" {
		t.Fatalf("after Disconnect: %+v", v)
	}
	vs2.wait(t, "disconnected in the second window", phase(PhaseIdle))
}

func TestPresenterCancelForm(t *testing.T) {
	ctx := context.Background()
	p, vs := newTestPresenter(t, startAgent(t))
	if err := p.Attach(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Connect(ctx, headendName, ""); err != nil {
		t.Fatal(err)
	}
	vs.wait(t, "the login form", phase(PhaseForm))
	if err := p.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	v := vs.wait(t, "idle", phase(PhaseIdle))
	if v.Form != nil || v.CanDisconnect() || !v.CanConnect() {
		t.Fatalf("after Cancel: %+v", v)
	}
}

func TestPresenterRefusedHost(t *testing.T) {
	ctx := context.Background()
	p, vs := newTestPresenter(t, startAgent(t))
	if err := p.Attach(ctx); err != nil {
		t.Fatal(err)
	}
	// The headend's name does not resolve: the session fails.
	if err := p.Connect(ctx, "nowhere.example", ""); err != nil {
		t.Fatal(err)
	}
	v := vs.wait(t, "the failure", func(v View) bool { return v.Phase == PhaseIdle && v.Error != "" })
	if v.Light != LightError || !strings.HasPrefix(v.Line, "Disconnected: ") || !strings.Contains(v.ErrorDetail, "nowhere.example") {
		t.Fatalf("failed view: %+v", v)
	}
}

func TestPresenterNoAgent(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "agent.sock")
	p, vs := newTestPresenter(t, socket)
	if err := p.Attach(context.Background()); err == nil {
		t.Fatal("Attach without an agent succeeded")
	}
	v := vs.wait(t, "no agent", phase(PhaseNoAgent))
	if v.Problem == nil || v.Problem.Title != "The vpnc-go agent is not running" ||
		v.Problem.Command != "sudo systemctl enable --now vpnc-go-agent" || !strings.Contains(v.Problem.Text, socket) {
		t.Fatalf("no-agent view: %+v %+v", v, v.Problem)
	}
	if v.CanConnect() || v.Light != LightError {
		t.Fatalf("no-agent view allows connecting: %+v", v)
	}
}

func TestPresenterUntrustedCertificate(t *testing.T) {
	ctx := context.Background()
	p, vs := newTestPresenter(t, startAgentTrusting(t, false))
	p.Pins = &PinStore{Path: filepath.Join(t.TempDir(), "vpnc-go", "trusted-pins.json")}
	if err := p.Attach(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Connect(ctx, headendName, testUser); err != nil {
		t.Fatal(err)
	}
	v := vs.wait(t, "the refused certificate", func(v View) bool { return v.Untrusted != nil })
	u := v.Untrusted
	if v.UntrustedStrict || v.Phase != PhaseIdle || u.Host != headendName || !strings.HasPrefix(u.PinSHA256, "pin-sha256:") ||
		u.Subject == "" || u.Issuer != "CN=CA" || u.NotAfter.Before(u.NotBefore) {
		t.Fatalf("untrusted view: %+v %+v", v, u)
	}
	// Connect anyway: the pin is remembered and the login goes on.
	if err := p.TrustAndConnect(ctx); err != nil {
		t.Fatal(err)
	}
	v = vs.wait(t, "the login form", phase(PhaseForm))
	if v.Untrusted != nil {
		t.Errorf("the dialog stays: %+v", v.Untrusted)
	}
	if pins, err := p.Pins.Pins(headendName); err != nil || len(pins) != 1 || pins[0] != u.PinSHA256 {
		t.Fatalf("remembered pins %v, %v", pins, err)
	}
	if err := p.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	vs.wait(t, "idle", phase(PhaseIdle))
	// The next attempt sends the pin without asking.
	if err := p.Connect(ctx, headendName, testUser); err != nil {
		t.Fatal(err)
	}
	v = vs.wait(t, "the form or a refusal", func(v View) bool { return v.Phase == PhaseForm || v.Untrusted != nil })
	if v.Untrusted != nil {
		t.Fatal("the remembered pin was not used")
	}
}

func TestPinStore(t *testing.T) {
	s := &PinStore{Path: filepath.Join(t.TempDir(), "pins.json")}
	if pins, err := s.Pins("vpn.example.com"); err != nil || pins != nil {
		t.Fatalf("empty store: %v %v", pins, err)
	}
	const pin = "pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	for range 2 {
		if err := s.Add("VPN.example.com", pin); err != nil {
			t.Fatal(err)
		}
	}
	if pins, err := s.Pins("vpn.example.com "); err != nil || len(pins) != 1 || pins[0] != pin {
		t.Fatalf("pins %v %v", pins, err)
	}
	if err := s.Add("vpn.example.com", "sha256:abc"); err == nil {
		t.Error("a value without pin-sha256: was kept")
	}
	if err := os.WriteFile(s.Path, []byte(`{"h": ["nonsense"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pins("h"); err == nil || !strings.Contains(err.Error(), `"nonsense"`) {
		t.Errorf("bad file: %v", err)
	}
}

// The user's own profiles add their hosts (the agent reads only the
// managed ones), and connecting to one sends its profile's settings.
func TestPresenterUserProfiles(t *testing.T) {
	dir := t.TempDir()
	const xml = `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ServerList>
    <HostEntry>
      <HostName>Home VPN</HostName>
      <HostAddress>` + headendName + `</HostAddress>
      <UserGroup>ASA-IKEV2</UserGroup>
      <PrimaryProtocol>IPsec</PrimaryProtocol>
    </HostEntry>
  </ServerList>
</AnyConnectProfile>
`
	if err := os.WriteFile(filepath.Join(dir, "home.xml"), []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, vs := newTestPresenter(t, startAgent(t))
	p.Profiles = func() *profile.Catalog {
		return profile.Discover(profile.Options{SystemDirs: []string{}, PushedDirs: []string{}, UserDirs: []string{dir}})
	}
	if err := p.Attach(ctx); err != nil {
		t.Fatal(err)
	}
	v := vs.wait(t, "idle", phase(PhaseIdle))
	if len(v.Hosts) != 1 || v.Hosts[0].Label != "Home VPN" || !v.Hosts[0].Own || !v.Hosts[0].Usable {
		t.Fatalf("hosts %+v", v.Hosts)
	}
	if err := p.Connect(ctx, "Home VPN", testUser); err != nil {
		t.Fatal(err)
	}
	v = vs.wait(t, "the login form", phase(PhaseForm))
	if v.Line != "Authenticating with Home VPN" {
		t.Errorf("line %q", v.Line)
	}
	if err := p.Answer(ctx, client.FormAnswer{"username": testUser, "password": testPassword}, false); err != nil {
		t.Fatal(err)
	}
	v = vs.wait(t, "the banner", phase(PhaseBanner))
	if v.Settings.Address4.String() != "10.2.2.10/24" {
		t.Fatalf("settings %+v", v.Settings)
	}
	// The agent got the profile's address and tunnel group.
	c, err := agent.Dial(ctx, p.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Server != headendName || st.Group != "ASA-IKEV2" {
		t.Errorf("the agent's session: server %q group %q", st.Server, st.Group)
	}
}
