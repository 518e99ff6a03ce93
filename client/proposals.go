package client

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// The proposals offered when Options leave them empty (see
// ikev2.DefaultIKEProposals for the rule behind them).
const (
	DefaultIKEProposals = ikev2.DefaultIKEProposals
	DefaultESPProposals = ikev2.DefaultESPProposals
)

// CheckProposals parses IKE and ESP proposal strings (either may be empty)
// and reports why any algorithm in them is weak.
func CheckProposals(ike, esp string) (weak []string, err error) {
	var all []wire.Proposal
	for _, c := range []struct {
		s, flag string
		proto   iana.ProtocolID
	}{{ike, "IKE", iana.ProtoIKE}, {esp, "ESP", iana.ProtoESP}} {
		if c.s == "" {
			continue
		}
		ps, err := ikev2.ParseProposals(c.s, c.proto)
		if err != nil {
			return nil, fmt.Errorf("%s proposals: %w", c.flag, err)
		}
		all = append(all, ps...)
	}
	return ikev2.WeakAlgorithms(all), nil
}

// WeakSuiteWarning is one line saying which negotiated suite of st is weak
// and why, or "" when both are sound. Front ends show it on every
// connection that uses a weak suite.
func WeakSuiteWarning(st Settings) string {
	var parts []string
	for _, c := range []struct {
		name, suite string
		proto       iana.ProtocolID
	}{{"IKE", st.IKESuite, iana.ProtoIKE}, {"ESP", st.ESPSuite, iana.ProtoESP}} {
		if c.suite == "" {
			continue
		}
		ps, err := ikev2.ParseProposals(c.suite, c.proto)
		if err != nil {
			continue
		}
		if w := ikev2.WeakAlgorithms(ps); len(w) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", c.name, c.suite, strings.Join(w, "; ")))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "weak encryption with " + st.Headend.Addr().String() + ": " + strings.Join(parts, ", ") +
		"; offered only because it was named: ask the headend's administrator for a modern policy"
}

// RefusedProposals reports whether err is the headend refusing every
// offered suite (NO_PROPOSAL_CHOSEN), and for which protocol: "IKE" when it
// refused the IKE SA's, "ESP" when it refused the CHILD SA's. vpnc-go
// never retries with weaker suites by itself: that answer is
// unauthenticated, so an attacker could forge it to force a downgrade.
func RefusedProposals(err error) (proto string, ok bool) {
	var pe *ikev2.PeerError
	if !errors.As(err, &pe) || pe.Type != iana.NO_PROPOSAL_CHOSEN {
		return "", false
	}
	if pe.Exchange == iana.IKE_SA_INIT {
		return "IKE", true
	}
	return "ESP", true
}
