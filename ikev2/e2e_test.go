package ikev2

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// checkChildPair verifies that both sides installed matching CHILD SAs:
// what one sends with, the other receives on, with the same keys.
func checkChildPair(t *testing.T, n *testNet) {
	t.Helper()
	cli, srv := installed(n.clientEvents), installed(n.serverEvents)
	if len(cli) != 1 || len(srv) != 1 {
		t.Fatalf("installed CHILD SAs: client %d, headend %d", len(cli), len(srv))
	}
	for _, c := range cli {
		s := srv[c.OutSPI]
		if s == nil || s.OutSPI != c.InSPI {
			t.Fatalf("SPIs do not pair: client %v, headend %v", c, srv)
		}
		// Each side's SA carries the other side's networks, whoever
		// rekeyed: the headend's inside network, the client's address.
		if got := fmt.Sprint(c.PeerPrefixes()); got != "[198.51.100.0/24]" {
			t.Fatalf("the client's SA carries %s", got)
		}
		if got := s.PeerPrefixes(); len(got) != 1 || got[0].Bits() != 32 {
			t.Fatalf("the headend's SA carries %v", got)
		}
		if string(c.Out.Encr) != string(s.In.Encr) || string(c.In.Encr) != string(s.Out.Encr) ||
			string(c.Out.Integ) != string(s.In.Integ) || string(c.In.Integ) != string(s.Out.Integ) {
			t.Fatal("CHILD SA keys differ between the sides")
		}
	}
}

func TestConnectEveryMethod(t *testing.T) {
	for _, o := range []testOptions{
		{method: "mschapv2", user: "alice", pass: "correct horse"},
		{method: "md5", user: "bob", pass: "battery staple"},
		{method: "gtc", user: "alice", pass: "correct horse"},
		{method: "cert"},
		{method: "mschapv2", user: "alice", pass: "correct horse", ike: "aes192-sha1-modp1024", esp: "aes256-sha1", serverIKE: "aes192-sha1-modp1024"},
		{method: "mschapv2", user: "alice", pass: "correct horse", ike: "aes256-sha256-curve25519", serverIKE: "aes256-sha256-curve25519", cisco: true},
	} {
		t.Run(o.method+"/"+o.ike, func(t *testing.T) {
			n := connect(t, o)
			e := n.established()
			cfg := e.Config
			if cfg.Address4.Addr().String() != "10.2.2.11" || cfg.Address4.Bits() != 24 {
				t.Errorf("address %v", cfg.Address4)
			}
			if len(cfg.DNS) != 1 || cfg.DNS[0].String() != "198.51.100.53" || len(cfg.Domains) != 1 || cfg.Domains[0] != "corp.example" {
				t.Errorf("DNS %v domains %v", cfg.DNS, cfg.Domains)
			}
			if len(cfg.Include) != 1 || cfg.Include[0] != netip.MustParsePrefix("198.51.100.0/24") {
				t.Errorf("include %v", cfg.Include)
			}
			if cfg.Banner != "Authorized use only" {
				t.Errorf("banner %q", cfg.Banner)
			}
			if s := findEvent[Established](n.serverEvents); s == nil || (o.method != "cert" && s.User != o.user) {
				t.Errorf("headend's view: %+v", s)
			}
			checkChildPair(t, n)
		})
	}
}

func TestWrongPassword(t *testing.T) {
	for _, m := range []string{"mschapv2", "md5", "gtc"} {
		n := newTestNet(t, testOptions{method: m, user: "alice", pass: "wrong"})
		n.start()
		n.run(time.Minute, func() bool { return n.closed(false) != nil })
		c := n.closed(false)
		if c == nil || !errors.Is(c.Err, ErrAuthFailed) {
			t.Fatalf("%s: got %v", m, c)
		}
		if n.established() != nil || countEvents[InstallChild](n.clientEvents) != 0 {
			t.Fatalf("%s: established with a wrong password", m)
		}
	}
}

func TestUntrustedHeadend(t *testing.T) {
	n := newTestNet(t, testOptions{method: "mschapv2", user: "alice", pass: "correct horse", clientHost: "other.example.com"})
	n.start()
	n.run(time.Minute, func() bool { return n.closed(false) != nil })
	if c := n.closed(false); c == nil || c.Err == nil || n.established() != nil {
		t.Fatalf("connected to a headend whose certificate names another host: %v", c)
	}
}

func TestNoCommonProposal(t *testing.T) {
	n := newTestNet(t, testOptions{method: "mschapv2", user: "alice", pass: "x", ike: "aes256gcm16-prfsha384-ecp384", serverIKE: "aes192-sha1-modp1024"})
	n.start()
	n.run(time.Minute, func() bool { return n.closed(false) != nil })
	var pe *PeerError
	if c := n.closed(false); c == nil || !errors.As(c.Err, &pe) || pe.Type.String() != "NO_PROPOSAL_CHOSEN" {
		t.Fatalf("got %v", c)
	}
	if n.server.Sessions() != 0 {
		t.Fatal("the headend kept state for a rejected IKE_SA_INIT")
	}
}

func TestInvalidKERetry(t *testing.T) {
	// The client's first group is ecp384; the headend insists on modp2048.
	n := connect(t, testOptions{method: "mschapv2", user: "alice", pass: "correct horse",
		ike: "aes256-sha256-ecp384-modp2048", serverIKE: "aes256-sha256-modp2048"})
	if n.established().Config.IKESuite.DH != 14 {
		t.Fatalf("suite %s", n.established().Config.IKESuite)
	}
}

