package client

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/profile"
)

// headend is an in-process ikev2.Server reached through fakePlane: what
// the client "sends" the headend handles at once, and its answers come
// back through OnIKE. Addresses listed in dead get no answer.
type headend struct {
	mu       sync.Mutex
	srv      *ikev2.Server
	dead     map[netip.Addr]bool
	silent   bool // drop everything (the headend vanished)
	onIKE    func(netip.AddrPort, bool, []byte)
	installs int
}

type fakePlane struct {
	h         *headend
	mu        sync.Mutex
	sas       map[uint32]*ikev2.ChildSA
	closed    bool
	bytes     uint64 // what Usage reports
	exhausted bool
}

var clientAddr = netip.MustParseAddrPort("192.0.2.2:40000")

func (f *fakePlane) LocalAddr(netip.AddrPort) (netip.AddrPort, error) { return clientAddr, nil }
func (f *fakePlane) Device() (string, int)                            { return "vpnc0", 1400 }
func (f *fakePlane) Stats() Stats                                     { return Stats{} }
func (f *fakePlane) Close() error                                     { f.closed = true; return nil }
func (f *fakePlane) Usage(spi uint32) (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bytes, f.exhausted && f.sas[spi] != nil
}
func (f *fakePlane) Install(c *ikev2.ChildSA, _ []netip.Prefix) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sas[c.InSPI] = c
	return nil
}
func (f *fakePlane) Remove(c *ikev2.ChildSA) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sas, c.InSPI)
}

func (f *fakePlane) SendIKE(to netip.AddrPort, encap bool, msgs [][]byte) error {
	h := f.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dead[to.Addr()] || h.silent {
		return nil
	}
	from := clientAddr
	for _, m := range msgs {
		h.deliver(h.srv.HandleDatagram(time.Now(), from, encap, m))
	}
	return nil
}

// deliver passes the headend's datagrams to the client (with the lock held).
func (h *headend) deliver(acts []ikev2.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case ikev2.Send:
			for _, d := range a.Datagrams {
				from := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), 500)
				if a.Encap {
					from = netip.AddrPortFrom(from.Addr(), 4500)
				}
				if !h.silent {
					h.onIKE(from, a.Encap, d)
				}
			}
		case ikev2.InstallChild:
			h.installs++
		}
	}
}

// tick runs the headend's timers until ctx ends.
func (h *headend) tick(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.mu.Lock()
			h.deliver(h.srv.HandleTimeout(time.Now()))
			h.mu.Unlock()
		}
	}
}

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

// newHeadend makes an in-process headend speaking EAP-MSCHAPv2 to user
// alice and EAP-AnyConnect to AnyConnect clients.
func newHeadend(t *testing.T, pki testPKI, timers ikev2.Timers) *headend {
	t.Helper()
	addr := netip.MustParseAddr("10.2.2.10")
	srv, err := ikev2.NewServer(ikev2.ServerConfig{
		Config:      ikev2.Config{Timers: timers},
		Local:       netip.MustParseAddrPort("192.0.2.1:500"),
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
	})
	if err != nil {
		t.Fatal(err)
	}
	return &headend{srv: srv, dead: map[netip.Addr]bool{}}
}

type harness struct {
	s      *Session
	h      *headend
	nc     *netcfg.Fake
	fp     *fakePlane
	err    chan error
	events []Event
}

func start(t *testing.T, o Options, timers ikev2.Timers, resolve map[string][]netip.Addr) *harness {
	t.Helper()
	pki := newPKI(t, "vpn.example.com")
	h := newHeadend(t, pki, timers)
	o.CAFile = filepath.Join(pki.dir, "ca.pem")
	o.Timers = timers
	o.Log = t.Logf
	hs := &harness{h: h, nc: &netcfg.Fake{}, err: make(chan error, 1)}
	hs.fp = &fakePlane{h: h, sas: map[uint32]*ikev2.ChildSA{}}
	deps := Deps{
		NetConfig: hs.nc,
		NewDataPlane: func(c DataPlaneConfig) (DataPlane, error) {
			h.onIKE = c.OnIKE
			return hs.fp, nil
		},
		Resolve: func(host string) ([]netip.Addr, error) {
			if a, ok := resolve[host]; ok {
				return a, nil
			}
			return nil, errors.New("no such host")
		},
	}
	s, err := New(o, deps)
	if err != nil {
		t.Fatal(err)
	}
	hs.s = s
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go h.tick(ctx)
	go func() { hs.err <- s.Run(ctx) }()
	return hs
}

