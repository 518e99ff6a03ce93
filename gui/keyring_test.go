//go:build keyring

package gui

// Saved passwords against a real Secret Service: .ci/keyring-test runs
// this inside dbus-run-session with gnome-keyring (go test -tags keyring).

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/creds"
)

func TestPresenterKeyring(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no session bus: run this through .ci/keyring-test")
	}
	ctx := context.Background()
	key := creds.Key{Headend: headendName, User: testUser}
	p, vs := newTestPresenter(t, startAgent(t))
	p.Keyring = true
	if err := p.Attach(ctx); err != nil {
		t.Fatal(err)
	}
	vs.wait(t, "idle", phase(PhaseIdle))

	// Nothing saved: the form asks; "Save password" stores what worked.
	if err := p.Connect(ctx, headendName, ""); err != nil {
		t.Fatal(err)
	}
	v := vs.wait(t, "the form", phase(PhaseForm))
	if v.SavePassword {
		t.Error("Save password checked with nothing saved")
	}
	if err := p.Answer(ctx, client.FormAnswer{"username": testUser, "password": testPassword}, true); err != nil {
		t.Fatal(err)
	}
	vs.wait(t, "the password saved", func(v View) bool { return strings.Contains(v.KeyringNote, "is saved in the keyring") })
	if _, pw, err := creds.Load(key); err != nil || pw != testPassword {
		t.Fatalf("keyring after the login: %q, %v", pw, err)
	}
	disconnect := func() {
		t.Helper()
		if err := p.Cancel(ctx); err != nil {
			t.Fatal(err)
		}
		vs.wait(t, "idle", phase(PhaseIdle))
	}
	disconnect()

	// Saved: no form, straight to the banner.
	if err := p.Connect(ctx, headendName, ""); err != nil {
		t.Fatal(err)
	}
	v = vs.wait(t, "up without a form", func(v View) bool { return v.Phase == PhaseForm || v.Phase == PhaseBanner })
	if v.Phase == PhaseForm {
		t.Fatalf("asked for the saved password: %+v", v.Form)
	}
	p.AcceptBanner()
	disconnect()

	// A saved password the headend refuses: asked again, then replaced.
	if err := creds.Store(key, "stale"); err != nil {
		t.Fatal(err)
	}
	if err := p.Connect(ctx, headendName, ""); err != nil {
		t.Fatal(err)
	}
	v = vs.wait(t, "the form after the refusal", phase(PhaseForm))
	if !strings.Contains(v.KeyringNote, "refused") || !v.SavePassword {
		t.Errorf("form after the refusal: note %q, save %v", v.KeyringNote, v.SavePassword)
	}
	if err := p.Answer(ctx, client.FormAnswer{"username": testUser, "password": testPassword}, true); err != nil {
		t.Fatal(err)
	}
	vs.wait(t, "the password replaced", func(v View) bool { return strings.Contains(v.KeyringNote, "is saved in the keyring") })
	if _, pw, err := creds.Load(key); err != nil || pw != testPassword {
		t.Fatalf("keyring after the second login: %q, %v", pw, err)
	}
	disconnect()
}
