package profile

import (
	"os"
	"path/filepath"
	"testing"
)

func hostProfile(hosts ...[2]string) string {
	s := `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/"><ServerList>`
	for _, h := range hosts {
		s += "<HostEntry><HostName>" + h[0] + "</HostName><HostAddress>" + h[1] + "</HostAddress><PrimaryProtocol>IPsec</PrimaryProtocol></HostEntry>"
	}
	return s + "</ServerList></AnyConnectProfile>\n"
}

// TestPushedPrecedence: managed beats pushed beats the user's own, on a
// HostName clash; a host only the pushed profile names is offered.
func TestPushedPrecedence(t *testing.T) {
	root := t.TempDir()
	dirs := map[string]string{}
	for name, content := range map[string]string{
		"system": hostProfile([2]string{"Corp", "192.0.2.1"}),
		"pushed": hostProfile([2]string{"Corp", "192.0.2.66"}, [2]string{"Lab", "192.0.2.2"}, [2]string{"Home", "192.0.2.3"}),
		"user":   hostProfile([2]string{"Lab", "192.0.2.77"}, [2]string{"Mine", "192.0.2.4"}),
	} {
		dirs[name] = filepath.Join(root, name)
		if err := os.Mkdir(dirs[name], 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dirs[name], name+".xml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat := Discover(Options{SystemDirs: []string{dirs["system"]}, PushedDirs: []string{dirs["pushed"]}, UserDirs: []string{dirs["user"]}})
	want := map[string]struct {
		addr  string
		class Class
	}{"Corp": {"192.0.2.1", ClassSystem}, "Lab": {"192.0.2.2", ClassPushed}, "Home": {"192.0.2.3", ClassPushed}, "Mine": {"192.0.2.4", ClassUser}}
	if len(cat.Entries) != len(want) || len(cat.Shadowed) != 2 {
		t.Fatalf("entries %+v shadowed %+v", cat.Entries, cat.Shadowed)
	}
	for _, e := range cat.Entries {
		if w := want[e.Name]; e.Address.Host != w.addr || e.Class != w.class {
			t.Errorf("%s: %s from %s (%s), want %s (%s)", e.Name, e.Address.Host, e.Source, e.Class, w.addr, w.class)
		}
	}
	if ClassPushed.String() != "pushed" {
		t.Errorf("ClassPushed prints %q", ClassPushed)
	}
}

func TestPushedDir(t *testing.T) {
	for goos, want := range map[string]string{"linux": "/var/lib/vpnc-go/profile", "darwin": "/Library/Application Support/vpnc-go/profile",
		"windows": `C:\ProgramData\vpnc-go\pushed-profile`} {
		if got := PushedDirFor(goos, noEnv); got != want {
			t.Errorf("%s: %s", goos, got)
		}
	}
	t.Setenv(EnvPushedDir, "/x/y/")
	if d := PushedDir(); d != "/x/y" {
		t.Errorf("with %s set: %q", EnvPushedDir, d)
	}
	t.Setenv(EnvPushedDir, "")
	if d := PushedDir(); d != "" {
		t.Errorf("with %s empty: %q", EnvPushedDir, d)
	}
}
