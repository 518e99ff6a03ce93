package headend

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// seedConfig copies the example configuration next to a fresh PKI.
func seedConfig(t *testing.T) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	if err := GeneratePKI(dir, "vpn.example.com", "alice"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "headend.toml")
	if err := os.WriteFile(path, SeedConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}

// pump runs an initiator against a server in memory until done.
func pump(t *testing.T, ini *ikev2.Initiator, srv *ikev2.Server, answer eap.FormAnswer) (*ikev2.Established, error) {
	t.Helper()
	return pumpObserved(t, ini, srv, answer, func([]byte) {})
}

// pumpObserved is pump that shows each datagram to the headend to observe.
func pumpObserved(t *testing.T, ini *ikev2.Initiator, srv *ikev2.Server, answer eap.FormAnswer, observe func([]byte)) (*ikev2.Established, error) {
	t.Helper()
	return pumpTrace(t, ini, srv, answer, func(toServer bool, b []byte) {
		if toServer {
			observe(b)
		}
	}, func(ikev2.Action) {})
}

// pumpTrace is pump that shows every datagram, each way, to observe and
// every action of the client to onClient.
func pumpTrace(t *testing.T, ini *ikev2.Initiator, srv *ikev2.Server, answer eap.FormAnswer,
	observe func(toServer bool, b []byte), onClient func(ikev2.Action)) (*ikev2.Established, error) {
	t.Helper()
	now := time.Unix(1_700_000_000, 0)
	client := netip.MustParseAddrPort("192.0.2.2:40000")
	type dg struct {
		toServer, encap bool
		b               []byte
	}
	var queue []dg
	var up *ikev2.Established
	var closed error
	done := false
	handle := func(fromServer bool, acts []ikev2.Action) {
		for _, a := range acts {
			if !fromServer {
				onClient(a)
			}
			switch a := a.(type) {
			case ikev2.Send:
				for _, b := range a.Datagrams {
					queue = append(queue, dg{!fromServer, a.Encap, b})
				}
			case ikev2.Established:
				if !fromServer {
					up = &a
				}
			case ikev2.Closed:
				if !fromServer {
					closed, done = a.Err, true
				}
			case ikev2.NeedInput:
				acts, err := ini.Answer(now, answer)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range acts {
					if s, ok := x.(ikev2.Send); ok {
						for _, b := range s.Datagrams {
							queue = append(queue, dg{true, s.Encap, b})
						}
					}
				}
			}
		}
	}
	handle(false, ini.Start(now))
	for steps := 0; steps < 200 && up == nil && !done; steps++ {
		if len(queue) == 0 {
			now = now.Add(time.Second)
			handle(false, ini.HandleTimeout(now))
			continue
		}
		d := queue[0]
		queue = queue[1:]
		observe(d.toServer, d.b)
		if d.toServer {
			handle(true, srv.HandleDatagram(now, client, d.encap, d.b))
		} else {
			handle(false, ini.HandleDatagram(now, netip.MustParseAddrPort("192.0.2.1:4500"), d.encap, d.b))
		}
	}
	return up, closed
}

// clientConfig is a client of the headend made from dir's PKI: it trusts
// the headend's CA and sends Cisco's vendor IDs.
func clientConfig(t *testing.T, dir string) ikev2.InitiatorConfig {
	t.Helper()
	cas, err := certs.LoadCAFile(filepath.Join(dir, CAFile))
	if err != nil {
		t.Fatal(err)
	}
	trust := certs.NewTrustConfig("vpn.example.com", time.Now())
	trust.SystemRoots, trust.ExtraCAs = false, cas
	return ikev2.InitiatorConfig{
		Local: netip.MustParseAddrPort("192.0.2.2:40000"), Remote: netip.MustParseAddrPort("192.0.2.1:500"),
		VerifyPeer: func(chain [][]byte) (*x509.Certificate, error) { return certs.VerifyServer(chain, trust) },
		Config:     ikev2.Config{CiscoVendorIDs: true},
	}
}

func newClient(t *testing.T, dir string, method eap.Peer, creds *ikev2.Credentials, id *wire.ID, mods ...func(*ikev2.InitiatorConfig)) *ikev2.Initiator {
	t.Helper()
	cfg := clientConfig(t, dir)
	cfg.EAP, cfg.EAPIdentity, cfg.Credentials = method, "alice", creds
	if id != nil {
		cfg.Identity = *id
	}
	for _, m := range mods {
		m(&cfg)
	}
	ini, err := ikev2.NewInitiator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ini
}

