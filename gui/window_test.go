//go:build cgo

package gui

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/png"
	"net/netip"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
)

// recorder takes the window's actions, for the tests to read.
type recorder struct{ calls chan string }

func (r *recorder) Attach(context.Context) error { r.calls <- "attach"; return nil }
func (r *recorder) Connect(_ context.Context, host, _ string) error {
	r.calls <- "connect " + host
	return nil
}
func (r *recorder) Answer(_ context.Context, a client.FormAnswer, save bool) error {
	r.calls <- fmt.Sprintf("answer %ssave=%v", fmtAnswer(a), save)
	return nil
}
func (r *recorder) Cancel(context.Context) error { r.calls <- "cancel"; return nil }
func (r *recorder) AcceptBanner()                { r.calls <- "accept" }
func (r *recorder) TrustAndConnect(context.Context) error {
	r.calls <- "trust"
	return nil
}
func (r *recorder) DismissUntrusted() { r.calls <- "dismiss" }

func fmtAnswer(a client.FormAnswer) string {
	s := ""
	for _, k := range []string{"username", "password", "group_list", "answer"} {
		if v, ok := a[k]; ok {
			s += k + "=" + v + " "
		}
	}
	return s
}

func (r *recorder) want(t *testing.T, call string) {
	t.Helper()
	select {
	case got := <-r.calls:
		if got != call {
			t.Fatalf("action %q, want %q", got, call)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no action; want %q", call)
	}
}

var clock = time.Date(2026, 12, 4, 16, 42, 5, 0, time.UTC)

func newTestWindow(t *testing.T) (*Window, *recorder) {
	t.Helper()
	test.NewTempApp(t)
	r := &recorder{calls: make(chan string, 16)}
	w := NewWindow(test.NewTempWindow(t, nil), r, func() time.Time { return clock })
	w.Win.Resize(fyne.NewSize(480, 600))
	return w, r
}

// model runs the steps on a fresh model, as the presenter would.
func model(steps ...func(*Model)) View {
	m := NewModel()
	m.now = func() time.Time { return clock.Add(-5 * time.Second) }
	m.SetHosts(&agent.HostsResult{Hosts: []agent.Host{
		{Name: "Corp VPN", Address: "vpn.example.com", Usable: true},
		{Name: "Lab", Address: "lab.example.com", Usable: true},
	}, ManualForbiddenBy: "/etc/vpnc-go/profile/corp.xml"})
	m.Start(&agent.Status{State: agent.StateIdle})
	for _, s := range steps {
		s(m)
	}
	return m.View()
}

func connecting(m *Model) { m.Connecting("Corp VPN") }
func connectingTo(host string) func(*Model) {
	return func(m *Model) { m.Connecting(host) }
}

func untrustedErr(host string) error {
	return &agent.RemoteError{Text: "server certificate for \"" + host + "\" is not trusted: ...", Untrusted: &client.UntrustedCert{
		Host: host, Reason: "x509: certificate signed by unknown authority",
		Subject: "CN=" + host, Issuer: "CN=vpnc-go demo CA",
		PinSHA256: "pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}}
}
func event(e client.Event) func(*Model) {
	return func(m *Model) { m.Apply(e) }
}

var loginForm = &client.Form{
	Title: "Login", Message: "Please enter your username and password.",
	Error: "Login failed.",
	Fields: []client.Field{
		{Name: "group_list", Label: "Group:", Kind: client.FieldSelect, Value: "ENG",
			Options: []client.Option{{Value: "ASA-IKEV2", Label: "Employees"}, {Value: "ENG", Label: "Engineering"}}},
		{Name: "username", Label: "Username:", Kind: client.FieldText, Value: "alice"},
		{Name: "password", Label: "Password:", Kind: client.FieldPassword},
		{Name: "csrf", Kind: client.FieldHidden, Value: "kept"},
	},
}

var settings = client.Settings{
	Headend:  netip.MustParseAddrPort("192.0.2.1:4500"),
	Address4: netip.MustParsePrefix("10.2.2.10/24"),
	DNS:      []netip.Addr{netip.MustParseAddr("198.51.100.53")},
	Domains:  []string{"corp.example"},
	Routes:   []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
	Banner:   "Authorized users only. Activity may be monitored.",
	IKESuite: "aes256gcm16-prfsha384-ecp384", ESPSuite: "aes256gcm16",
	MTU: 1390, Device: "vpnc0",
}

func connected(m *Model) {
	m.Connecting("Corp VPN")
	m.Apply(client.ConnectedEvent{Settings: settings})
	m.BannerAccepted()
	m.v.Since = clock.Add(-(1*time.Hour + 2*time.Minute + 3*time.Second))
}

func TestWindowStates(t *testing.T) {
	for _, c := range []struct {
		golden string
		view   View
	}{
		{"no_agent.xml", func() View {
			m := NewModel()
			m.AgentLost(&agent.Error{Code: agent.CodeForbidden, Message: `not allowed to use the vpnc-go agent: uid 1001 is neither root nor a member of group "vpnc-go"`}, agent.DefaultSocket, "bob")
			return m.View()
		}()},
		{"idle.xml", model()},
		{"connecting.xml", model(connecting, event(client.StageEvent{Stage: client.StageConnecting}))},
		{"form.xml", model(connecting, event(client.FormEvent{Form: loginForm}))},
		{"banner.xml", model(connecting, event(client.ConnectedEvent{Settings: settings}))},
		{"connected.xml", model(connected, event(client.StatsEvent{Stats: client.Stats{PacketsIn: 1204, PacketsOut: 1180, BytesIn: 1572864, BytesOut: 98304}}))},
		{"reconnecting.xml", model(connected, event(client.StageEvent{Stage: client.StageReconnecting}))},
		{"failed.xml", model(connecting, event(client.DisconnectedEvent{Err: &agent.RemoteError{Text: "authentication failed: Login failed.", AuthFailed: true}}))},
		{"untrusted.xml", model(connectingTo("vpn2.example.com"), event(client.DisconnectedEvent{Err: untrustedErr("vpn2.example.com")}))},
		{"untrusted_strict.xml", model(connecting, event(client.DisconnectedEvent{Err: untrustedErr("vpn.example.com")}))},
	} {
		t.Run(c.golden, func(t *testing.T) {
			w, _ := newTestWindow(t)
			w.Render(c.view)
			test.AssertRendersToMarkup(t, c.golden, w.Win.Canvas())
		})
	}
}

func TestWindowManualHost(t *testing.T) {
	w, r := newTestWindow(t)
	v := model()
	v.ManualAllowed = true
	w.Render(v)
	w.hostIn.SetText("")
	test.Type(w.hostIn, "vpn2.example.com")
	w.hostIn.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter connects
	r.want(t, "connect vpn2.example.com")
}

func TestWindowConnectButton(t *testing.T) {
	w, r := newTestWindow(t)
	w.Render(model())
	w.hostSl.SetSelected("Lab")
	test.Tap(w.button)
	r.want(t, "connect Lab")

	w.Render(model(connected))
	if w.button.Text != "Disconnect" || w.button.Disabled() {
		t.Fatalf("button %q disabled %v while connected", w.button.Text, w.button.Disabled())
	}
	test.Tap(w.button)
	r.want(t, "cancel")
}

func TestWindowFormAnswer(t *testing.T) {
	w, r := newTestWindow(t)
	w.Render(model(connecting, event(client.FormEvent{Form: loginForm})))
	pw := find[*widget.Entry](t, w, func(e *widget.Entry) bool { return e.Password })
	if w.Win.Canvas().Focused() != pw {
		t.Errorf("focus on %v, not on the empty password field", w.Win.Canvas().Focused())
	}
	test.Type(pw, "correct horse")
	// A stats or stage event meanwhile keeps what was typed.
	w.Render(model(connecting, event(client.FormEvent{Form: loginForm})))
	w.Render(w.v)
	pw.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	r.want(t, "answer username=alice password=correct horse group_list=ENG save=false")

	sel := find[*widget.Select](t, w, func(*widget.Select) bool { return true })
	sel.SetSelected("Employees")
	test.Tap(find[*widget.Check](t, w, func(c *widget.Check) bool { return c.Text == "Save password" }))
	test.Tap(find[*widget.Button](t, w, func(b *widget.Button) bool { return b.Text == "Continue" }))
	r.want(t, "answer username=alice password=correct horse group_list=ASA-IKEV2 save=true")

	test.Tap(find[*widget.Button](t, w, func(b *widget.Button) bool { return b.Text == "Cancel" }))
	r.want(t, "cancel")
}

func TestWindowBanner(t *testing.T) {
	for _, accept := range []bool{true, false} {
		w, r := newTestWindow(t)
		w.Render(model(connecting, event(client.ConnectedEvent{Settings: settings})))
		label := "Disconnect"
		if accept {
			label = "Accept"
		}
		overlay := w.Win.Canvas().Overlays().Top()
		if overlay == nil {
			t.Fatal("no banner dialog")
		}
		b := findIn[*widget.Button](t, overlay, func(b *widget.Button) bool { return b.Text == label })
		test.Tap(b)
		if accept {
			r.want(t, "accept")
		} else {
			r.want(t, "cancel")
		}
	}
}

func TestWindowUntrusted(t *testing.T) {
	for _, c := range []struct {
		host, button, call string
	}{
		{"vpn2.example.com", "Connect anyway", "trust"},
		{"vpn2.example.com", "Cancel", "dismiss"},
		{"Corp VPN", "Cancel", "dismiss"}, // managed: Cancel only
	} {
		w, r := newTestWindow(t)
		w.Render(model(connectingTo(c.host), event(client.DisconnectedEvent{Err: untrustedErr(c.host)})))
		overlay := w.Win.Canvas().Overlays().Top()
		if overlay == nil {
			t.Fatal("no certificate dialog")
		}
		anyway := markupHas(t, overlay, "Connect anyway")
		if managed := c.host == "Corp VPN"; anyway == managed {
			t.Errorf("%s: Connect anyway offered: %v", c.host, anyway)
		}
		test.Tap(findIn[*widget.Button](t, overlay, func(b *widget.Button) bool { return b.Text == c.button }))
		r.want(t, c.call)
	}
}

func TestWindowRetry(t *testing.T) {
	w, r := newTestWindow(t)
	m := NewModel()
	m.AgentLost(context.DeadlineExceeded, agent.DefaultSocket, "bob")
	w.Render(m.View())
	test.Tap(find[*widget.Button](t, w, func(b *widget.Button) bool { return b.Text == "Retry" }))
	r.want(t, "attach")
	if !w.button.Disabled() {
		t.Error("Connect works without an agent")
	}
}

// markupHas says whether a button labelled text is under root.
func markupHas(t *testing.T, root fyne.CanvasObject, text string) (found bool) {
	t.Helper()
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = true
		}
		switch c := o.(type) {
		case *fyne.Container:
			for _, k := range c.Objects {
				walk(k)
			}
		case fyne.Widget:
			for _, k := range test.TempWidgetRenderer(t, c).Objects() {
				walk(k)
			}
		}
	}
	walk(root)
	return found
}

func find[T fyne.CanvasObject](t *testing.T, w *Window, ok func(T) bool) T {
	t.Helper()
	return findIn(t, w.Win.Content(), ok)
}

func findIn[T fyne.CanvasObject](t *testing.T, root fyne.CanvasObject, ok func(T) bool) T {
	t.Helper()
	var found T
	var walk func(o fyne.CanvasObject) bool
	walk = func(o fyne.CanvasObject) bool {
		if x, is := o.(T); is && ok(x) {
			found = x
			return true
		}
		var kids []fyne.CanvasObject
		switch c := o.(type) {
		case *fyne.Container:
			kids = c.Objects
		case fyne.Widget:
			kids = test.TempWidgetRenderer(t, c).Objects()
		}
		for _, k := range kids {
			if walk(k) {
				return true
			}
		}
		return false
	}
	if !walk(root) {
		t.Fatalf("no %T found", found)
	}
	return found
}

func TestTrayMenu(t *testing.T) {
	var got []string
	labels := func(m *fyne.Menu) string {
		var s []string
		for _, it := range m.Items {
			l := it.Label
			if it.IsSeparator {
				l = "--"
			}
			if it.Disabled {
				l += " (off)"
			}
			s = append(s, l)
		}
		return fmt.Sprint(s)
	}
	idle := model()
	m := TrayMenu(idle, func() { got = append(got, "show") }, func(h string) { got = append(got, "connect "+h) }, func() { got = append(got, "disconnect") }, func() { got = append(got, "quit") })
	if l := labels(m); l != "[Disconnected (off) -- Connect to Corp VPN Connect to Lab Disconnect (off) -- Show window -- Quit]" {
		t.Errorf("idle menu %s", l)
	}
	m.Items[3].Action()
	m.Items[6].Action()
	m.Items[8].Action()
	up := model(connected)
	m = TrayMenu(up, nil, nil, func() { got = append(got, "disconnect") }, nil)
	if l := labels(m); l != "[Connected to Corp VPN (off) -- Connect to Corp VPN (off) Connect to Lab (off) Disconnect -- Show window -- Quit]" {
		t.Errorf("connected menu %s", l)
	}
	m.Items[4].Action()
	if fmt.Sprint(got) != "[connect Lab show quit disconnect]" {
		t.Errorf("actions %v", got)
	}
	for l := LightOff; l <= LightError; l++ {
		img, err := png.Decode(bytes.NewReader(TrayIcon(l).Content()))
		if err != nil {
			t.Fatalf("icon %d: %v", l, err)
		}
		if c := img.At(32, 32).(color.NRGBA); c != trayColours[l] {
			t.Errorf("icon %d: centre %v", l, c)
		}
	}
}
