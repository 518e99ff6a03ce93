package gui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
)

func TestModelHosts(t *testing.T) {
	m := NewModel()
	m.SetHosts(&agent.HostsResult{
		Hosts: []agent.Host{
			{Name: "Corp VPN", Address: "vpn.example.com", Usable: true},
			{Address: "backup.example.com", Usable: false, Reason: "IKE-RSA needs a certificate"},
		},
		ManualForbiddenBy: "/etc/vpnc-go/profile/corp.xml",
	})
	v := m.View()
	if len(v.Hosts) != 2 || v.Hosts[0].Label != "Corp VPN" || v.Hosts[1].Label != "backup.example.com" || v.Hosts[1].Usable {
		t.Fatalf("hosts: %+v", v.Hosts)
	}
	if v.ManualAllowed || !strings.Contains(v.ManualNote, "/etc/vpnc-go/profile/corp.xml") {
		t.Fatalf("manual: %v %q", v.ManualAllowed, v.ManualNote)
	}
}

func TestModelStages(t *testing.T) {
	m := NewModel()
	m.Start(&agent.Status{State: agent.StateIdle})
	m.Connecting("Corp VPN")
	steps := []struct {
		e     client.Event
		phase Phase
		light Light
		line  string
	}{
		{client.StageEvent{Stage: client.StageResolving}, PhaseConnecting, LightBusy, "Connecting to Corp VPN"},
		{client.StageEvent{Stage: client.StageAuthenticating}, PhaseConnecting, LightBusy, "Authenticating with Corp VPN"},
		{client.FormEvent{Form: &client.Form{Fields: []client.Field{{Name: "password", Kind: client.FieldPassword}}}}, PhaseForm, LightBusy, "Authenticating with Corp VPN"},
		{client.StageEvent{Stage: client.StageConfiguring}, PhaseConnecting, LightBusy, "Connecting to Corp VPN"},
		{client.ConnectedEvent{}, PhaseConnected, LightUp, "Connected to Corp VPN"}, // no banner: none to accept
		{client.StatsEvent{Stats: client.Stats{BytesIn: 7}}, PhaseConnected, LightUp, "Connected to Corp VPN"},
		{client.StageEvent{Stage: client.StageRekeying}, PhaseConnected, LightUp, "Connected to Corp VPN"},
		{client.StageEvent{Stage: client.StageReconnecting}, PhaseReconnecting, LightBusy, "Reconnecting to Corp VPN"},
		{client.StageEvent{Stage: client.StageConnecting}, PhaseReconnecting, LightBusy, "Reconnecting to Corp VPN"},
		{client.ConnectedEvent{Settings: client.Settings{Banner: "again"}}, PhaseConnected, LightUp, "Connected to Corp VPN"},
		{client.ErrorEvent{Err: errors.New("rekey refused")}, PhaseConnected, LightUp, "Connected to Corp VPN"},
		{client.DisconnectedEvent{Err: &agent.RemoteError{Text: "authentication failed: Login failed.", AuthFailed: true}}, PhaseIdle, LightError, "Disconnected: the login was refused"},
	}
	for i, s := range steps {
		m.Apply(s.e)
		v := m.View()
		if v.Phase != s.phase || v.Light != s.light || v.Line != s.line {
			t.Fatalf("step %d (%T): phase %d light %d %q; want %d %d %q", i, s.e, v.Phase, v.Light, v.Line, s.phase, s.light, s.line)
		}
	}
	if v := m.View(); v.Settings != nil || !v.Since.IsZero() {
		t.Errorf("settings kept after the end: %+v", v)
	}
	if v := m.View(); v.ErrorDetail != "authentication failed: Login failed." {
		t.Errorf("detail %q", v.ErrorDetail)
	}
	// A new attempt clears the failure.
	m.Connecting("Corp VPN")
	if v := m.View(); v.Error != "" || v.Light != LightBusy {
		t.Errorf("after a new connect: %+v", v)
	}
}

func TestModelBannerOnlyOnce(t *testing.T) {
	m := NewModel()
	m.Start(&agent.Status{State: agent.StateIdle})
	m.Connecting("Corp VPN")
	m.Apply(client.ConnectedEvent{Settings: client.Settings{Banner: "Authorized users only."}})
	if v := m.View(); v.Phase != PhaseBanner || v.Banner != "Authorized users only." || !v.CanDisconnect() {
		t.Fatalf("banner: %+v", v)
	}
	m.BannerAccepted()
	m.Apply(client.ConnectedEvent{Settings: client.Settings{Banner: "Authorized users only."}}) // a reconnect
	if v := m.View(); v.Phase != PhaseConnected || v.Banner != "" {
		t.Fatalf("after Accept and a reconnect: %+v", v)
	}
}

func TestProblemOf(t *testing.T) {
	forbidden := &agent.Error{Code: agent.CodeForbidden, Message: `not allowed to use the vpnc-go agent: uid 1001 is neither root nor a member of group "vpnc-go"`}
	p := ProblemOf(fmt.Errorf("dial: %w", forbidden), "/run/vpnc-go/agent.sock", "bob")
	if p.Title != "This user may not use the vpnc-go agent" || p.Command != "sudo usermod -aG vpnc-go bob" || !strings.Contains(p.Detail, "uid 1001") {
		t.Fatalf("forbidden: %+v", p)
	}
	p = ProblemOf(errors.New("dial unix /x: i/o timeout"), "/x", "bob")
	if p.Title != "The vpnc-go agent is not running" || !strings.Contains(p.Text, "does not answer at /x") {
		t.Fatalf("timeout: %+v", p)
	}
}

func TestNotice(t *testing.T) {
	m := NewModel()
	prev := m.View()
	m.Start(&agent.Status{State: "connected", Host: "Corp VPN"})
	if n := Notice(prev, m.View()); n != "" {
		t.Errorf("attaching to a running session: %q", n)
	}
	m.Start(&agent.Status{State: agent.StateIdle})
	var got []string
	step := func(f func()) {
		prev := m.View()
		f()
		if n := Notice(prev, m.View()); n != "" {
			got = append(got, n)
		}
	}
	step(func() { m.Connecting("Corp VPN") })
	step(func() { m.Apply(client.StageEvent{Stage: client.StageAuthenticating}) })
	step(func() { m.Apply(client.ConnectedEvent{}) })
	step(func() { m.Apply(client.StatsEvent{}) })
	step(func() { m.Apply(client.StageEvent{Stage: client.StageReconnecting}) })
	step(func() { m.Apply(client.ConnectedEvent{}) })
	step(func() { m.Apply(client.StageEvent{Stage: client.StageDisconnecting}) })
	step(func() { m.Apply(client.DisconnectedEvent{}) })
	step(func() { m.Connecting("Corp VPN") })
	step(func() { m.Apply(client.DisconnectedEvent{Err: errors.New("IKE_SA_INIT: no answer from 192.0.2.1")}) })
	want := []string{"Connected to Corp VPN", "Reconnecting to Corp VPN", "Connected to Corp VPN",
		"Disconnected from Corp VPN", "Disconnected: the headend does not answer"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("notices\n%q\nwant\n%q", got, want)
	}
}
