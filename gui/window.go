//go:build cgo

package gui

import (
	"context"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vpnc-go/vpnc-go/client"
)

// Actions is what the window's buttons do; the Presenter carries them out.
type Actions interface {
	Attach(context.Context) error
	Connect(ctx context.Context, host, user string) error
	Answer(ctx context.Context, a client.FormAnswer, savePassword bool) error
	Cancel(context.Context) error
	AcceptBanner()
	TrustAndConnect(context.Context) error
	DismissUntrusted()
}

// Window draws a View in a Fyne window. Render it from the UI thread
// (fyne.Do from other goroutines).
type Window struct {
	Win     fyne.Window
	actions Actions
	now     func() time.Time

	light  *canvas.Circle
	line   *widget.Label
	hostIn *widget.SelectEntry // a typed host allowed
	hostSl *widget.Select      // only the listed hosts
	hostBx *fyne.Container
	button *widget.Button
	body   *fyne.Container
	banner dialog.Dialog
	// untrusted is the certificate dialog, for the certificate it shows
	untrusted     dialog.Dialog
	untrustedCert *client.UntrustedCert

	v        View
	bodyKey  bodyKey
	focus    fyne.Focusable
	duration *widget.Label // the live details
	traffic  [2]*widget.Label
}

// bodyKey says what the body shows: it is rebuilt only when it changes,
// so what the user types into a form stays.
type bodyKey struct {
	phase    Phase
	form     *client.Form
	settings any
	problem  *Problem
	errText  string
}

// NewWindow makes the main window in w; now gives the clock of the
// connection's duration.
func NewWindow(w fyne.Window, a Actions, now func() time.Time) *Window {
	win := &Window{Win: w, actions: a, now: now}
	win.light = canvas.NewCircle(theme.Color(theme.ColorNameDisabled))
	win.line = widget.NewLabel("")
	win.line.Wrapping = fyne.TextWrapWord
	win.hostIn = widget.NewSelectEntry(nil)
	win.hostIn.SetPlaceHolder("Host name or address")
	win.hostIn.OnSubmitted = func(string) { win.connect() }
	win.hostSl = widget.NewSelect(nil, nil)
	win.hostSl.PlaceHolder = "(choose a host)"
	win.hostBx = container.NewStack(win.hostSl)
	win.button = widget.NewButton("Connect", win.toggle)
	win.button.Importance = widget.HighImportance
	win.body = container.NewVBox()
	light := container.NewCenter(container.NewGridWrap(fyne.NewSize(14, 14), win.light))
	top := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel("Host"), win.button, win.hostBx),
		container.NewBorder(nil, nil, light, nil, win.line),
		widget.NewSeparator(),
	)
	w.SetContent(container.NewBorder(top, nil, nil, nil, win.body))
	w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter {
			win.toggleConnectOnly()
		}
	})
	win.Render(NewModel().View())
	return win
}

// chosenHost is the host the user selected or typed.
func (w *Window) chosenHost() string {
	if w.v.ManualAllowed {
		return w.hostIn.Text
	}
	return w.hostSl.Selected
}

func (w *Window) connect() {
	host := w.chosenHost()
	if !w.v.CanConnect() || host == "" {
		return
	}
	go w.actions.Connect(context.Background(), host, "")
}

func (w *Window) toggleConnectOnly() {
	if w.v.CanConnect() {
		w.connect()
	}
}

// toggle is the Connect / Disconnect button.
func (w *Window) toggle() {
	switch {
	case w.v.CanConnect():
		w.connect()
	case w.v.CanDisconnect():
		go w.actions.Cancel(context.Background())
	}
}

