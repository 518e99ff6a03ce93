package client_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/clienttest"
	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/profile"
)

// The session tests run in a testing/synctest bubble: the session, the
// in-process headend and their timers all run on the bubble's fake clock,
// so a 2 s close wait or a 5 s statistics tick takes no real time, and
// synctest.Wait says when everything has settled.

type testPKI struct {
	dir  string
	cred *ikev2.Credentials
}

// newPKI writes a CA file and makes a headend certificate for host.
func newPKI(t *testing.T, host string) testPKI {
	t.Helper()
	ca := certgen.Must(certgen.SelfSigned(certgen.CA("CA")))
	leaf := certgen.Must(ca.Issue(certgen.Server(host)))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), certgen.PEM(ca.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	return testPKI{dir: dir, cred: &ikev2.Credentials{Chain: []*x509.Certificate{leaf.Cert, ca.Cert}, Signer: leaf.Key}}
}

// headendConfig is an in-process headend speaking EAP-MSCHAPv2 to user
// alice and EAP-AnyConnect to AnyConnect clients.
func headendConfig(pki testPKI, timers ikev2.Timers) ikev2.ServerConfig {
	addr := netip.MustParseAddr("10.2.2.10")
	return ikev2.ServerConfig{
		Config:      ikev2.Config{Timers: timers},
		Credentials: pki.cred,
		AskIdentity: func(c ikev2.EAPClient) bool { return !c.AnyConnect },
		EAP: func(c ikev2.EAPClient) (eap.Authenticator, error) {
			if c.AnyConnect {
				return &anyconnect.Authenticator{Groups: []anyconnect.TunnelGroup{{Name: "ASA-IKEV2", Password: true}},
					DefaultGroup: "ASA-IKEV2", Rand: rand.Reader, Retries: 1,
					CheckPassword: func(_, user, pass string) error {
						if user != "alice" || pass != "correct horse" {
							return anyconnect.ErrWrongPassword
						}
						return nil
					}}, nil
			}
			return &eap.MSCHAPv2Authenticator{Name: "hub", UserName: "alice", Password: "correct horse", Rand: rand.Reader}, nil
		},
		Assign: func(ikev2.ClientInfo) (*ikev2.Lease, error) {
			return &ikev2.Lease{Config: &ikev2.Assignment{
				Address4: netip.PrefixFrom(addr, 24), DNS: []netip.Addr{netip.MustParseAddr("198.51.100.53")},
				Domains: []string{"corp.example"}, Include: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
			}}, nil
		},
	}
}

type harness struct {
	s      *client.Session
	h      *clienttest.Headend
	nc     *netcfg.Fake
	done   chan struct{} // closed when Run returned runErr
	runErr error
	events []client.Event
}

// start runs a session against a new in-process headend; call it inside a
// synctest bubble.
func start(t *testing.T, o client.Options, timers ikev2.Timers, resolve map[string][]netip.Addr) *harness {
	t.Helper()
	return startWith(t, o, timers, resolve, nil)
}

// startWith is start with a last word on the dependencies.
func startWith(t *testing.T, o client.Options, timers ikev2.Timers, resolve map[string][]netip.Addr, adjust func(*client.Deps)) *harness {
	t.Helper()
	pki := newPKI(t, "vpn.example.com")
	h := clienttest.NewHeadend(t, headendConfig(pki, timers))
	o.CAFile = filepath.Join(pki.dir, "ca.pem")
	o.Timers = timers
	o.Log = t.Logf
	hs := &harness{h: h, nc: &netcfg.Fake{}, done: make(chan struct{})}
	deps := client.Deps{
		NetConfig:    hs.nc,
		NewDataPlane: h.NewDataPlane,
		Resolve: func(host string) ([]netip.Addr, error) {
			if a, ok := resolve[host]; ok {
				return a, nil
			}
			return nil, errors.New("no such host")
		},
	}
	if adjust != nil {
		adjust(&deps)
	}
	s, err := client.New(o, deps)
	if err != nil {
		t.Fatal(err)
	}
	hs.s = s
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		hs.wait() // within CloseWait on the bubble's clock
	})
	go func() {
		defer close(hs.done)
		hs.runErr = s.Run(ctx)
	}()
	return hs
}