// waitFor reads events until one satisfies f (and returns it).
func (hs *harness) waitFor(t *testing.T, what string, f func(Event) bool) Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
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

func isConnected(e Event) bool { _, ok := e.(ConnectedEvent); return ok }

var vpnHost = map[string][]netip.Addr{"vpn.example.com": {netip.MustParseAddr("192.0.2.1")}}

func TestConnectAndDisconnect(t *testing.T) {
	hs := start(t, Options{Server: "vpn.example.com", Auth: profile.AuthEAPMSCHAPv2, Username: "alice", Password: "correct horse"},
		ikev2.Timers{}, vpnHost)
	ce := hs.waitFor(t, "tunnel", isConnected).(ConnectedEvent)
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
		if s, ok := e.(StageEvent); ok {
			stages = append(stages, s.Stage.String())
		}
	}
	if got := strings.Join(stages, ","); !strings.Contains(got, "resolving,IKE_SA_INIT,authenticating") || !strings.HasSuffix(got, "configuring,tunnel up") {
		t.Fatalf("stages %s", got)
	}
	hs.s.Disconnect()
	if err := <-hs.err; err != nil {
		t.Fatalf("Run: %v", err)
	}
	last := hs.waitFor(t, "disconnected", func(e Event) bool { _, ok := e.(DisconnectedEvent); return ok })
	if last.(DisconnectedEvent).Err != nil {
		t.Fatal(last)
	}
	if _, ok := hs.nc.Applied(); ok {
		t.Fatal("network configuration left applied")
	}
	if len(hs.fp.sas) != 0 {
		t.Fatal("CHILD SAs left in the data plane")
	}
}

func TestAnyConnectFormAndReconnect(t *testing.T) {
	timers := ikev2.Timers{DPD: 300 * time.Millisecond, Retransmit: 100 * time.Millisecond, RetransmitTries: 3}
	hs := start(t, Options{Server: "vpn.example.com", Group: "ASA-IKEV2", AutoReconnect: true}, timers, vpnHost)
	fe := hs.waitFor(t, "form", func(e Event) bool { _, ok := e.(FormEvent); return ok }).(FormEvent)
	if len(fe.Form.Fields) < 2 {
		t.Fatalf("form %+v", fe.Form)
	}
	if err := hs.s.Answer(FormAnswer{"username": "alice"}); err == nil {
		t.Fatal("an answer without the password was accepted")
	}
	if u, p := hs.s.SavedPassword(); u != "" || p != "" {
		t.Fatalf("saved before the login: %q %q", u, p)
	}
	if err := hs.s.Answer(FormAnswer{"username": "alice", "password": "correct horse"}); err != nil {
		t.Fatal(err)
	}
	hs.waitFor(t, "tunnel", isConnected)
	if u, p := hs.s.SavedPassword(); u != "alice" || p != "correct horse" {
		t.Fatalf("SavedPassword: %q %q", u, p)
	}

	// The headend goes silent: DPD declares it dead, and the session
	// reconnects once it is back, without asking for the password again.
	hs.h.mu.Lock()
	hs.h.silent = true
	hs.h.mu.Unlock()
	hs.waitFor(t, "reconnect", func(e Event) bool { s, ok := e.(StageEvent); return ok && s.Stage == StageReconnecting })
	if _, ok := hs.nc.Applied(); ok {
		t.Fatal("configuration kept while the tunnel is down")
	}
	hs.h.mu.Lock()
	hs.h.silent = false
	hs.h.mu.Unlock()
	hs.waitFor(t, "tunnel again", func(e Event) bool {
		if _, ok := e.(FormEvent); ok {
			t.Fatal("asked for the password again")
		}
		return isConnected(e)
	})
	hs.s.Disconnect()
	if err := <-hs.err; err != nil {
		t.Fatal(err)
	}
}

