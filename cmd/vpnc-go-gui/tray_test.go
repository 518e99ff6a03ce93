//go:build cgo && linux

package main

// The tray end to end: the real vpnc-go-gui on an Xvfb display with a
// private D-Bus session bus, on which the test is the tray host (a
// StatusNotifierWatcher). It reads the tray's menu over dbusmenu, and
// quits the window through the menu's Quit.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

// watcher is the tray host: it takes the window's registration.
type watcher struct{ items chan string }

func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, path string) *dbus.Error {
	w.items <- string(sender)
	return nil
}

// menuItem is one entry of a dbusmenu layout.
type menuItem struct {
	id    int32
	label string
}

func TestGUITray(t *testing.T) {
	for _, c := range [][2]string{{"Xvfb", "xvfb"}, {"dbus-daemon", "dbus-daemon"}} {
		testenv.NeedCommand(t, c[0], c[1])
	}
	dir := t.TempDir()
	gui := filepath.Join(dir, "vpnc-go-gui")
	mustRun(t, "go", "build", "-o", gui, ".")

	bus := exec.Command("dbus-daemon", "--session", "--nofork", "--address=unix:path="+filepath.Join(dir, "bus"))
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Process.Kill(); bus.Wait() })
	addr := "unix:path=" + filepath.Join(dir, "bus")
	var conn *dbus.Conn
	var err error
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if conn, err = dbus.Connect(addr); err == nil || time.Now().After(end) {
			break
		}
	}
	if err != nil {
		t.Fatalf("the test's bus: %v", err)
	}
	defer conn.Close()
	w := &watcher{items: make(chan string, 4)}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning the watcher's name: %v %v", r, err)
	}

	n := 150
	for ; n < 250; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); os.IsNotExist(err) {
			break
		}
	}
	display := ":" + strconv.Itoa(n)
	x := exec.Command("Xvfb", display, "-screen", "0", "800x600x24", "-nolisten", "tcp")
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Process.Kill(); x.Wait() })
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			break
		} else if time.Now().After(end) {
			t.Fatal("no X display")
		}
	}

	// No agent: the tray says so too.
	cmd := exec.Command(gui, "--socket", filepath.Join(dir, "no-agent.sock"))
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "DBUS_SESSION_BUS_ADDRESS="+addr, "HOME="+dir,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "LANG=C.UTF-8")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("the window's output:\n%s", out.String())
		}
	})

	var item string
	select {
	case item = <-w.items:
	case <-time.After(30 * time.Second):
		t.Fatal("the window did not register a tray item")
	}
	var items []menuItem
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		items = trayMenu(t, conn, item)
		if len(items) > 0 && items[0].label == "The vpnc-go agent is not running" || time.Now().After(end) {
			break
		}
	}
	var labels []string
	quit := int32(-1)
	for _, it := range items {
		labels = append(labels, it.label)
		if it.label == "Quit" {
			quit = it.id
		}
	}
	if got := strings.Join(labels, "|"); got != "The vpnc-go agent is not running||Disconnect||Show window||Quit" { // "": separators
		t.Fatalf("tray menu %q", got)
	}

	// Quit from the tray ends the program cleanly.
	err = conn.Object(item, "/StatusNotifierMenu").Call("com.canonical.dbusmenu.Event", 0,
		quit, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix())).Err
	if err != nil {
		t.Fatalf("clicking Quit: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the window ended with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Quit in the tray did not end the window")
	}
}

// trayMenu reads the top level of the item's menu over dbusmenu.
func trayMenu(t *testing.T, conn *dbus.Conn, item string) []menuItem {
	t.Helper()
	var rev uint32
	var layout struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	err := conn.Object(item, "/StatusNotifierMenu").Call("com.canonical.dbusmenu.GetLayout", 0,
		int32(0), int32(1), []string{}).Store(&rev, &layout)
	if err != nil {
		t.Fatalf("GetLayout: %v", err)
	}
	var items []menuItem
	for _, c := range layout.Children {
		fields, ok := c.Value().([]any)
		if !ok || len(fields) < 2 {
			t.Fatalf("menu entry %v", c)
		}
		id, _ := fields[0].(int32)
		props, _ := fields[1].(map[string]dbus.Variant)
		label := ""
		if l, ok := props["label"]; ok {
			label, _ = l.Value().(string)
		}
		items = append(items, menuItem{id, label})
	}
	return items
}
