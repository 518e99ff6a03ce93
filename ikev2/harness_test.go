package ikev2

import (
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// testPKI is a CA with a headend certificate and a client certificate.
type testPKI struct {
	pool       *x509.CertPool
	server     *Credentials // RSA-2048, as ASAs usually have
	serverEC   *Credentials // ECDSA P-256
	client     *Credentials
	serverName string
}

var (
	pkiOnce sync.Once
	pki     testPKI
)

func getPKI(t testing.TB) testPKI {
	pkiOnce.Do(func() {
		// Valid at every time the tests' fake clocks reach.
		always := func(s certgen.Spec) certgen.Spec {
			s.NotBefore, s.NotAfter = time.Unix(0, 0), time.Unix(1<<33, 0)
			return s
		}
		ca := certgen.Must(certgen.SelfSigned(always(certgen.CA("Test CA"))))
		pki.pool = x509.NewCertPool()
		pki.pool.AddCert(ca.Cert)
		pki.serverName = "vpn.example.com"
		srvSpec := always(certgen.Server(pki.serverName))
		ec := certgen.Must(ca.Issue(srvSpec))
		pki.serverEC = &Credentials{Chain: []*x509.Certificate{ec.Cert, ca.Cert}, Signer: ec.Key}
		srvSpec.RSABits = 2048 // as ASAs usually have
		srv := certgen.Must(ca.Issue(srvSpec))
		pki.server = &Credentials{Chain: []*x509.Certificate{srv.Cert, ca.Cert}, Signer: srv.Key}
		cli := certgen.Must(ca.Issue(always(certgen.Client("alice"))))
		pki.client = &Credentials{Chain: []*x509.Certificate{cli.Cert}, Signer: cli.Key}
	})
	return pki
}

// verifier trusts the test CA for the given purpose and host.
func (p testPKI) verifier(host string, usage x509.ExtKeyUsage) PeerVerifier {
	return func(chain [][]byte) (*x509.Certificate, error) {
		certs := make([]*x509.Certificate, len(chain))
		for i, der := range chain {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, err
			}
			certs[i] = c
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: p.pool, Intermediates: inter, DNSName: host,
			KeyUsages: []x509.ExtKeyUsage{usage}, CurrentTime: time.Unix(1<<32, 0)})
		return certs[0], err
	}
}

// users of the test headend, with the password each method checks.
var testUsers = map[string]string{"alice": "correct horse", "bob": "battery staple"}

type testOptions struct {
	method       string // "mschapv2", "md5", "gtc", "cert"
	user, pass   string
	ike, esp     string // proposal strings; "" = defaults
	serverIKE    string
	serverESP    string
	timers       Timers
	cisco        bool
	forceEncap   bool
	fragSize     int
	clientHost   string // what the client expects in the headend's certificate
	ecdsaHeadend bool   // the headend signs with ECDSA instead of RSA
	quiet        bool   // no debug log (benchmarks)
	group        string // AnyConnect tunnel group asked for
	clientCert   bool   // AnyConnect: the headend asks for a certificate inside EAP
}

// testNet connects an Initiator and a Server through an in-memory network
// with a fake clock. drop, when set, decides per datagram whether it is
// lost.
type testNet struct {
	t      testing.TB
	now    time.Time
	client *Initiator
	server *Server
	cAddr  netip.AddrPort
	sAddr  netip.AddrPort
	queue  []datagram
	drop   func(d datagram) bool
	dup    func(d datagram) bool

	clientEvents []Action
	serverEvents []Action
	sent         [2]int        // datagrams sent by client, server
	serverTime   time.Duration // time spent inside the headend's handlers
}

type datagram struct {
	toServer bool
	from     netip.AddrPort
	encap    bool
	data     []byte
}