func TestBackupServer(t *testing.T) {
	resolve := map[string][]netip.Addr{
		"primary.example.com": {netip.MustParseAddr("203.0.113.9")},
		"vpn.example.com":     {netip.MustParseAddr("192.0.2.1")},
	}
	o := Options{Server: "primary.example.com", Backups: []string{"vpn.example.com"},
		Auth: profile.AuthEAPMSCHAPv2, Username: "alice", Password: "correct horse", AuthTimeout: 300 * time.Millisecond}
	hs := start(t, o, ikev2.Timers{}, resolve)
	hs.h.mu.Lock()
	hs.h.dead[netip.MustParseAddr("203.0.113.9")] = true
	hs.h.mu.Unlock()
	ce := hs.waitFor(t, "tunnel via the backup", isConnected).(ConnectedEvent)
	if ce.Settings.Headend.Addr().String() != "192.0.2.1" {
		t.Fatalf("connected to %v", ce.Settings.Headend)
	}
	hs.s.Disconnect()
	<-hs.err
}

func TestUntrustedHeadendStops(t *testing.T) {
	hs := start(t, Options{Server: "vpn.example.com", ServerName: "other.example.com", Auth: profile.AuthEAPMSCHAPv2,
		Username: "alice", Password: "correct horse"}, ikev2.Timers{}, vpnHost)
	err := <-hs.err
	if err == nil || !strings.Contains(err.Error(), "pin-sha256:") {
		t.Fatalf("got %v", err)
	}
}

func TestWrongPassword(t *testing.T) {
	hs := start(t, Options{Server: "vpn.example.com", Auth: profile.AuthEAPMSCHAPv2, Username: "alice", Password: "nope", AutoReconnect: true},
		ikev2.Timers{}, vpnHost)
	if err := <-hs.err; !errors.Is(err, ikev2.ErrAuthFailed) || !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("got %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	if _, err := New(Options{}, Deps{}); err == nil {
		t.Fatal("no server accepted")
	}
	if _, err := New(Options{Server: "x", Auth: profile.AuthIKERSA}, Deps{}); err == nil {
		t.Fatal("IKE-RSA without a certificate accepted")
	}
	for in, want := range map[string]string{"vpn.example.com": "vpn.example.com:500", "vpn:4500": "vpn:4500", "2001:db8::1": "2001:db8::1:500", "[2001:db8::1]:600": "2001:db8::1:600"} {
		h, p, err := splitHostPort(in)
		if err != nil || h+":"+itoa(p) != want {
			t.Errorf("%s: %s %d %v", in, h, p, err)
		}
	}
}

func itoa(p uint16) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtUint(p)) }

func fmtUint(p uint16) string {
	return strings.TrimLeft(string([]byte{byte('0' + p/10000%10), byte('0' + p/1000%10), byte('0' + p/100%10), byte('0' + p/10%10), byte('0' + p%10)}), "0")
}

func TestCredentialsAskedForStandardEAP(t *testing.T) {
	hs := start(t, Options{Server: "vpn.example.com", Auth: profile.AuthEAPMSCHAPv2}, ikev2.Timers{}, vpnHost)
	fe := hs.waitFor(t, "login form", func(e Event) bool { _, ok := e.(FormEvent); return ok }).(FormEvent)
	if fe.Form.Field("password") == nil || fe.Form.Field("username") == nil {
		t.Fatalf("form %+v", fe.Form)
	}
	if err := hs.s.Answer(FormAnswer{"username": "alice"}); err == nil {
		t.Fatal("no password accepted")
	}
	if err := hs.s.Answer(FormAnswer{"username": "alice", "password": "correct horse"}); err != nil {
		t.Fatal(err)
	}
	hs.waitFor(t, "tunnel", isConnected)
	hs.s.Disconnect()
	<-hs.err
}

