package netcfg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func pfx(s ...string) []netip.Prefix {
	var l []netip.Prefix
	for _, x := range s {
		l = append(l, netip.MustParsePrefix(x))
	}
	return l
}

func TestPlanRoutes(t *testing.T) {
	cases := []struct {
		name           string
		cfg            Config
		tunnel, bypass []netip.Prefix
	}{
		{
			name:   "split, headend outside",
			cfg:    Config{Include: pfx("198.51.100.0/24", "10.9.0.0/16"), Headend: netip.MustParseAddr("203.0.113.200")},
			tunnel: pfx("198.51.100.0/24", "10.9.0.0/16"),
		},
		{
			name:   "split, headend inside, unmasked include, duplicate",
			cfg:    Config{Include: pfx("203.0.113.7/24", "203.0.113.0/24"), Headend: netip.MustParseAddr("203.0.113.200")},
			tunnel: pfx("203.0.113.0/24"),
			bypass: pfx("203.0.113.200/32"),
		},
		{
			name: "full tunnel both families with excludes",
			cfg: Config{Include: pfx("0.0.0.0/0", "::/0"), Exclude: pfx("192.0.2.0/24", "2001:db8:1::/64"),
				Headend: netip.MustParseAddr("2001:db8:ff::1")},
			tunnel: pfx("0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1"),
			bypass: pfx("2001:db8:ff::1/128", "192.0.2.0/24", "2001:db8:1::/64"),
		},
		{
			name:   "v4-mapped headend",
			cfg:    Config{Include: pfx("0.0.0.0/0"), Headend: netip.MustParseAddr("::ffff:203.0.113.9"), Exclude: pfx("203.0.113.9/32")},
			tunnel: pfx("0.0.0.0/1", "128.0.0.0/1"),
			bypass: pfx("203.0.113.9/32"),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := planRoutes(c.cfg)
			if !reflect.DeepEqual(p.tunnel, c.tunnel) || !reflect.DeepEqual(p.bypass, c.bypass) {
				t.Errorf("got tunnel %v bypass %v, want %v %v", p.tunnel, p.bypass, c.tunnel, c.bypass)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := Config{Interface: "tun0", MTU: 1400, Addresses: pfx("10.2.2.2/24"), Domains: []string{"corp.example."}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Config{
		{},
		{Interface: "tun0", MTU: 100},
		{Interface: "tun0", Addresses: []netip.Prefix{{}}},
		{Interface: "tun0", Domains: []string{"~corp"}},
		{Interface: "tun0", Domains: []string{"."}},
		{Interface: "tun0", DNS: []netip.Addr{{}}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", bad)
		}
	}
}

func TestParseDNSMode(t *testing.T) {
	for in, want := range map[string]DNSMode{"": DNSAuto, "auto": DNSAuto, "resolved": DNSResolved, "resolvconf": DNSFile, "file": DNSFile, "NONE": DNSNone} {
		if got, err := ParseDNSMode(in); err != nil || got != want {
			t.Errorf("ParseDNSMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseDNSMode("nm"); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestChooseDNS(t *testing.T) {
	stub := []byte("# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\nnameserver 127.0.0.53\n")
	plain := []byte("nameserver 192.0.2.1\n")
	type env struct {
		onBus    bool
		busErr   error
		file     []byte
		link     string
		exists   bool
		writable bool
	}
	cases := []struct {
		name string
		mode DNSMode
		env  env
		want DNSMode
	}{
		{"resolved with stub", DNSAuto, env{onBus: true, file: stub, exists: true, writable: true}, DNSResolved},
		{"resolved, stub by symlink", DNSAuto, env{onBus: true, file: []byte("nameserver 192.0.2.1\n"), link: "../run/systemd/resolve/resolv.conf", exists: true, writable: true}, DNSResolved},
		{"resolved, no resolv.conf", DNSAuto, env{onBus: true, writable: true}, DNSResolved},
		{"resolved bypassed by a static file", DNSAuto, env{onBus: true, file: plain, exists: true, writable: true}, DNSFile},
		{"resolved bypassed, read-only file", DNSAuto, env{onBus: true, file: plain, exists: true}, DNSResolved},
		{"no bus", DNSAuto, env{busErr: errors.New("no socket"), file: plain, exists: true, writable: true}, DNSFile},
		{"stub without resolved", DNSAuto, env{file: stub, exists: true, writable: true}, DNSFile},
		{"nothing writable", DNSAuto, env{file: plain, exists: true}, DNSNone},
		{"forced none", DNSNone, env{onBus: true, file: stub, exists: true, writable: true}, DNSNone},
		{"forced file", DNSFile, env{onBus: true, file: stub, exists: true, writable: true}, DNSFile},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := dnsProbes{
				resolvedOnBus: func(context.Context) (bool, error) { return c.env.onBus, c.env.busErr },
				resolvConf: func(string) ([]byte, string, bool, error) {
					return c.env.file, c.env.link, c.env.exists, nil
				},
				writable: func(string) bool { return c.env.writable },
			}
			got, why := chooseDNS(context.Background(), c.mode, "/etc/resolv.conf", p)
			if got != c.want {
				t.Errorf("chooseDNS = %v (%s), want %v", got, why, c.want)
			}
		})
	}
}

// fakeResolved records calls to systemd-resolved's API.
type fakeResolved struct {
	calls []string
	fail  string // method that fails
}

func (f *fakeResolved) rec(s string) error {
	f.calls = append(f.calls, s)
	if f.fail != "" && strings.HasPrefix(s, f.fail) {
		return errors.New("fake failure of " + f.fail)
	}
	return nil
}

func (f *fakeResolved) SetLinkDNS(_ context.Context, i int, s []netip.Addr) error {
	return f.rec(fmtCall("SetLinkDNS", i, s))
}
func (f *fakeResolved) SetLinkDomains(_ context.Context, i int, d []resolvedDomain) error {
	return f.rec(fmtCall("SetLinkDomains", i, d))
}
func (f *fakeResolved) SetLinkDefaultRoute(_ context.Context, i int, on bool) error {
	return f.rec(fmtCall("SetLinkDefaultRoute", i, on))
}
func (f *fakeResolved) RevertLink(_ context.Context, i int) error {
	return f.rec(fmtCall("RevertLink", i, nil))
}
func (f *fakeResolved) FlushCaches(context.Context) error { return f.rec("FlushCaches") }
func (f *fakeResolved) Close() error                      { return nil }

func fmtCall(m string, i int, v any) string {
	s := fmt.Sprint(m, " ", i)
	if v != nil {
		s += " " + strings.Join(strings.Fields(strings.NewReplacer("{", " ", "}", " ").Replace(fmt.Sprint(v))), " ")
	}
	return s
}

func TestApplyResolved(t *testing.T) {
	dns := []netip.Addr{netip.MustParseAddr("10.2.2.53"), netip.MustParseAddr("2001:db8:2::53")}
	split := Config{DNS: dns, Domains: []string{"corp.example", "lab.corp.example."}, SplitDNS: true}
	f := &fakeResolved{}
	if err := applyResolved(context.Background(), f, 7, split); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"SetLinkDNS 7 [10.2.2.53 2001:db8:2::53]",
		"SetLinkDomains 7 [ corp.example true lab.corp.example true ]",
		"SetLinkDefaultRoute 7 false",
		"FlushCaches",
	}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("split: calls\n%q\nwant\n%q", f.calls, want)
	}
	full := split
	full.SplitDNS = false
	f = &fakeResolved{}
	if err := applyResolved(context.Background(), f, 7, full); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"SetLinkDNS 7 [10.2.2.53 2001:db8:2::53]",
		"SetLinkDomains 7 [ corp.example false lab.corp.example false . true ]",
		"SetLinkDefaultRoute 7 true",
		"FlushCaches",
	}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("full: calls\n%q\nwant\n%q", f.calls, want)
	}
	f = &fakeResolved{fail: "SetLinkDomains"}
	if err := applyResolved(context.Background(), f, 7, full); err == nil {
		t.Error("failure of SetLinkDomains not reported")
	}
}

func TestRenderResolvConf(t *testing.T) {
	orig := []byte("# from DHCP\nnameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch home.example\noptions edns0 trust-ad\n")
	cfg := Config{Interface: "tun0", DNS: []netip.Addr{netip.MustParseAddr("10.2.2.53")}, Domains: []string{"corp.example"}}
	got := string(renderResolvConf(orig, cfg))
	want := "# Written by vpnc-go for the VPN on tun0; the original comes back when it disconnects.\n" +
		"nameserver 10.2.2.53\nsearch corp.example\noptions edns0 trust-ad\n"
	if got != want {
		t.Errorf("full:\n%s\nwant\n%s", got, want)
	}
	cfg.SplitDNS = true
	got = string(renderResolvConf(orig, cfg))
	want = "# Written by vpnc-go for the VPN on tun0; the original comes back when it disconnects.\n" +
		"nameserver 10.2.2.53\nnameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch corp.example home.example\noptions edns0 trust-ad\n"
	if got != want {
		t.Errorf("split:\n%s\nwant\n%s", got, want)
	}
}

// logBuffer is a logger whose output a test can read.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

func TestResolvConfRoundTrip(t *testing.T) {
	cfg := Config{Interface: "tun0", DNS: []netip.Addr{netip.MustParseAddr("10.2.2.53")}, Domains: []string{"corp.example"}}
	log, _ := logBuffer()
	t.Run("regular file keeps bytes and mode", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "resolv.conf")
		orig := []byte("nameserver 192.0.2.1\n# odd trailing comment without newline\t")
		if err := os.WriteFile(path, orig, 0o640); err != nil {
			t.Fatal(err)
		}
		fb := writeFor(t, path, cfg)
		b, _ := os.ReadFile(path)
		if !bytes.Contains(b, []byte("nameserver 10.2.2.53")) {
			t.Fatalf("not rewritten: %q", b)
		}
		if err := restoreResolvConf(fb, log); err != nil {
			t.Fatal(err)
		}
		b, _ = os.ReadFile(path)
		fi, _ := os.Stat(path)
		if !bytes.Equal(b, orig) || fi.Mode().Perm() != 0o640 {
			t.Errorf("restored %q mode %v, want %q 0640", b, fi.Mode().Perm(), orig)
		}
		// Idempotent.
		if err := restoreResolvConf(fb, log); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("symlink comes back as the symlink", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "stub-resolv.conf")
		os.WriteFile(target, []byte("nameserver 127.0.0.53\n"), 0o644)
		path := filepath.Join(dir, "resolv.conf")
		if err := os.Symlink("stub-resolv.conf", path); err != nil {
			t.Fatal(err)
		}
		fb := writeFor(t, path, cfg)
		if fi, _ := os.Lstat(path); fi.Mode()&os.ModeSymlink != 0 {
			t.Fatal("symlink was written through instead of replaced")
		}
		if b, _ := os.ReadFile(target); string(b) != "nameserver 127.0.0.53\n" {
			t.Fatalf("symlink target changed: %q", b)
		}
		if err := restoreResolvConf(fb, log); err != nil {
			t.Fatal(err)
		}
		if l, err := os.Readlink(path); err != nil || l != "stub-resolv.conf" {
			t.Errorf("after restore: link %q, %v", l, err)
		}
	})
	t.Run("missing file is removed again", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "resolv.conf")
		fb := writeFor(t, path, cfg)
		if err := restoreResolvConf(fb, log); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("file left behind: %v", err)
		}
	})
	t.Run("someone else's change is kept and logged", func(t *testing.T) {
		log, buf := logBuffer()
		path := filepath.Join(t.TempDir(), "resolv.conf")
		os.WriteFile(path, []byte("nameserver 192.0.2.1\n"), 0o644)
		fb := writeFor(t, path, cfg)
		theirs := []byte("# rewritten by a DHCP client\nnameserver 192.0.2.99\n")
		if err := os.WriteFile(path, theirs, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := restoreResolvConf(fb, log); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b, theirs) {
			t.Errorf("their file clobbered: %q", b)
		}
		if !strings.Contains(buf.String(), "changed by someone else") {
			t.Errorf("not logged: %q", buf.String())
		}
	})
	t.Run("recorded but never written", func(t *testing.T) {
		log, buf := logBuffer()
		path := filepath.Join(t.TempDir(), "resolv.conf")
		os.WriteFile(path, []byte("nameserver 192.0.2.1\n"), 0o644)
		fb, err := snapshotResolvConf(path)
		if err != nil {
			t.Fatal(err)
		}
		fb.Written = renderResolvConf(fb.Original, cfg)
		if err := restoreResolvConf(fb, log); err != nil || buf.Len() != 0 {
			t.Errorf("restore of an unwritten change: %v %q", err, buf.String())
		}
	})
}

