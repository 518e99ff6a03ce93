package client_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/clienttest"
	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// serveIKE runs a real headend with the IKE policy ike on a loopback UDP
// socket until the test ends, and returns its address.
func serveIKE(t *testing.T, ike string) string {
	t.Helper()
	ps, err := ikev2.ParseProposals(ike, iana.ProtoIKE)
	if err != nil {
		t.Fatal(err)
	}
	return clienttest.ServeUDP(t, ikev2.ServerConfig{
		Config:      ikev2.Config{IKEProposals: ps},
		Credentials: clienttest.Credentials("vpn.example.com"),
		EAP: func(ikev2.EAPClient) (eap.Authenticator, error) {
			return &eap.MSCHAPv2Authenticator{Name: "hub", UserName: "alice", Password: "x", Rand: rand.Reader}, nil
		},
		Assign: func(ikev2.ClientInfo) (*ikev2.Lease, error) { return nil, errors.New("no leases here") },
	})
}

func TestProbeLegacyHeadend(t *testing.T) {
	addr := serveIKE(t, "aes192-sha1-modp1024")
	rs, err := client.Probe(context.Background(), addr, client.ProbeOptions{Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(ikev2.ProbeFamilies) {
		t.Fatalf("%d results", len(rs))
	}
	var accepted []client.ProbeResult
	for _, r := range rs {
		t.Logf("%+v", r)
		if r.Accepted {
			accepted = append(accepted, r)
		} else if r.Refused != "NO_PROPOSAL_CHOSEN" {
			t.Errorf("%s: refused with %q", r.Family, r.Refused)
		}
	}
	if len(accepted) != 1 {
		t.Fatalf("accepted: %+v", accepted)
	}
	r := accepted[0]
	if r.Family != "AES-CBC with a weak DH group" || r.Suite != "aes192-sha1-prfsha1-modp1024" || r.IKE != "aes192-sha1-modp1024" ||
		len(r.Weak) != 1 || !strings.Contains(r.Weak[0], "MODP-1024") || !reflect.DeepEqual(r.AskedGroups, []string{"modp1024"}) {
		t.Fatalf("got %+v", r)
	}
}

func TestProbeModernHeadend(t *testing.T) {
	addr := serveIKE(t, "aes256gcm16-prfsha256-ecp256,aes128-sha256-modp2048")
	rs, err := client.Probe(context.Background(), addr, client.ProbeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"AES-GCM": "aes256gcm16-prfsha256-ecp256", "AES-CBC": "aes128-sha256-prfsha256-modp2048"}
	for _, r := range rs {
		if w, ok := want[r.Family]; (ok && (!r.Accepted || r.Suite != w || len(r.Weak) != 0)) || (!ok && r.Accepted) {
			t.Errorf("%+v", r)
		}
	}
}

func TestProbeNoAnswer(t *testing.T) {
	// A bound socket that never answers.
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	_, err = client.Probe(context.Background(), pc.LocalAddr().String(), client.ProbeOptions{Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client.Probe(ctx, pc.LocalAddr().String(), client.ProbeOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := client.Probe(context.Background(), "[::1]:notaport", client.ProbeOptions{}); err == nil {
		t.Fatal("bad port accepted")
	}
}

func TestHostStore(t *testing.T) {
	s := &client.HostStore{Path: filepath.Join(t.TempDir(), "vpnc-go", "hosts.json")}
	if _, ok, err := s.Get("vpn.example.com"); ok || err != nil {
		t.Fatalf("empty store: %v %v", ok, err)
	}
	if err := s.Set("VPN.example.com", client.HostSetting{IKE: "aes192-sha1-modp1024"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("other.example.com", client.HostSetting{IKE: "aes999-sha1-modp1024"}); err == nil || !strings.Contains(err.Error(), "aes999") {
		t.Fatalf("bad proposal stored: %v", err)
	}
	hs, ok, err := s.Get("vpn.example.com")
	if !ok || err != nil || hs.IKE != "aes192-sha1-modp1024" || hs.ESP != "" {
		t.Fatalf("got %+v %v %v", hs, ok, err)
	}
	if _, ok, _ := s.Get("other.example.com"); ok {
		t.Fatal("a setting leaked to another host")
	}
	if fi, err := os.Stat(s.Path); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("file mode: %v %v", fi, err)
	}
	if err := s.Set("vpn.example.com", client.HostSetting{}); err != nil {
		t.Fatal(err)
	}
	if hosts, err := s.Hosts(); err != nil || len(hosts) != 0 {
		t.Fatalf("after removal: %v %v", hosts, err)
	}
	os.WriteFile(s.Path, []byte(`{"h": {"ike": "bogus"}}`), 0o600)
	if _, _, err := s.Get("h"); err == nil || !strings.Contains(err.Error(), s.Path) || !strings.Contains(err.Error(), `"h"`) {
		t.Fatalf("bad file: %v", err)
	}
	os.WriteFile(s.Path, []byte(`{`), 0o600)
	if _, _, err := s.Get("h"); err == nil || !strings.Contains(err.Error(), s.Path) {
		t.Fatalf("broken JSON: %v", err)
	}
}

func TestWeakSuiteWarningAndRefusal(t *testing.T) {
	st := client.Settings{Headend: netip.MustParseAddrPort("192.0.2.1:4500"), IKESuite: "aes192-sha1-prfsha1-modp1024", ESPSuite: "aes256-sha1"}
	w := client.WeakSuiteWarning(st)
	if !strings.Contains(w, "IKE aes192-sha1-prfsha1-modp1024") || !strings.Contains(w, "MODP-1024") || strings.Contains(w, "ESP") || strings.Contains(w, "\n") {
		t.Fatalf("warning %q", w)
	}
	st.IKESuite = "aes256gcm16-prfsha256-ecp256"
	if w := client.WeakSuiteWarning(st); w != "" {
		t.Fatalf("sound suites warned about: %q", w)
	}
	for _, c := range []struct {
		err   error
		proto string
	}{
		{&ikev2.PeerError{Exchange: iana.IKE_SA_INIT, Type: iana.NO_PROPOSAL_CHOSEN}, "IKE"},
		{&ikev2.PeerError{Exchange: iana.IKE_AUTH, Type: iana.NO_PROPOSAL_CHOSEN}, "ESP"},
		{&ikev2.PeerError{Exchange: iana.IKE_AUTH, Type: iana.AUTHENTICATION_FAILED}, ""},
		{errors.New("other"), ""},
	} {
		if p, ok := client.RefusedProposals(c.err); p != c.proto || ok != (c.proto != "") {
			t.Errorf("%v: %q %v", c.err, p, ok)
		}
	}
	if weak, err := client.CheckProposals("aes192-sha1-modp1024", "3des-sha1"); err != nil || len(weak) != 2 {
		t.Fatalf("weak %v %v", weak, err)
	}
	if _, err := client.CheckProposals("", "aes256-prfsha1"); err == nil || !strings.Contains(err.Error(), "ESP proposals") {
		t.Fatalf("got %v", err)
	}
}