// Render draws v.
func (w *Window) Render(v View) {
	w.v = v
	w.light.FillColor = lightColor(v.Light)
	w.light.Refresh()
	w.line.SetText(v.Line)
	w.renderHosts(v)
	switch {
	case v.CanConnect():
		w.button.SetText("Connect")
		w.button.Importance = widget.HighImportance
		w.button.Enable()
	case v.CanDisconnect():
		w.button.SetText("Disconnect")
		w.button.Importance = widget.MediumImportance
		w.button.Enable()
	default:
		w.button.SetText("Connect")
		w.button.Disable()
	}
	w.button.Refresh()
	key := bodyKey{phase: v.Phase, form: v.Form, problem: v.Problem, errText: v.ErrorDetail}
	if v.Settings != nil {
		key.settings = v.Settings
	}
	if key != w.bodyKey {
		w.bodyKey = key
		w.focus = nil
		w.body.Objects = w.buildBody(v)
		w.body.Refresh()
		// Wrapped labels know their height once laid out at their width.
		w.Win.Content().Refresh()
		if w.focus != nil {
			w.Win.Canvas().Focus(w.focus) // the first empty field of a form
		}
	}
	w.refreshLive()
	w.renderBanner(v)
	w.renderUntrusted(v)
}

// renderUntrusted shows a refused headend certificate: what a person
// needs to decide, and "Connect anyway" (which remembers its pin for the
// host) unless a managed profile names the host. Never a silent accept.
func (w *Window) renderUntrusted(v View) {
	if v.Untrusted == w.untrustedCert {
		return
	}
	if w.untrusted != nil {
		d := w.untrusted
		w.untrusted, w.untrustedCert = nil, nil
		d.Hide()
	}
	u := v.Untrusted
	if u == nil {
		return
	}
	grid := container.New(layout.NewFormLayout())
	row := func(label, value string) {
		if value == "" {
			return
		}
		l := widget.NewLabel(value)
		l.Wrapping = fyne.TextWrapBreak
		l.Selectable = true
		grid.Add(widget.NewLabelWithStyle(label, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
		grid.Add(l)
	}
	row("Host", u.Host)
	row("Subject", u.Subject)
	row("Issuer", u.Issuer)
	if !u.NotBefore.IsZero() {
		row("Valid", u.NotBefore.UTC().Format("2006-01-02 15:04")+" to "+u.NotAfter.UTC().Format("2006-01-02 15:04")+" UTC")
	}
	row("Key pin", u.PinSHA256)
	row("Problem", u.Reason)
	intro := "The headend's certificate is not trusted: vpnc-go cannot tell it from an impostor's. Check the key pin with your administrator before you connect anyway."
	if v.UntrustedStrict {
		intro = "The headend's certificate is not trusted, and the managed profile for this host accepts only trusted certificates. Ask your administrator to fix the headend's certificate or the profile."
	}
	text := widget.NewLabel(intro)
	text.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(text, grid)
	var d dialog.Dialog
	done := func(connect bool) {
		if w.untrusted != d {
			return // closed by the view, not the user
		}
		w.untrusted, w.untrustedCert = nil, nil
		if connect {
			go w.actions.TrustAndConnect(context.Background())
		} else {
			w.actions.DismissUntrusted()
		}
	}
	if v.UntrustedStrict {
		d = dialog.NewCustom("Untrusted certificate", "Cancel", content, w.Win)
		d.SetOnClosed(func() { done(false) })
	} else {
		d = dialog.NewCustomConfirm("Untrusted certificate", "Connect anyway", "Cancel", content, done, w.Win)
	}
	d.Resize(fyne.NewSize(460, 420))
	w.untrusted, w.untrustedCert = d, u
	d.Show()
}

func (w *Window) renderHosts(v View) {
	labels := make([]string, 0, len(v.Hosts))
	for _, h := range v.Hosts {
		if h.Usable {
			labels = append(labels, h.Label)
		}
	}
	enabled := v.CanConnect()
	if v.ManualAllowed {
		w.hostIn.SetOptions(labels)
		if w.hostIn.Text == "" && len(labels) > 0 {
			w.hostIn.SetText(labels[0])
		}
		if !enabled && v.Host != "" {
			w.hostIn.SetText(v.Host)
		}
		setEnabled(w.hostIn, enabled)
		w.hostBx.Objects = []fyne.CanvasObject{w.hostIn}
	} else {
		w.hostSl.SetOptions(labels)
		if w.hostSl.Selected == "" && len(labels) > 0 {
			w.hostSl.SetSelected(labels[0])
		}
		if !enabled && v.Host != "" {
			w.hostSl.SetSelected(v.Host)
		}
		setEnabled(w.hostSl, enabled)
		w.hostBx.Objects = []fyne.CanvasObject{w.hostSl}
	}
	w.hostBx.Refresh()
}

func setEnabled(d fyne.Disableable, on bool) {
	if on {
		d.Enable()
	} else {
		d.Disable()
	}
}

func lightColor(l Light) color.Color {
	switch l {
	case LightBusy:
		return theme.Color(theme.ColorNameWarning)
	case LightUp:
		return theme.Color(theme.ColorNameSuccess)
	case LightError:
		return theme.Color(theme.ColorNameError)
	}
	return theme.Color(theme.ColorNameDisabled)
}

func (w *Window) buildBody(v View) []fyne.CanvasObject {
	w.duration, w.traffic = nil, [2]*widget.Label{}
	switch {
	case v.Phase == PhaseNoAgent && v.Problem != nil:
		return w.problemBody(v.Problem)
	case v.Phase == PhaseForm && v.Form != nil:
		return w.formBody(v.Form)
	case v.Settings != nil && (v.Phase == PhaseConnected || v.Phase == PhaseBanner || v.Phase == PhaseReconnecting):
		return w.detailsBody(v)
	case v.Error != "":
		return errorBody(v)
	}
	return nil
}

func (w *Window) problemBody(p *Problem) []fyne.CanvasObject {
	title := widget.NewLabelWithStyle(p.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	text := widget.NewLabel(p.Text)
	text.Wrapping = fyne.TextWrapWord
	cmd := widget.NewLabelWithStyle(p.Command, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	cmd.Selectable = true
	copyCmd := widget.NewButtonWithIcon("Copy command", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(p.Command)
	})
	retry := widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() {
		go w.actions.Attach(context.Background())
	})
	detail := widget.NewLabel(p.Detail)
	detail.Wrapping = fyne.TextWrapWord
	detail.Selectable = true
	return []fyne.CanvasObject{title, text, widget.NewLabel("To fix it, run:"), cmd,
		container.NewHBox(copyCmd, layout.NewSpacer(), retry),
		widget.NewAccordion(widget.NewAccordionItem("Details", detail))}
}

func errorBody(v View) []fyne.CanvasObject {
	msg := widget.NewLabel("The connection failed: " + v.Error)
	msg.Importance = widget.DangerImportance
	msg.Wrapping = fyne.TextWrapWord
	detail := widget.NewLabel(v.ErrorDetail)
	detail.Wrapping = fyne.TextWrapWord
	detail.Selectable = true
	return []fyne.CanvasObject{msg, widget.NewAccordion(widget.NewAccordionItem("Details", detail))}
}

// formBody renders a form of any shape: text, password and select
// fields; hidden ones keep their values (the agent sends them).
func (w *Window) formBody(f *client.Form) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	if f.Title != "" {
		out = append(out, widget.NewLabelWithStyle(f.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	if f.Error != "" {
		e := widget.NewLabel(f.Error)
		e.Importance = widget.DangerImportance
		e.Wrapping = fyne.TextWrapWord
		out = append(out, e)
	}
	for _, s := range []string{f.Banner, f.Message} {
		if s != "" {
			l := widget.NewLabel(s)
			l.Wrapping = fyne.TextWrapWord
			out = append(out, l)
		}
	}
	if w.v.KeyringNote != "" {
		out = append(out, widget.NewLabel(w.v.KeyringNote))
	}
	values := map[string]func() string{}
	form := widget.NewForm()
	var first fyne.Focusable
	save := widget.NewCheck("Save password", nil)
	save.SetChecked(w.v.SavePassword)
	hasPassword := false
	submit := func() {
		a := client.FormAnswer{}
		for name, get := range values {
			a[name] = get()
		}
		go w.actions.Answer(context.Background(), a, hasPassword && save.Checked)
	}
	for _, fl := range f.Fields {
		var item fyne.CanvasObject
		switch fl.Kind {
		case client.FieldHidden:
			continue
		case client.FieldSelect:
			labels, byLabel := []string{}, map[string]string{}
			selected := ""
			for _, o := range fl.Options {
				label := o.Label
				if label == "" {
					label = o.Value
				}
				labels = append(labels, label)
				byLabel[label] = o.Value
				if o.Value == fl.Value {
					selected = label
				}
			}
			sel := widget.NewSelect(labels, nil)
			if selected != "" {
				sel.SetSelected(selected)
			}
			values[fl.Name] = func() string {
				if v, ok := byLabel[sel.Selected]; ok {
					return v
				}
				return fl.Value
			}
			item = sel
		default:
			var e *widget.Entry
			if fl.Kind == client.FieldPassword {
				hasPassword = true
				e = widget.NewPasswordEntry()
			} else {
				e = widget.NewEntry()
				e.SetText(fl.Value)
			}
			e.OnSubmitted = func(string) { submit() }
			values[fl.Name] = func() string { return e.Text }
			if first == nil && e.Text == "" {
				first = e
			}
			item = e
		}
		label := fl.Label
		if label == "" {
			label = fl.Name
		}
		form.Append(label, item)
	}
	if hasPassword {
		form.Append("", save)
	}
	cancel := widget.NewButton("Cancel", func() { go w.actions.Cancel(context.Background()) })
	ok := widget.NewButton("Continue", submit)
	ok.Importance = widget.HighImportance
	out = append(out, form, container.NewHBox(layout.NewSpacer(), cancel, ok))
	w.focus = first
	return out
}

func (w *Window) detailsBody(v View) []fyne.CanvasObject {
	grid := container.New(layout.NewFormLayout())
	for _, d := range v.Details(w.now()) {
		value := widget.NewLabel(d.Value)
		value.Wrapping = fyne.TextWrapWord
		value.Selectable = true
		switch d.Label {
		case "Duration":
			w.duration = value
		case "Sent":
			w.traffic[0] = value
		case "Received":
			w.traffic[1] = value
		}
		grid.Add(widget.NewLabelWithStyle(d.Label, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
		grid.Add(value)
	}
	copyAll := widget.NewButtonWithIcon("Copy details", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(w.v.DetailsText(w.now()))
	})
	out := []fyne.CanvasObject{grid, container.NewHBox(layout.NewSpacer(), copyAll)}
	if v.KeyringNote != "" {
		out = append(out, widget.NewLabel(v.KeyringNote))
	}
	return out
}

// refreshLive updates the duration and the counters in place.
func (w *Window) refreshLive() {
	if w.v.Settings == nil {
		return
	}
	for _, d := range w.v.Details(w.now()) {
		var l *widget.Label
		switch d.Label {
		case "Duration":
			l = w.duration
		case "Sent":
			l = w.traffic[0]
		case "Received":
			l = w.traffic[1]
		}
		if l != nil && l.Text != d.Value {
			l.SetText(d.Value)
		}
	}
}

// Tick updates the duration; the app calls it every second.
func (w *Window) Tick() { w.refreshLive() }

// renderBanner shows the banner dialog while the banner waits: Accept
// keeps the tunnel, Disconnect ends it.
func (w *Window) renderBanner(v View) {
	if v.Phase != PhaseBanner {
		if w.banner != nil {
			d := w.banner
			w.banner = nil
			d.Hide()
		}
		return
	}
	if w.banner != nil {
		return
	}
	text := widget.NewLabel(v.Banner)
	text.Wrapping = fyne.TextWrapWord
	scroll := container.NewVScroll(text)
	scroll.SetMinSize(fyne.NewSize(360, 120))
	d := dialog.NewCustomConfirm("Message from "+v.Host, "Accept", "Disconnect", scroll, func(accept bool) {
		if w.banner == nil {
			return // closed by the view, not the user
		}
		w.banner = nil
		if accept {
			w.actions.AcceptBanner()
		} else {
			go w.actions.Cancel(context.Background())
		}
	}, w.Win)
	w.banner = d
	d.Show()
}