// wait returns what Run returned, once it has.
func (hs *harness) wait() error {
	<-hs.done
	return hs.runErr
}

// waitFor reads events until one satisfies f (and returns it). The
// timeout runs on the bubble's clock: it fires only once the session and
// the headend have nothing left to do before it.
func (hs *harness) waitFor(t *testing.T, what string, f func(client.Event) bool) client.Event {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case e, ok := <-hs.s.Events():
			if !ok {
				t.Fatalf("events ended while waiting for %s (%v)", what, hs.events)
			}
			hs.events = append(hs.events, e)
			if f(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s; events: %v", what, hs.events)
		}
	}
}

// disconnect ends the session and waits for Run.
func (hs *harness) disconnect(t *testing.T) {
	t.Helper()
	go func() {
		for range hs.s.Events() {
		}
	}()
	hs.s.Disconnect()
	if err := hs.wait(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// wantSaved checks what SavedPassword reports.
func (hs *harness) wantSaved(t *testing.T, user, password string) {
	t.Helper()
	if u, p := hs.s.SavedPassword(); u != user || p != password {
		t.Fatalf("SavedPassword: %q %q, want %q %q", u, p, user, password)
	}
}

func isConnected(e client.Event) bool { _, ok := e.(client.ConnectedEvent); return ok }
func isForm(e client.Event) bool      { _, ok := e.(client.FormEvent); return ok }

func isStage(st client.Stage) func(client.Event) bool {
	return func(e client.Event) bool { s, ok := e.(client.StageEvent); return ok && s.Stage == st }
}

var vpnHost = map[string][]netip.Addr{"vpn.example.com": {clienttest.HeadendAddr}}

// alice logs in with EAP-MSCHAPv2 and a password given up front.
var alice = client.Options{Server: "vpn.example.com", Auth: profile.AuthEAPMSCHAPv2, Username: "alice", Password: "correct horse"}

func TestConnectAndDisconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, alice, ikev2.Timers{}, vpnHost)
		ce := hs.waitFor(t, "tunnel", isConnected).(client.ConnectedEvent)
		st := ce.Settings
		if st.Address4.String() != "10.2.2.10/24" || len(st.Routes) != 1 || st.Routes[0].String() != "198.51.100.0/24" {
			t.Fatalf("settings %+v", st)
		}
		applied, ok := hs.nc.Applied()
		if !ok || applied.Interface != "vpnc0" || !applied.SplitDNS || applied.Headend.String() != "192.0.2.1" ||
			len(applied.DNS) != 1 || applied.Domains[0] != "corp.example" {
			t.Fatalf("netcfg %+v %v", applied, ok)
		}
		var stages []string
		for _, e := range hs.events {
			if s, ok := e.(client.StageEvent); ok {
				stages = append(stages, s.Stage.String())
			}
		}
		if got := strings.Join(stages, ","); !strings.Contains(got, "resolving,IKE_SA_INIT,authenticating") || !strings.HasSuffix(got, "configuring,tunnel up") {
			t.Fatalf("stages %s", got)
		}
		hs.s.Disconnect()
		if err := hs.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		last := hs.waitFor(t, "disconnected", func(e client.Event) bool { _, ok := e.(client.DisconnectedEvent); return ok })
		if last.(client.DisconnectedEvent).Err != nil {
			t.Fatal(last)
		}
		if _, ok := hs.nc.Applied(); ok {
			t.Fatal("network configuration left applied")
		}
		if p := hs.h.Plane(); len(p.SAs()) != 0 || !p.Closed() {
			t.Fatalf("CHILD SAs %v left in the data plane, closed: %v", p.SAs(), p.Closed())
		}
	})
}

func TestAnyConnectFormAndReconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		timers := ikev2.Timers{DPD: 300 * time.Millisecond, Retransmit: 100 * time.Millisecond, RetransmitTries: 3}
		hs := start(t, client.Options{Server: "vpn.example.com", Group: "ASA-IKEV2", AutoReconnect: true}, timers, vpnHost)
		fe := hs.waitFor(t, "form", isForm).(client.FormEvent)
		if len(fe.Form.Fields) < 2 {
			t.Fatalf("form %+v", fe.Form)
		}
		if err := hs.s.Answer(client.FormAnswer{"username": "alice"}); err == nil {
			t.Fatal("an answer without the password was accepted")
		}
		hs.wantSaved(t, "", "") // nothing before the login
		if err := hs.s.Answer(client.FormAnswer{"username": "alice", "password": "correct horse"}); err != nil {
			t.Fatal(err)
		}
		hs.waitFor(t, "tunnel", isConnected)
		hs.wantSaved(t, "alice", "correct horse")

		// The headend goes silent: DPD declares it dead, and the session
		// reconnects once it is back, without asking for the password again.
		hs.h.SetSilent(true)
		hs.waitFor(t, "reconnect", isStage(client.StageReconnecting))
		if _, ok := hs.nc.Applied(); ok {
			t.Fatal("configuration kept while the tunnel is down")
		}
		hs.h.SetSilent(false)
		hs.waitFor(t, "tunnel again", func(e client.Event) bool {
			if isForm(e) {
				t.Fatal("asked for the password again")
			}
			return isConnected(e)
		})
		hs.disconnect(t)
	})
}

// TestBackupServer: when the server does not answer within AuthTimeout,
// the backup is tried.
func TestBackupServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		connectViaBackup(t, 300*time.Millisecond, ikev2.Timers{})
	})
}

// connectViaBackup connects to a server nothing answers at, with the
// in-process headend as its backup, and checks that the tunnel goes to the
// backup. The backup's certificate names vpn.example.com, which is
// checked against the backup's own name, not the server's.
func connectViaBackup(t *testing.T, authTimeout time.Duration, timers ikev2.Timers) {
	t.Helper()
	resolve := map[string][]netip.Addr{
		"primary.example.com": {netip.MustParseAddr("203.0.113.9")},
		"vpn.example.com":     {clienttest.HeadendAddr},
	}
	o := alice
	o.Server, o.Backups, o.AuthTimeout = "primary.example.com", []string{"vpn.example.com"}, authTimeout
	hs := start(t, o, timers, resolve)
	ce := hs.waitFor(t, "tunnel via the backup", isConnected).(client.ConnectedEvent)
	if ce.Settings.Headend.Addr() != clienttest.HeadendAddr {
		t.Fatalf("connected to %v", ce.Settings.Headend)
	}
	hs.disconnect(t)
}

func TestUntrustedHeadendStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := alice
		o.ServerName = "other.example.com"
		hs := start(t, o, ikev2.Timers{}, vpnHost)
		if err := hs.wait(); err == nil || !strings.Contains(err.Error(), "pin-sha256:") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestWrongPassword(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := alice
		o.Password, o.AutoReconnect = "nope", true
		hs := start(t, o, ikev2.Timers{}, vpnHost)
		if err := hs.wait(); !errors.Is(err, ikev2.ErrAuthFailed) || !errors.Is(err, client.ErrAuthFailed) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestCredentialsAskedForStandardEAP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, client.Options{Server: "vpn.example.com", Auth: profile.AuthEAPMSCHAPv2}, ikev2.Timers{}, vpnHost)
		fe := hs.waitFor(t, "login form", isForm).(client.FormEvent)
		if fe.Form.Field("password") == nil || fe.Form.Field("username") == nil {
			t.Fatalf("form %+v", fe.Form)
		}
		if err := hs.s.Answer(client.FormAnswer{"username": "alice"}); err == nil {
			t.Fatal("no password accepted")
		}
		if err := hs.s.Answer(client.FormAnswer{"username": "alice", "password": "correct horse"}); err != nil {
			t.Fatal(err)
		}
		hs.waitFor(t, "tunnel", isConnected)
		hs.disconnect(t)
	})
}