// TestRekeyWhenSequenceNumbersRunOut checks the volume policy: when the
// data plane says an SA's sequence numbers near their end, the session
// rekeys it (stats are checked every 5 s).
func TestRekeyWhenSequenceNumbersRunOut(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 5 s statistics tick")
	}
	hs := start(t, Options{Server: "vpn.example.com", Auth: profile.AuthEAPMSCHAPv2, Username: "alice", Password: "correct horse"},
		ikev2.Timers{}, vpnHost)
	hs.waitFor(t, "tunnel", isConnected)
	hs.fp.mu.Lock()
	hs.fp.exhausted = true
	var old uint32
	for spi := range hs.fp.sas {
		old = spi
	}
	hs.fp.mu.Unlock()
	hs.waitFor(t, "rekey", func(e Event) bool { s, ok := e.(StageEvent); return ok && s.Stage == StageRekeying })
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		hs.fp.mu.Lock()
		_, oldThere := hs.fp.sas[old]
		n := len(hs.fp.sas)
		hs.fp.mu.Unlock()
		if !oldThere && n == 1 {
			hs.s.Disconnect()
			<-hs.err
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the exhausted SA was not replaced")
}

// TestDisconnectFromSilentHeadend: a headend that stopped answering does
// not hold up a disconnect longer than closeWait.
func TestDisconnectFromSilentHeadend(t *testing.T) {
	hs := start(t, Options{Server: "vpn.example.com", Auth: profile.AuthEAPMSCHAPv2, Username: "alice", Password: "correct horse"},
		ikev2.Timers{}, vpnHost)
	hs.waitFor(t, "tunnel", isConnected)
	hs.h.mu.Lock()
	hs.h.silent = true
	hs.h.mu.Unlock()
	start := time.Now()
	hs.s.Disconnect()
	if err := <-hs.err; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > closeWait+3*time.Second {
		t.Fatalf("disconnect took %s", d)
	}
	if _, ok := hs.nc.Applied(); ok {
		t.Fatal("configuration left applied")
	}
}

// TestSavedPasswordAfterRefusedStoredPassword: a stored (wrong) password
// in Options is refused by the AnyConnect headend, the form comes again
// with the error, and SavedPassword reports what the user typed then.
func TestSavedPasswordAfterRefusedStoredPassword(t *testing.T) {
	hs := start(t, Options{Server: "vpn.example.com", Group: "ASA-IKEV2", Username: "alice", Password: "stale"}, ikev2.Timers{}, vpnHost)
	fe := hs.waitFor(t, "form", func(e Event) bool { _, ok := e.(FormEvent); return ok }).(FormEvent)
	if fe.Form.Error == "" {
		t.Fatalf("the form shows no error: %+v", fe.Form)
	}
	if err := hs.s.Answer(FormAnswer{"username": "alice", "password": "correct horse"}); err != nil {
		t.Fatal(err)
	}
	hs.waitFor(t, "tunnel", isConnected)
	if u, p := hs.s.SavedPassword(); u != "alice" || p != "correct horse" {
		t.Fatalf("SavedPassword: %q %q", u, p)
	}
	hs.disconnect(t)
}

func TestSavedPasswordStandardEAP(t *testing.T) {
	hs := start(t, Options{Server: "vpn.example.com", Auth: profile.AuthEAPMSCHAPv2, Username: "alice", Password: "correct horse"},
		ikev2.Timers{}, vpnHost)
	hs.waitFor(t, "tunnel", isConnected)
	if u, p := hs.s.SavedPassword(); u != "alice" || p != "correct horse" {
		t.Fatalf("SavedPassword: %q %q", u, p)
	}
	hs.disconnect(t)
}

