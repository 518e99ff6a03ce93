//go:build cgo && linux

package main

// The window end to end: the real vpnc-go-gui binary on an Xvfb display,
// run as an unprivileged member of the agent's group, the real agent as
// root and the headend emulator, each in a network namespace the test
// makes (cmd/internal/lab). The test clicks and types with xdotool, reads
// the window's state from --state-file (never guessed from pixels), and
// writes a screenshot of every step (to $VPNC_GO_GUI_SCREENSHOTS when
// set, else the test's temporary folder).

import (
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

const e2ePassword = "correct horse" // alice's in the seed configuration

type guiLab struct {
	t       *testing.T
	l       *lab.Lab
	display string
	state   string // the window's --state-file
	shots   string
	win     string // the X window id
	gui     *lab.Proc
}

func TestGUIEndToEnd(t *testing.T) {
	g := newGUILab(t)

	g.waitState("the window attached to the agent", "idle")
	g.shot("1-idle")

	// Type the headend's address into the host field; Enter connects.
	g.xdotool("mousemove", "--window", g.win, "200", "22", "click", "1")
	g.xdotool("key", "ctrl+a")
	g.xdotool("type", "--delay", "20", lab.HeadendAddr)
	g.xdotool("key", "Return")
	s := g.waitState("the login form", "form")
	if s.Host != lab.HeadendAddr {
		t.Errorf("form for host %q", s.Host)
	}
	g.shot("2-form")

	// The first empty field (the user name) has the focus; Tab moves on
	// to the password, Enter answers.
	g.xdotool("type", "--delay", "20", "alice")
	g.xdotool("key", "Tab")
	g.xdotool("type", "--delay", "20", e2ePassword)
	g.xdotool("key", "Return")
	s = g.waitState("the banner", "banner")
	if !strings.Contains(s.Banner, "Authorized users only") {
		t.Errorf("banner %q", s.Banner)
	}
	g.shot("3-banner")

	g.clickButton("Accept")
	s = g.waitState("connected", "connected")
	if s.Line != "Connected to "+lab.HeadendAddr || s.Address == "" {
		t.Errorf("connected state %+v", s)
	}
	if _, err := g.l.Exec("client", "ping", "-c", "2", "-i", "0.2", "-W", "2", lab.HeadendIn); err != nil {
		t.Errorf("ping through the tunnel: %v", err)
	}
	// The counters come live (the agent sends them every 5 s).
	s = g.waitFor("the ping counted", func(s guiState) bool { return s.Phase == "connected" && s.BytesIn > 0 })
	g.shot("4-connected")

	g.clickButton("Disconnect")
	s = g.waitState("disconnected", "idle")
	if s.Line != "Disconnected" || s.Error != "" {
		t.Errorf("after Disconnect: %+v", s)
	}
	g.shot("5-disconnected")
}

func newGUILab(t *testing.T) *guiLab {
	t.Helper()
	testenv.NeedRoot(t)
	for _, c := range [][2]string{{"Xvfb", "xvfb"}, {"xdotool", "xdotool"}, {"import", "imagemagick"},
		{"setpriv", "util-linux"}, {"useradd", "passwd"}, {"groupadd", "passwd"}, {"ping", "iputils-ping"}} {
		testenv.NeedCommand(t, c[0], c[1])
	}
	g := &guiLab{t: t, shots: os.Getenv("VPNC_GO_GUI_SCREENSHOTS")}
	if g.shots == "" {
		g.shots = t.TempDir()
	}
	if err := os.MkdirAll(g.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "vpnc-go-gui-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, gui := filepath.Join(dir, "vpnc-go"), filepath.Join(dir, "vpnc-go-gui")
	mustRun(t, "go", "build", "-o", exe, "../vpnc-go")
	mustRun(t, "go", "build", "-o", gui, ".")

	id := os.Getpid() % 100000
	group, member := fmt.Sprintf("vpncgo-gg%d", id), fmt.Sprintf("vpncgo-gm%d", id)
	mustRun(t, "groupadd", group)
	t.Cleanup(func() { exec.Command("groupdel", group).Run() })
	mustRun(t, "useradd", "-M", "-N", "-G", group, member)
	t.Cleanup(func() { exec.Command("userdel", member).Run() })
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "chown", member, home)
	profiles := filepath.Join(dir, "profiles") // none: typed hosts are allowed
	if err := os.Mkdir(profiles, 0o755); err != nil {
		t.Fatal(err)
	}

	l, err := lab.New(fmt.Sprintf("vpncgogui%d", id))
	if err != nil {
		t.Fatal(err)
	}
	g.l = l
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("removing the lab: %v", err)
		}
	})
	if err := l.ClientHeadend(); err != nil {
		t.Fatal(err)
	}
	if err := headend.GeneratePKI(l.Dir, lab.HeadendAddr, "alice"); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(l.Dir, "headend.toml")
	if err := os.WriteFile(cfg, headend.SeedConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	he, err := l.Start("headend", "headend", "", exe, "responder", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := he.WaitFor("headend listening", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "run", "agent.sock")
	// A display of our own: the first free number from 90.
	n := 90
	for ; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); os.IsNotExist(err) {
			break
		}
	}
	g.display = ":" + strconv.Itoa(n)
	if _, err := l.Start("client", "xvfb", "", "Xvfb", g.display, "-screen", "0", "800x600x24", "-nolisten", "tcp"); err != nil {
		t.Fatal(err)
	}
	g.poll("the X display", func() bool {
		_, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
		return err == nil
	})

	g.state = filepath.Join(home, "state.json")
	if g.gui, err = l.Start("client", "gui", "", "setpriv", "--reuid="+member, "--regid=users", "--init-groups",
		"env", "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "DISPLAY="+g.display, "LANG=C.UTF-8",
		"VPNC_GO_PROFILE_DIRS="+profiles, "VPNC_GO_USER_PROFILE_DIR="+profiles,
		gui, "--socket", socket, "--state-file", g.state); err != nil {
		t.Fatal(err)
	}
	out := g.x("xdotool", "search", "--sync", "--name", "^vpnc-go$")
	g.win = strings.Fields(out)[0]

	// No agent yet: the window says so, then attaches once it runs.
	s := g.waitState("the window without an agent", "no_agent")
	if !strings.Contains(s.Line, "not running") {
		t.Errorf("without an agent: %+v", s)
	}
	g.shot("0-no-agent")
	ag, err := l.Start("client", "agent", "", exe, "agent", "-v", "--socket", socket, "--group", group,
		"--profile-dir", profiles, "--cafile", filepath.Join(l.Dir, headend.CAFile),
		"--state-file", filepath.Join(l.Dir, "agent-netcfg.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ag.WaitFor("agent listening", 10*time.Second); err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("window's output:\n%s\nagent's output:\n%s", g.gui.Output(), ag.Output())
		}
	})
	return g
}

func mustRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// x runs an X client on the test's display.
func (g *guiLab) x(args ...string) string {
	g.t.Helper()
	out, err := g.l.Exec("client", append([]string{"env", "DISPLAY=" + g.display}, args...)...)
	if err != nil {
		g.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (g *guiLab) xdotool(args ...string) { g.t.Helper(); g.x(append([]string{"xdotool"}, args...)...) }

// poll waits for ok; the limit only keeps a broken test from hanging.
func (g *guiLab) poll(what string, ok func() bool) {
	g.t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return
		}
	}
	g.t.Fatalf("no %s", what)
}

// guiState is what the window writes to --state-file.
type guiState struct {
	Phase, Line, Host, Banner, Address, Error string
	Form                                      bool
	BytesIn                                   uint64 `json:"bytes_in"`
}

func (g *guiLab) waitState(what, phase string) guiState {
	g.t.Helper()
	return g.waitFor(what, func(s guiState) bool { return s.Phase == phase })
}

func (g *guiLab) waitFor(what string, ok func(guiState) bool) guiState {
	g.t.Helper()
	var s guiState
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		s = guiState{}
		b, err := os.ReadFile(g.state)
		if err == nil && json.Unmarshal(b, &s) == nil && ok(s) {
			time.Sleep(300 * time.Millisecond) // the frame after the change
			return s
		}
	}
	g.shot("failed")
	g.t.Fatalf("no %s: the window's state is %+v", what, s)
	return s
}

// buttons are where the window's buttons are, relative to the window of
// 480x600 (the banner dialog centred in it).
var buttons = map[string][2]int{"Accept": {310, 384}, "Disconnect": {440, 22}}

func (g *guiLab) clickButton(name string) {
	g.t.Helper()
	p := buttons[name]
	g.xdotool("mousemove", "--window", g.win, strconv.Itoa(p[0]), strconv.Itoa(p[1]), "click", "1")
}

// shot saves a screenshot of the display and fails the test if it stays
// blank (a single colour: the window not drawn) for 10 s.
func (g *guiLab) shot(name string) {
	g.t.Helper()
	path := filepath.Join(g.shots, name+".png")
	n := 0
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		g.x("import", "-window", "root", path)
		f, err := os.Open(path)
		if err != nil {
			g.t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			g.t.Fatalf("screenshot %s: %v", path, err)
		}
		if n = colours(img, 3); n >= 3 || time.Now().After(end) {
			break
		}
	}
	if n < 3 {
		g.t.Errorf("screenshot %s is blank (%d colours)", path, n)
	}
	g.t.Logf("screenshot %s", path)
}

// colours counts the distinct colours of img, up to max.
func colours(img image.Image, max int) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, gr, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, gr, bl, a}] = true
			if len(seen) >= max {
				return len(seen)
			}
		}
	}
	return len(seen)
}