// TestRekeyWhenSequenceNumbersRunOut checks the volume policy: when the
// data plane says an SA's sequence numbers near their end, the session
// rekeys it at its next statistics tick (5 s by default).
func TestRekeyWhenSequenceNumbersRunOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, alice, ikev2.Timers{}, vpnHost)
		hs.waitFor(t, "tunnel", isConnected)
		p := hs.h.Plane()
		old := p.SAs()
		if len(old) != 1 {
			t.Fatalf("CHILD SAs %v", old)
		}
		p.SetUsage(1<<40, true)
		hs.waitFor(t, "rekey", isStage(client.StageRekeying))
		synctest.Wait() // the CREATE_CHILD_SA exchange runs to its end
		if now := p.SAs(); len(now) != 1 || now[0] == old[0] {
			t.Fatalf("the exhausted SA %d was not replaced: %v", old[0], now)
		}
		hs.disconnect(t)
	})
}

// TestStatsEvents: a connected session reports the data plane's counters
// every StatsInterval, 5 s when left zero.
func TestStatsEvents(t *testing.T) {
	for _, tc := range []struct {
		interval, want time.Duration
	}{{0, 5 * time.Second}, {250 * time.Millisecond, 250 * time.Millisecond}} {
		t.Run(tc.want.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				o := alice
				o.StatsInterval = tc.interval
				hs := start(t, o, ikev2.Timers{}, vpnHost)
				hs.waitFor(t, "tunnel", isConnected)
				want := client.Stats{PacketsIn: 3, PacketsOut: 4, BytesIn: 300, BytesOut: 400, Dropped: 1}
				hs.h.Plane().SetStats(want)
				var at []time.Time
				for range 3 {
					se := hs.waitFor(t, "statistics", func(e client.Event) bool { _, ok := e.(client.StatsEvent); return ok }).(client.StatsEvent)
					if se.Stats != want {
						t.Fatalf("StatsEvent %+v, the data plane says %+v", se.Stats, want)
					}
					at = append(at, time.Now())
				}
				for i := 1; i < len(at); i++ {
					if d := at[i].Sub(at[i-1]); d != tc.want {
						t.Errorf("StatsEvents %s apart, want %s", d, tc.want)
					}
				}
				hs.disconnect(t)
			})
		})
	}
}

// TestDisconnectFromSilentHeadend: a headend that stopped answering does
// not hold up a disconnect longer than CloseWait.
func TestDisconnectFromSilentHeadend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, alice, ikev2.Timers{}, vpnHost)
		hs.waitFor(t, "tunnel", isConnected)
		hs.h.SetSilent(true)
		begin := time.Now()
		hs.disconnect(t)
		if d := time.Since(begin); d > client.CloseWait {
			t.Fatalf("disconnect took %s, more than %s", d, client.CloseWait)
		}
		if _, ok := hs.nc.Applied(); ok {
			t.Fatal("configuration left applied")
		}
	})
}

// TestSavedPasswordAfterRefusedStoredPassword: a stored (wrong) password
// in Options is refused by the AnyConnect headend, the form comes again
// with the error, and SavedPassword reports what the user typed then.
func TestSavedPasswordAfterRefusedStoredPassword(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, client.Options{Server: "vpn.example.com", Group: "ASA-IKEV2", Username: "alice", Password: "stale"}, ikev2.Timers{}, vpnHost)
		fe := hs.waitFor(t, "form", isForm).(client.FormEvent)
		if fe.Form.Error == "" {
			t.Fatalf("the form shows no error: %+v", fe.Form)
		}
		if err := hs.s.Answer(client.FormAnswer{"username": "alice", "password": "correct horse"}); err != nil {
			t.Fatal(err)
		}
		hs.waitFor(t, "tunnel", isConnected)
		hs.wantSaved(t, "alice", "correct horse")
		hs.disconnect(t)
	})
}

func TestSavedPasswordStandardEAP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, alice, ikev2.Timers{}, vpnHost)
		hs.waitFor(t, "tunnel", isConnected)
		hs.wantSaved(t, "alice", "correct horse")
		hs.disconnect(t)
	})
}

// TestBackupAfterRetransmissionsGiveUp: with an AuthenticationTimeout
// longer than IKE's own retransmissions, the backup is still tried.
func TestBackupAfterRetransmissionsGiveUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		connectViaBackup(t, time.Hour, ikev2.Timers{Retransmit: 20 * time.Millisecond, RetransmitTries: 2})
	})
}