// disconnect ends the session and waits for Run.
func (hs *harness) disconnect(t *testing.T) {
	t.Helper()
	go func() {
		for range hs.s.Events() {
		}
	}()
	hs.s.Disconnect()
	if err := <-hs.err; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestBackupAfterRetransmissionsGiveUp: with an AuthenticationTimeout
// longer than IKE's own retransmissions, the backup is still tried.
func TestBackupAfterRetransmissionsGiveUp(t *testing.T) {
	resolve := map[string][]netip.Addr{
		"primary.example.com": {netip.MustParseAddr("203.0.113.9")},
		"vpn.example.com":     {netip.MustParseAddr("192.0.2.1")},
	}
	o := Options{Server: "primary.example.com", Backups: []string{"vpn.example.com"},
		Auth: profile.AuthEAPMSCHAPv2, Username: "alice", Password: "correct horse", AuthTimeout: time.Hour}
	hs := start(t, o, ikev2.Timers{Retransmit: 20 * time.Millisecond, RetransmitTries: 2}, resolve)
	hs.h.mu.Lock()
	hs.h.dead[netip.MustParseAddr("203.0.113.9")] = true
	hs.h.mu.Unlock()
	// The backup's certificate names vpn.example.com, which is checked
	// against the backup's own name, not the primary's.
	ce := hs.waitFor(t, "tunnel via the backup", isConnected).(ConnectedEvent)
	if ce.Settings.Headend.Addr().String() != "192.0.2.1" {
		t.Fatalf("connected to %v", ce.Settings.Headend)
	}
	hs.disconnect(t)
}

func TestFormEventsCarryNoPasswords(t *testing.T) {
	f := &eap.Form{Fields: []eap.Field{{Name: "username", Kind: eap.FieldText, Value: "alice"},
		{Name: "password", Kind: eap.FieldPassword, Value: "s3cret"}}}
	got := formOf(f)
	if got.Fields[1].Value != "" || got.Fields[0].Value != "alice" || f.Fields[1].Value != "s3cret" ||
		got.Fields[1].Kind != FieldPassword || got.Fields[0].Kind != FieldText {
		t.Fatalf("got %+v, original %+v", got.Fields, f.Fields)
	}
}

// TestNoIKEv2Silent: when neither the headend nor its backup answers
// IKE_SA_INIT, Run ends with a *NoIKEv2Error naming both addresses and
// matching ErrNoAnswer, even with AutoReconnect (the tunnel was never up).
func TestNoIKEv2Silent(t *testing.T) {
	resolve := map[string][]netip.Addr{
		"primary.example.com": {netip.MustParseAddr("203.0.113.9")},
		"vpn.example.com":     {netip.MustParseAddr("192.0.2.1")},
	}
	o := Options{Server: "primary.example.com", Backups: []string{"vpn.example.com"}, AutoReconnect: true,
		AuthTimeout: 200 * time.Millisecond}
	hs := start(t, o, ikev2.Timers{}, resolve)
	hs.h.mu.Lock()
	hs.h.silent = true
	hs.h.mu.Unlock()
	err := <-hs.err
	var ne *NoIKEv2Error
	if !errors.As(err, &ne) || !errors.Is(err, ErrNoAnswer) || ne.Refusal != nil {
		t.Fatalf("got %v", err)
	}
	if len(ne.Tried) != 2 || ne.Tried[0].String() != "203.0.113.9:500" || ne.Tried[1].String() != "192.0.2.1:500" ||
		!strings.Contains(err.Error(), "203.0.113.9:500, 192.0.2.1:500 (UDP) within 200ms") {
		t.Fatalf("error %q, tried %v", err, ne.Tried)
	}
}

// TestNoIKEv2Refused: a headend that answers IKE_SA_INIT with an error
// notification (here NO_PROPOSAL_CHOSEN for a suite it does not take)
// gives a *NoIKEv2Error carrying the refusal, which is not ErrNoAnswer.
func TestNoIKEv2Refused(t *testing.T) {
	hs := start(t, Options{Server: "vpn.example.com", IKEProposals: "aes128-sha1-modp1024"}, ikev2.Timers{}, vpnHost)
	err := <-hs.err
	var ne *NoIKEv2Error
	if !errors.As(err, &ne) || errors.Is(err, ErrNoAnswer) || ne.Refusal == nil ||
		!strings.Contains(err.Error(), "192.0.2.1:500 refused IKEv2") || !strings.Contains(err.Error(), "NO_PROPOSAL_CHOSEN") {
		t.Fatalf("got %v", err)
	}
}