func newTestNet(t testing.TB, o testOptions) *testNet {
	t.Helper()
	p := getPKI(t)
	n := &testNet{t: t, now: time.Unix(1_700_000_000, 0),
		cAddr: netip.MustParseAddrPort("192.0.2.2:500"), sAddr: netip.MustParseAddrPort("192.0.2.1:500")}
	parse := func(s string, proto iana.ProtocolID) []wire.Proposal {
		if s == "" {
			return nil
		}
		ps, err := ParseProposals(s, proto)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	next := 10
	srvCfg := ServerConfig{
		Config: Config{IKEProposals: parse(o.serverIKE, iana.ProtoIKE), ESPProposals: parse(o.serverESP, iana.ProtoESP), Timers: o.timers, CiscoVendorIDs: o.cisco,
			ForceEncap: o.forceEncap, FragmentSize: o.fragSize, Log: func(f string, a ...any) { t.Logf("headend: "+f, a...) }},
		Local: n.sAddr,

		Credentials: p.server,

		VerifyClient: p.verifier("", x509.ExtKeyUsageClientAuth),
		AskIdentity:  func(c EAPClient) bool { return !c.AnyConnect },
		EAP: func(c EAPClient) (eap.Authenticator, error) {
			if c.AnyConnect {
				return anyConnectHeadend(t, c, o), nil
			}
			user := c.Identity
			pass, ok := testUsers[user]
			if !ok {
				return nil, fmt.Errorf("unknown user %q", user)
			}
			switch o.method {
			case "md5":
				return &eap.MD5Authenticator{Secret: pass, Rand: rand.Reader}, nil
			case "gtc":
				return &eap.GTCAuthenticator{Prompt: "Password:", Password: pass}, nil
			}
			return &eap.MSCHAPv2Authenticator{Name: "headend", UserName: user, Password: pass, Rand: rand.Reader, Retries: 1}, nil
		},
		Assign: func(ci ClientInfo) (*Lease, error) {
			next++
			return &Lease{Config: &Assignment{
				Address4: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 2, 2, byte(next)}), 24),
				DNS:      []netip.Addr{netip.MustParseAddr("198.51.100.53")},
				Domains:  []string{"corp.example"},
				Include:  []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
				Banner:   "Authorized use only",
			}}, nil
		},
	}
	if o.ecdsaHeadend {
		srvCfg.Credentials = p.serverEC
	}
	if o.quiet {
		srvCfg.Log = nil
	}
	var err error
	if n.server, err = NewServer(srvCfg); err != nil {
		t.Fatal(err)
	}
	host := o.clientHost
	if host == "" {
		host = p.serverName
	}
	cliCfg := InitiatorConfig{
		Config: Config{IKEProposals: parse(o.ike, iana.ProtoIKE), ESPProposals: parse(o.esp, iana.ProtoESP),
			Timers: o.timers, CiscoVendorIDs: o.cisco, FragmentSize: o.fragSize, Log: func(f string, a ...any) { t.Logf("client: "+f, a...) }},
		Local: n.cAddr, Remote: n.sAddr,
		VerifyPeer:  p.verifier(host, x509.ExtKeyUsageServerAuth),
		EAPIdentity: o.user,
	}
	switch o.method {
	case "cert":
		cliCfg.Credentials = p.client
	case "anyconnect":
		peer := &anyconnect.Peer{GroupAccess: o.group, UserName: o.user}
		if o.pass != "" {
			peer.Answers = eap.FormAnswer{"password": o.pass}
		}
		if o.clientCert {
			peer.Certificates = p.client.Chain
			cliCfg.Credentials = p.client
		}
		cliCfg.EAP = peer
	case "md5":
		cliCfg.EAP = &eap.MD5Peer{Secret: o.pass}
	case "gtc":
		cliCfg.EAP = &eap.GTCPeer{UserName: o.user, Password: o.pass}
	default:
		cliCfg.EAP = &eap.MSCHAPv2Peer{UserName: o.user, Password: o.pass, Rand: rand.Reader}
	}
	if o.quiet {
		cliCfg.Log = nil
	}
	if n.client, err = NewInitiator(cliCfg); err != nil {
		t.Fatal(err)
	}
	return n
}

// handle carries out actions of one side.
func (n *testNet) handle(fromServer bool, acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case Send:
			for _, d := range a.Datagrams {
				dg := datagram{toServer: !fromServer, encap: a.Encap, data: d}
				if fromServer {
					n.sent[1]++
					dg.from = n.sAddr
				} else {
					n.sent[0]++
					dg.from = n.cAddr
				}
				if a.Encap {
					dg.from = netip.AddrPortFrom(dg.from.Addr(), 4500)
				}
				if n.drop != nil && n.drop(dg) {
					continue
				}
				n.queue = append(n.queue, dg)
				if n.dup != nil && n.dup(dg) {
					n.queue = append(n.queue, dg)
				}
			}
		default:
			if fromServer {
				n.serverEvents = append(n.serverEvents, a)
			} else {
				n.clientEvents = append(n.clientEvents, a)
			}
		}
	}
}

