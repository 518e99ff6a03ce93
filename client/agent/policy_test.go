package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/profile"
)

const managedProfile = `<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ClientInitialization>
    <AllowManualHostInput>%s</AllowManualHostInput>
  </ClientInitialization>
  <ServerList>
    <HostEntry>
      <HostName>Corp VPN</HostName>
      <HostAddress>vpn.example.com</HostAddress>
      <UserGroup>ENGINEERING</UserGroup>
      <BackupServerList><HostAddress>192.0.2.1</HostAddress></BackupServerList>
      <PrimaryProtocol>IPsec</PrimaryProtocol>
    </HostEntry>
  </ServerList>
</AnyConnectProfile>
`

// managedPolicy is a policy whose only profile is a managed one.
func managedPolicy(t *testing.T, manual bool) *Policy {
	t.Helper()
	dir := t.TempDir()
	allow := "false"
	if manual {
		allow = "true"
	}
	if err := os.WriteFile(filepath.Join(dir, "corp.xml"), []byte(strings.Replace(managedProfile, "%s", allow, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return &Policy{Profiles: func() *profile.Catalog {
		return profile.Discover(profile.Options{SystemDirs: []string{dir}, UserDirs: []string{}})
	}}
}

func TestPolicyManagedHost(t *testing.T) {
	p := managedPolicy(t, false)
	o, target, err := p.options(&ConnectRequest{Host: "corp vpn", User: "alice", IKE: "aes256gcm16-prfsha256-ecp256"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Server != "vpn.example.com" || o.Group != "ENGINEERING" || len(o.Backups) != 1 || o.Backups[0] != "192.0.2.1" ||
		o.Username != "alice" || o.IKEProposals == "" || target.Name != "Corp VPN" {
		t.Fatalf("options %+v", o)
	}
	// The same group in other case is no override.
	if _, _, err := p.options(&ConnectRequest{Host: "Corp VPN", Group: "engineering"}); err != nil {
		t.Fatal(err)
	}
	// By address: the managed entry, with its rules.
	if _, _, err := p.options(&ConnectRequest{Host: "vpn.example.com", Group: "OTHER"}); codeOf(err) != CodePolicy {
		t.Fatalf("group override by address: %v", err)
	}
	refused := map[string]ConnectRequest{
		"group":   {Host: "Corp VPN", Group: "ADMINS"},
		"backups": {Host: "Corp VPN", Backups: []string{"203.0.113.9"}},
		"pins":    {Host: "Corp VPN", ServerCert: []string{"pin-sha256:AAAA"}},
		"auth":    {Host: "Corp VPN", Auth: "EAP-MD5"},
		"ike_id":  {Host: "Corp VPN", Identity: "someone"},
		"manual":  {Host: "203.0.113.9"},
	}
	for name, req := range refused {
		_, _, err := p.options(&req)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodePolicy || e.Message == "" {
			t.Errorf("%s: %v, want a policy refusal", name, err)
		}
	}
	hosts := p.hosts()
	if hosts.ManualAllowed || !strings.HasSuffix(hosts.ManualForbiddenBy, "corp.xml") || len(hosts.Hosts) != 1 ||
		hosts.Hosts[0].Name != "Corp VPN" || hosts.Hosts[0].Group != "ENGINEERING" || !hosts.Hosts[0].Usable {
		t.Fatalf("hosts %+v", hosts)
	}
}

func TestPolicyManualHost(t *testing.T) {
	p := managedPolicy(t, true)
	o, target, err := p.options(&ConnectRequest{Host: "203.0.113.9", Group: "ANY", Backups: []string{"203.0.113.10"},
		ServerCert: []string{"pin-sha256:AAAA"}, Auth: "EAP-MSCHAPv2", User: "bob", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if !target.Manual || o.Server != "203.0.113.9" || o.Group != "ANY" || len(o.Backups) != 1 || len(o.Pins) != 1 ||
		o.Auth != profile.AuthEAPMSCHAPv2 || !o.AutoReconnect {
		t.Fatalf("options %+v", o)
	}
	if _, _, err := p.options(&ConnectRequest{Host: "203.0.113.9", Auth: "EAP-NOPE"}); codeOf(err) != CodeBadRequest {
		t.Fatalf("bad auth: %v", err)
	}
	// No profiles at all: the schema default allows manual hosts.
	empty := &Policy{}
	if _, _, err := empty.options(&ConnectRequest{Host: "vpn.example.net"}); err != nil {
		t.Fatal(err)
	}
}
