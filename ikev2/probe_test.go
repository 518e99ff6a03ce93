package ikev2

import (
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// probeServer runs one probe against an in-memory headend with policy
// serverIKE and returns the result and how many requests it sent.
func probeServer(t *testing.T, serverIKE, offer string) (ProbeResult, int) {
	t.Helper()
	n := newTestNet(t, testOptions{method: "mschapv2", serverIKE: serverIKE, quiet: true})
	p, err := NewProbe(ProbeConfig{Local: n.cAddr, Remote: n.sAddr, Proposals: mustParse(t, offer, iana.ProtoIKE), AnyConnect: true})
	if err != nil {
		t.Fatal(err)
	}
	for sent := 1; sent <= maxProbeResends+1; sent++ {
		var answers [][]byte
		for _, a := range n.server.HandleDatagram(n.now, n.cAddr, false, p.Request()) {
			if s, ok := a.(Send); ok {
				answers = append(answers, s.Datagrams...)
			}
		}
		if len(answers) != 1 {
			t.Fatalf("headend answered with %d datagrams", len(answers))
		}
		step, err := p.Handle(answers[0])
		switch step {
		case ProbeDone:
			return p.Result(), sent
		case ProbeWait:
			t.Fatalf("answer ignored: %v", err)
		}
	}
	t.Fatal("probe did not finish")
	return ProbeResult{}, 0
}

func TestProbe(t *testing.T) {
	for _, c := range []struct {
		name, server, offer string
		want                string // the chosen suite, or the refusal
		sends               int
	}{
		{"default GCM, group 19", "aes256gcm16-prfsha256-ecp256", ProbeFamilies[0].Proposals, "aes256gcm16-prfsha256-ecp256", 1},
		{"default CBC, group 14 after INVALID_KE", "aes128-sha256-modp2048", ProbeFamilies[1].Proposals, "aes128-sha256-prfsha256-modp2048", 2},
		{"seed legacy refuses the defaults", "aes192-sha1-modp1024", ProbeFamilies[1].Proposals, "NO_PROPOSAL_CHOSEN", 1},
		{"seed legacy, weak DH family", "aes192-sha1-modp1024", ProbeFamilies[3].Proposals, "aes192-sha1-prfsha1-modp1024", 2},
		{"3DES", "3des-sha1-modp1024", ProbeFamilies[4].Proposals, "3des-sha1-prfsha1-modp1024", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, sends := probeServer(t, c.server, c.offer)
			got := r.Suite.String()
			if r.Refused != 0 {
				got = r.Refused.String()
			}
			if got != c.want || sends != c.sends || len(r.AskedGroups) != c.sends-1 {
				t.Fatalf("got %s after %d requests (asked groups %v), want %s after %d", got, sends, r.AskedGroups, c.want, c.sends)
			}
		})
	}
}

func TestProbeCookie(t *testing.T) {
	n := newTestNet(t, testOptions{method: "mschapv2", quiet: true})
	n.server.cfg.CookieThreshold = 0 // every IKE_SA_INIT must carry a cookie
	p, err := NewProbe(ProbeConfig{Local: n.cAddr, Remote: n.sAddr, Proposals: mustParse(t, DefaultIKEProposals, iana.ProtoIKE)})
	if err != nil {
		t.Fatal(err)
	}
	first := p.Request()
	var steps []ProbeStep
	for range 2 {
		for _, a := range n.server.HandleDatagram(n.now, n.cAddr, false, p.Request()) {
			if s, ok := a.(Send); ok {
				step, err := p.Handle(s.Datagrams[0])
				if err != nil {
					t.Fatal(err)
				}
				steps = append(steps, step)
			}
		}
	}
	r := p.Result()
	if len(steps) != 2 || steps[0] != ProbeSend || steps[1] != ProbeDone || !r.Cookie || r.Refused != 0 || string(first) == string(p.Request()) {
		t.Fatalf("steps %v, result %+v", steps, r)
	}
	if r.Suite.String() != "aes256gcm16-prfsha512-ecp256" {
		t.Fatalf("suite %s", r.Suite)
	}
}

func TestProbeIgnoresOtherDatagrams(t *testing.T) {
	n := newTestNet(t, testOptions{method: "mschapv2", quiet: true})
	p, err := NewProbe(ProbeConfig{Local: n.cAddr, Remote: n.sAddr, Proposals: mustParse(t, DefaultIKEProposals, iana.ProtoIKE)})
	if err != nil {
		t.Fatal(err)
	}
	other := &wire.Message{Header: wire.Header{SPIi: 42, Version: wire.Version2, Exchange: iana.IKE_SA_INIT, Flags: wire.FlagResponse},
		Payloads: []wire.Payload{&wire.Notify{NotifyType: iana.NO_PROPOSAL_CHOSEN}}}
	b, _ := other.Encode()
	for _, d := range [][]byte{b, {1, 2, 3}, p.Request()} {
		if step, err := p.Handle(d); step != ProbeWait || err == nil {
			t.Fatalf("%x: step %v, err %v", d, step, err)
		}
	}
}

func TestProposalValue(t *testing.T) {
	for s, want := range map[string]string{
		"aes192-sha1-prfsha1-modp1024":   "aes192-sha1-modp1024",
		"aes256-sha256-prfsha512-ecp256": "aes256-sha256-prfsha512-ecp256",
		"aes256gcm16-prfsha256-ecp256":   "aes256gcm16-prfsha256-ecp256",
		"3des-sha1-prfsha1-modp1024":     "3des-sha1-modp1024",
	} {
		suite, err := suiteOf(mustParse(t, s, iana.ProtoIKE)[0])
		if err != nil {
			t.Fatal(err)
		}
		v := ProposalValue(suite)
		if v != want {
			t.Errorf("%s: %s, want %s", s, v, want)
		}
		if back, err := suiteOf(mustParse(t, v, iana.ProtoIKE)[0]); err != nil || back != suite {
			t.Errorf("%s does not parse back to %s: %v %v", v, s, back, err)
		}
	}
}