func (n *testNet) start() { n.handle(false, n.client.Start(n.now)) }

// run delivers datagrams and fires timers until done reports true, or
// nothing is left to do, or the fake clock passes limit.
func (n *testNet) run(limit time.Duration, done func() bool) {
	end := n.now.Add(limit)
	for !done() {
		if len(n.queue) > 0 {
			d := n.queue[0]
			n.queue = n.queue[1:]
			if d.toServer {
				start := time.Now()
				acts := n.server.HandleDatagram(n.now, d.from, d.encap, d.data)
				n.serverTime += time.Since(start)
				n.handle(true, acts)
			} else {
				n.handle(false, n.client.HandleDatagram(n.now, d.from, d.encap, d.data))
			}
			continue
		}
		next := earliestTime(n.client.NextDeadline(), n.server.NextDeadline())
		if next.IsZero() || next.After(end) {
			return
		}
		if next.After(n.now) {
			n.now = next
		}
		n.handle(false, n.client.HandleTimeout(n.now))
		n.handle(true, n.server.HandleTimeout(n.now))
	}
}

func earliestTime(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// established returns the client's Established event, if any.
func (n *testNet) established() *Established {
	return findEvent[Established](n.clientEvents)
}

func (n *testNet) closed(server bool) *Closed {
	if server {
		return findEvent[Closed](n.serverEvents)
	}
	return findEvent[Closed](n.clientEvents)
}

func findEvent[T Action](acts []Action) *T {
	for _, a := range acts {
		if t, ok := a.(T); ok {
			return &t
		}
	}
	return nil
}

func countEvents[T Action](acts []Action) int {
	n := 0
	for _, a := range acts {
		if _, ok := a.(T); ok {
			n++
		}
	}
	return n
}

// installed returns the CHILD SAs currently installed by one side.
func installed(acts []Action) map[uint32]*ChildSA {
	m := map[uint32]*ChildSA{}
	for _, a := range acts {
		switch a := a.(type) {
		case InstallChild:
			m[a.SA.InSPI] = a.SA
		case RemoveChild:
			delete(m, a.SA.InSPI)
		}
	}
	return m
}

// connect runs a connection to completion and fails the test unless it
// is established.
func connect(t *testing.T, o testOptions) *testNet {
	t.Helper()
	n := newTestNet(t, o)
	n.start()
	n.run(time.Minute, func() bool { return n.established() != nil || n.closed(false) != nil })
	if n.established() == nil {
		if c := n.closed(false); c != nil {
			t.Fatalf("not established: %v", c.Err)
		}
		t.Fatal("not established")
	}
	return n
}

// anyConnectHeadend is the test headend's EAP-AnyConnect policy: group
// ASA-IKEV2 with passwords, and with a certificate inside EAP when asked.
func anyConnectHeadend(t testing.TB, c EAPClient, o testOptions) eap.Authenticator {
	p := getPKI(t)
	return &anyconnect.Authenticator{
		Groups:       []anyconnect.TunnelGroup{{Name: "ASA-IKEV2", Aliases: []string{"ASA"}, Password: true, ClientCert: o.clientCert}},
		DefaultGroup: "ASA-IKEV2",
		Rand:         rand.Reader,
		Retries:      2,
		CheckPassword: func(group, user, pass string) error {
			want, ok := testUsers[user]
			switch {
			case !ok:
				return anyconnect.ErrUnknownUser
			case pass != want:
				return anyconnect.ErrWrongPassword
			}
			return nil
		},
		VerifyCert: func(chain []*x509.Certificate, sig []byte) error {
			if _, err := chain[0].Verify(x509.VerifyOptions{Roots: p.pool, CurrentTime: time.Unix(1<<32, 0),
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				return err
			}
			return VerifyAnyConnect(chain[0].PublicKey, c.PRFHash, c.InitiatorOctets(), sig)
		},
	}
}
