//go:build cgo

// Command vpnc-go-gui is the desktop window of vpnc-go: it drives the
// vpnc-go agent (vpnc-go agent, the vpnc-go-agent service) through its
// socket, as the user, like the CLI's connect does. With a D-Bus session
// it has a tray icon and sends desktop notifications.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/godbus/dbus/v5"

	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/gui"
	"github.com/vpnc-go/vpnc-go/profile"
)

func main() {
	socket := flag.String("socket", agent.DefaultSocket, "the agent's socket")
	stateFile := flag.String("state-file", "", "write the window's state (phase and state line) to this file as JSON on every change, for tests and scripts")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: vpnc-go-gui [--socket PATH]\n\nThe vpnc-go desktop window; the vpnc-go agent runs the tunnel.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}

	a := app.NewWithID("io.github.vpnc-go.gui")
	w := a.NewWindow("vpnc-go")
	w.Resize(fyne.NewSize(480, 600))

	p := gui.NewPresenter(*socket, userName(), nil)
	p.Keyring = true // saved passwords, in the user's keyring
	p.Profiles = func() *profile.Catalog {
		// The user's own profiles: the agent reads the managed ones.
		return profile.Discover(profile.Options{SystemDirs: []string{}})
	}
	if pins, err := gui.DefaultPinStore(); err == nil {
		p.Pins = pins // "Connect anyway" on an untrusted certificate
	}
	win := gui.NewWindow(w, p, time.Now)

	// The tray and notifications speak D-Bus: only with a session bus
	// that answers (without one, Fyne's tray fails on quit), and the tray
	// only when a tray host shows it (closing the window then keeps it
	// in the tray, and a hidden window must have a way back).
	var tray *gui.Tray
	bus, trayHost := sessionBus()
	if trayHost {
		tray = gui.NewTray(a, w, p)
	}
	var prev gui.View
	p.OnChange = func(v gui.View) {
		fyne.Do(func() {
			win.Render(v)
			if tray != nil {
				tray.Render(v)
			}
			if n := gui.Notice(prev, v); n != "" && bus {
				a.SendNotification(fyne.NewNotification("vpnc-go", n))
			}
			prev = v
		})
		if *stateFile != "" {
			writeState(*stateFile, v)
		}
	}
	defer p.Close()

	go func() {
		// Attach now, and again every few seconds while there is no
		// agent: starting the service is enough, no restart of the window.
		for {
			if p.View().Phase == gui.PhaseNoAgent {
				p.Attach(context.Background())
			}
			time.Sleep(5 * time.Second)
		}
	}()
	go func() {
		for range time.Tick(time.Second) {
			fyne.Do(win.Tick)
		}
	}()
	w.ShowAndRun()
}

// sessionBus says whether the session bus answers, and whether a tray
// host (a StatusNotifierWatcher) is on it.
func sessionBus() (answers, trayHost bool) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return false, false
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var has bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	if err != nil {
		return false, false
	}
	return true, has
}

func userName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// state is what --state-file holds.
type state struct {
	Phase   string `json:"phase"`
	Line    string `json:"line"`
	Host    string `json:"host,omitempty"`
	Form    bool   `json:"form,omitempty"`
	Banner  string `json:"banner,omitempty"`
	Address string `json:"address,omitempty"`
	Error   string `json:"error,omitempty"`
	BytesIn uint64 `json:"bytes_in,omitempty"`
}

var phaseNames = map[gui.Phase]string{
	gui.PhaseNoAgent: "no_agent", gui.PhaseIdle: "idle", gui.PhaseConnecting: "connecting", gui.PhaseForm: "form",
	gui.PhaseBanner: "banner", gui.PhaseConnected: "connected", gui.PhaseReconnecting: "reconnecting", gui.PhaseDisconnecting: "disconnecting",
}

var stateMu sync.Mutex

// writeState replaces the file at once (a reader never sees half of it).
func writeState(path string, v gui.View) {
	stateMu.Lock()
	defer stateMu.Unlock()
	s := state{Phase: phaseNames[v.Phase], Line: v.Line, Host: v.Host, Form: v.Form != nil, Banner: v.Banner, Error: v.ErrorDetail, BytesIn: v.Stats.BytesIn}
	if v.Settings != nil && v.Settings.Address4.IsValid() {
		s.Address = v.Settings.Address4.String()
	}
	b, _ := json.Marshal(s)
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "vpnc-go-gui: --state-file:", err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "vpnc-go-gui: --state-file:", err)
	}
}