func writeFor(t *testing.T, path string, cfg Config) *fileBackup {
	t.Helper()
	fb, err := snapshotResolvConf(path)
	if err != nil {
		t.Fatal(err)
	}
	fb.Written = renderResolvConf(fb.Original, cfg)
	if err := writeResolvConf(fb); err != nil {
		t.Fatal(err)
	}
	return fb
}

func TestResolvConfPointsAtResolved(t *testing.T) {
	for s, want := range map[string]bool{
		"nameserver 127.0.0.53\noptions edns0\n":        true,
		"nameserver 127.0.0.53\nnameserver 192.0.2.1\n": false,
		"nameserver 192.0.2.1\n":                        false,
		"":                                              false,
	} {
		if got := resolvConfPointsAtResolved([]byte(s), ""); got != want {
			t.Errorf("%q: %v", s, got)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "netcfg.json")
	st := &state{Version: stateVersion, PID: 42, Changes: []change{
		{Kind: chAddr, Done: true, Ifindex: 3, Ifname: "tun0", Addr: netip.MustParsePrefix("10.2.2.2/24")},
		{Kind: chRoute, Route: &routeRec{Dst: netip.MustParsePrefix("0.0.0.0/1"), Ifindex: 3, Ifname: "tun0", Table: 254, Protocol: 86}},
		{Kind: chResolvConf, File: &fileBackup{Path: "/etc/resolv.conf", Existed: true, Original: []byte{0, 1, 2}}},
	}}
	if err := saveState(path, st); err != nil {
		t.Fatal(err)
	}
	got, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Errorf("got %+v, want %+v", got, st)
	}
	if err := saveState(path, &state{Version: stateVersion}); err != nil {
		t.Fatal(err)
	}
	if got, err := loadState(path); got != nil || err != nil {
		t.Errorf("empty state not removed: %v %v", got, err)
	}
}

func TestFake(t *testing.T) {
	ctx := context.Background()
	f := &Fake{}
	cfg := Config{Interface: "tun0", Addresses: pfx("10.2.2.2/24")}
	if err := f.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := f.Apply(ctx, cfg); !errors.Is(err, ErrApplied) {
		t.Errorf("second Apply: %v", err)
	}
	if c, ok := f.Applied(); !ok || c.Interface != "tun0" {
		t.Errorf("Applied = %v %v", c, ok)
	}
	f.Revert(ctx)
	f.Revert(ctx)
	boom := errors.New("boom")
	f.ApplyErr = boom
	if err := f.Apply(ctx, cfg); err != boom {
		t.Errorf("ApplyErr: %v", err)
	}
	if _, ok := f.Applied(); ok {
		t.Error("failed Apply left a config applied")
	}
	var ops []string
	for _, c := range f.Calls() {
		ops = append(ops, c.Op)
	}
	if strings.Join(ops, " ") != "Apply Apply Revert Revert Apply" {
		t.Errorf("calls %v", ops)
	}
	var _ Manager = f
}