func TestClose(t *testing.T) {
	n := connect(t, testOptions{method: "mschapv2", user: "alice", pass: "correct horse"})
	n.handle(false, n.client.Close(n.now))
	n.run(time.Minute, func() bool { return n.closed(false) != nil && n.closed(true) != nil })
	if c := n.closed(false); c == nil || c.Err != nil {
		t.Fatalf("client close: %v", c)
	}
	if c := n.closed(true); c == nil || !errors.Is(c.Err, ErrClosedByPeer) {
		t.Fatalf("headend: %v", c)
	}
	if len(installed(n.clientEvents)) != 0 || len(installed(n.serverEvents)) != 0 {
		t.Fatal("CHILD SAs left installed")
	}
	if n.server.Sessions() != 0 {
		t.Fatal("headend kept the session")
	}
}

func TestAnyConnect(t *testing.T) {
	t.Run("password", func(t *testing.T) {
		n := connect(t, testOptions{method: "anyconnect", user: "alice", pass: "correct horse", group: "ASA-IKEV2", cisco: true})
		if ac := n.established().Config.AnyConnect; ac == nil || ac.SessionToken == "" {
			t.Fatalf("no AnyConnect session: %+v", ac)
		}
		checkChildPair(t, n)
	})
	t.Run("certificate inside EAP", func(t *testing.T) {
		n := connect(t, testOptions{method: "anyconnect", user: "alice", pass: "correct horse", group: "ASA", clientCert: true, cisco: true})
		checkChildPair(t, n)
	})
	t.Run("form answered by the user", func(t *testing.T) {
		n := newTestNet(t, testOptions{method: "anyconnect", group: "ASA-IKEV2", cisco: true})
		n.start()
		n.run(time.Minute, func() bool { return findEvent[NeedInput](n.clientEvents) != nil })
		need := findEvent[NeedInput](n.clientEvents)
		if need == nil {
			t.Fatal("no form asked")
		}
		names := map[string]bool{}
		for _, f := range need.Form.Fields {
			names[f.Name] = true
		}
		if !names["username"] || !names["password"] {
			t.Fatalf("form fields %v", names)
		}
		// An incomplete answer is refused and the form stays.
		if _, err := n.client.Answer(n.now, eap.FormAnswer{"username": "alice"}); err == nil {
			t.Fatal("answer without a password accepted")
		}
		n.answerAndConnect(t, eap.FormAnswer{"username": "alice", "password": "correct horse"})
	})
	t.Run("wrong password then right", func(t *testing.T) {
		n := newTestNet(t, testOptions{method: "anyconnect", user: "alice", pass: "wrong", group: "ASA-IKEV2"})
		n.start()
		n.run(time.Minute, func() bool { return findEvent[NeedInput](n.clientEvents) != nil || n.closed(false) != nil })
		need := findEvent[NeedInput](n.clientEvents)
		if need == nil || need.Form.Error == "" {
			t.Fatalf("no retry form with an error: %+v %v", need, n.closed(false))
		}
		n.answerAndConnect(t, eap.FormAnswer{"username": "alice", "password": "correct horse"})
	})
	t.Run("wrong password to the end", func(t *testing.T) {
		n := newTestNet(t, testOptions{method: "anyconnect", user: "mallory", pass: "guess", group: "ASA-IKEV2"})
		n.start()
		for i := 0; i < 5 && n.closed(false) == nil; i++ {
			n.run(time.Minute, func() bool { return findEvent[NeedInput](n.clientEvents) != nil || n.closed(false) != nil })
			if findEvent[NeedInput](n.clientEvents) != nil {
				n.clientEvents = nil
				acts, _ := n.client.Answer(n.now, eap.FormAnswer{"username": "mallory", "password": "guess"})
				n.handle(false, acts)
			}
		}
		if c := n.closed(false); c == nil || !errors.Is(c.Err, ErrAuthFailed) {
			t.Fatalf("got %v", c)
		}
	})
}

// TestMSCHAPv2Retry: a wrong password gets a Failure that allows a retry
// (RFC 2759 section 6, R=1); the client asks the user and tries again
// within the same exchange.
func TestMSCHAPv2Retry(t *testing.T) {
	n := newTestNet(t, testOptions{method: "mschapv2", user: "alice", pass: "wrong"})
	n.client.cfg.EAP.(*eap.MSCHAPv2Peer).AskRetry = true
	n.start()
	n.run(time.Minute, func() bool { return findEvent[NeedInput](n.clientEvents) != nil || n.closed(false) != nil })
	need := findEvent[NeedInput](n.clientEvents)
	if need == nil || need.Form.Field("password") == nil || !strings.Contains(need.Form.Error, "691") {
		t.Fatalf("no retry form: %+v %v", need, n.closed(false))
	}
	n.answerAndConnect(t, eap.FormAnswer{"password": "correct horse"})
	checkChildPair(t, n)
}

// answerAndConnect answers the pending form and runs until the tunnel is up.
func (n *testNet) answerAndConnect(t *testing.T, a eap.FormAnswer) {
	t.Helper()
	acts, err := n.client.Answer(n.now, a)
	if err != nil {
		t.Fatal(err)
	}
	n.handle(false, acts)
	n.run(time.Minute, func() bool { return n.established() != nil || n.closed(false) != nil })
	if n.established() == nil {
		t.Fatalf("not established after answering: %v", n.closed(false))
	}
}