func newServer(t *testing.T, cfg *Config) *ikev2.Server {
	t.Helper()
	pol, err := NewPolicy(cfg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := pol.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	rc.Local = netip.MustParseAddrPort("192.0.2.1:500")
	srv, err := ikev2.NewServer(rc)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestSeedConfig(t *testing.T) {
	cfg, dir := seedConfig(t)
	if cfg.DefaultTunnelGroup != "ASA-IKEV2" || cfg.Pools["VPNPOOL"].bits != 24 || len(cfg.Users) != 2 {
		t.Fatalf("parsed %+v", cfg)
	}
	t.Run("anyconnect", func(t *testing.T) {
		srv := newServer(t, cfg)
		up, err := pump(t, newClient(t, dir, &anyconnect.Peer{GroupAccess: "ASA-IKEV2"}, nil, nil), srv,
			eap.FormAnswer{"username": "alice", "password": "correct horse"})
		if up == nil {
			t.Fatalf("not established: %v", err)
		}
		if up.Config.Address4.String() != "10.2.2.1/24" || up.Config.Address6.String() != "2001:db8:2::1/64" ||
			up.Config.Banner == "" || len(up.Config.Include) != 2 {
			t.Fatalf("config %+v", up.Config)
		}
	})
	t.Run("mschapv2 with the NT hash", func(t *testing.T) {
		srv := newServer(t, cfg)
		ini := newClient(t, dir, &eap.MSCHAPv2Peer{UserName: "alice", Password: "correct horse", Rand: rand.Reader}, nil,
			&wire.ID{IDType: wire.ID_RFC822_ADDR, Data: []byte("alice@corp.example")})
		up, err := pump(t, ini, srv, nil)
		if up == nil {
			t.Fatalf("not established: %v", err)
		}
		ini = newClient(t, dir, &eap.MSCHAPv2Peer{UserName: "alice", Password: "wrong", Rand: rand.Reader}, nil,
			&wire.ID{IDType: wire.ID_RFC822_ADDR, Data: []byte("alice@corp.example")})
		if _, err := pump(t, ini, newServer(t, cfg), nil); !errors.Is(err, ikev2.ErrAuthFailed) {
			t.Fatalf("wrong password: %v", err)
		}
	})
	t.Run("disabled user", func(t *testing.T) {
		srv := newServer(t, cfg)
		_, err := pump(t, newClient(t, dir, &anyconnect.Peer{GroupAccess: "ASA-IKEV2"}, nil, nil), srv,
			eap.FormAnswer{"username": "mallory", "password": "correct horse"})
		if !errors.Is(err, ikev2.ErrAuthFailed) {
			t.Fatalf("disabled user: %v", err)
		}
	})
}

func TestConfigErrors(t *testing.T) {
	base := `certificate = "s.pem"
key = "s.key"
[pool.P]
range = "10.0.0.1-10.0.0.9"
[group-policy.G]
[tunnel-group.T]
auth = "eap-anyconnect"
group-policy = "G"
pool = "P"
`
	for _, c := range []struct{ text, want string }{
		{"bogus = 1\n" + base, "unknown setting bogus"},
		{base + "[tunnel-group.X]\nauth = \"eap-foo\"\ngroup-policy = \"G\"\npool = \"P\"\n", `auth "eap-foo" is not one of`},
		{strings.Replace(base, `pool = "P"`, `pool = "Q"`, 1), `pool "Q" is not defined`},
		{strings.Replace(base, "10.0.0.9", "10.0.0.0", 1), "must go from a lower"},
		{base + "[[user]]\nname = \"a\"\n", `user "a" has no password-hash`},
		{base + "[[user]]\nname = \"a\"\nnt-hash = \"zz\"\n", "not 32 hex digits"},
		{base + "listen = \n", "x.toml:10"},
		{base + "[crypto]\nfragmentation = \"maybe\"\n", "crypto.fragmentation"},
	} {
		_, err := Parse("x.toml", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.want, err, c.want)
		}
	}
}

func TestPool(t *testing.T) {
	p := Pool{Range: "10.2.2.1-10.2.2.2", Mask: "255.255.255.0", IPv6: "2001:db8:2::/64"}
	if err := p.parse(); err != nil {
		t.Fatal(err)
	}
	a := newAllocator(p)
	x, x6, relX, _ := a.lease()
	y, y6, _, _ := a.lease()
	if _, _, _, err := a.lease(); !errors.Is(err, ErrPoolExhausted) {
		t.Fatalf("third lease: %v", err)
	}
	relX()
	relX() // twice is harmless
	z, z6, _, err := a.lease()
	if err != nil || z != x || z6 != x6 || x.String() != "10.2.2.1/24" || y.String() != "10.2.2.2/24" ||
		x6.String() != "2001:db8:2::1/64" || y6.String() != "2001:db8:2::2/64" {
		t.Fatalf("leases %v %v %v %v %v %v %v", x, y, z, x6, y6, z6, err)
	}
	if err := (&Pool{Range: "10.0.0.1-10.0.0.2", IPv6: "10.0.0.0/8"}).parse(); err == nil {
		t.Fatal("an IPv4 network accepted as the IPv6 pool")
	}
}
