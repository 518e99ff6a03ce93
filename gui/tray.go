//go:build cgo

package gui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// Tray is the system tray's icon (its colour follows the state light)
// and menu (Connect to each host, Disconnect, Show window, Quit).
type Tray struct {
	app     desktop.App
	win     fyne.Window
	actions Actions
	light   Light
	menuKey string
}

// NewTray puts vpnc-go in the system tray, or returns nil when the app
// has no tray; closing the window then hides it. The caller checks that
// a tray host is there first: on Linux the tray speaks
// StatusNotifierItem over D-Bus, and without a host the hidden window
// could not come back.
func NewTray(a fyne.App, w fyne.Window, actions Actions) *Tray {
	d, ok := a.(desktop.App)
	if !ok {
		return nil
	}
	t := &Tray{app: d, win: w, actions: actions, light: -1}
	d.SetSystemTrayWindow(w)
	t.Render(NewModel().View())
	return t
}

// Render updates the icon and the menu for v.
func (t *Tray) Render(v View) {
	if v.Light != t.light {
		t.light = v.Light
		t.app.SetSystemTrayIcon(TrayIcon(v.Light))
	}
	m := TrayMenu(v, func() { t.win.Show(); t.win.RequestFocus() },
		func(host string) { go t.actions.Connect(context.Background(), host, "") },
		func() { go t.actions.Cancel(context.Background()) },
		fyne.CurrentApp().Quit)
	key := menuKey(m)
	if key != t.menuKey {
		t.menuKey = key
		t.app.SetSystemTrayMenu(m)
	}
}

func menuKey(m *fyne.Menu) string {
	var b bytes.Buffer
	for _, it := range m.Items {
		b.WriteString(it.Label)
		if it.Disabled {
			b.WriteString(" (off)")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TrayMenu is the tray's menu for v: the state line, Connect to each
// usable host, Disconnect, Show window and Quit (given here with its
// action: Fyne's own Quit is added only to a menu set twice).
func TrayMenu(v View, show func(), connect func(host string), disconnect func(), quit func()) *fyne.Menu {
	state := fyne.NewMenuItem(v.Line, nil)
	state.Disabled = true
	items := []*fyne.MenuItem{state, fyne.NewMenuItemSeparator()}
	for _, h := range v.Hosts {
		if !h.Usable {
			continue
		}
		it := fyne.NewMenuItem("Connect to "+h.Label, func() { connect(h.Value) })
		it.Disabled = !v.CanConnect()
		items = append(items, it)
	}
	dis := fyne.NewMenuItem("Disconnect", disconnect)
	dis.Disabled = !v.CanDisconnect()
	q := fyne.NewMenuItem("Quit", quit)
	q.IsQuit = true
	items = append(items, dis, fyne.NewMenuItemSeparator(), fyne.NewMenuItem("Show window", show), fyne.NewMenuItemSeparator(), q)
	return fyne.NewMenu("vpnc-go", items...)
}

// trayColours are the light's colours in the tray, fixed: tray icons are
// drawn by the desktop, not in the window's theme.
var trayColours = map[Light]color.NRGBA{
	LightOff:   {0x9e, 0x9e, 0x9e, 0xff},
	LightBusy:  {0xff, 0xa0, 0x00, 0xff},
	LightUp:    {0x43, 0xa0, 0x47, 0xff},
	LightError: {0xe5, 0x39, 0x35, 0xff},
}

// TrayIcon is a filled circle in the light's colour, as a PNG (what the
// tray needs).
func TrayIcon(l Light) fyne.Resource {
	const n = 64
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	c := trayColours[l]
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := float64(x)-n/2+0.5, float64(y)-n/2+0.5
			if dx*dx+dy*dy <= (n/2-2)*(n/2-2) {
				img.SetNRGBA(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img) // writing to memory does not fail
	return fyne.NewStaticResource("vpnc-go-"+[]string{"off", "busy", "up", "error"}[l]+".png", b.Bytes())
}
