package ikev2

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

func (sess *clientSession) initiatorOctets() []byte {
	return ikecrypto.InitiatorSignedOctets(sess.msg1, sess.nr, sess.sa.prf, sess.sa.keys.Pi, sess.idi.Body())
}

func (sess *clientSession) responderOctets() []byte {
	cfg := &sess.srv.cfg
	return ikecrypto.ResponderSignedOctets(sess.msg2, sess.ni, sess.sa.prf, sess.sa.keys.Pr, cfg.Identity.Body())
}

func (sess *clientSession) eapClient(identity string) EAPClient {
	return EAPClient{Remote: sess.sa.remote, ID: sess.idi, Identity: identity, AnyConnect: sess.acVID,
		InitiatorOctets: sess.initiatorOctets, PRFHash: sess.sa.prf.Hash()}
}

func authFailed() []wire.Payload {
	return []wire.Payload{&wire.Notify{NotifyType: iana.AUTHENTICATION_FAILED}}
}

// handleAuth answers IKE_AUTH requests (RFC 7296 sections 1.2 and 2.16).
// A failure answers AUTHENTICATION_FAILED and ends the SA once sent.
func (sess *clientSession) handleAuth(now time.Time, h wire.Header, ps []wire.Payload) ([]wire.Payload, error) {
	sa, cfg := sess.sa, &sess.srv.cfg
	if h.Exchange != iana.IKE_AUTH {
		return []wire.Payload{&wire.Notify{NotifyType: iana.INVALID_SYNTAX}}, nil
	}
	out, err := sess.auth1(now, ps)
	if err != nil {
		cfg.Log("IKE_AUTH from %s: %v", sa.remote, err)
		return out, fmt.Errorf("%w: %v", ErrAuthFailed, err)
	}
	return out, nil
}

func (sess *clientSession) auth1(now time.Time, ps []wire.Payload) ([]wire.Payload, error) {
	sa, cfg := sess.sa, &sess.srv.cfg
	switch {
	case sess.inEAP && !sess.eapOK:
		return sess.eapRound(ps)
	case sess.eapOK:
		// The client's AUTH after EAP-Success.
		auth, ok := wire.Find[*wire.Auth](ps)
		if !ok || auth.Method != wire.AuthSharedKeyMIC {
			return authFailed(), errors.New("no shared-key AUTH after EAP")
		}
		key := sess.auth.MSK()
		if key == nil {
			key = sa.keys.Pi
		}
		if !ikecrypto.VerifySharedKeyAuth(sa.prf, key, sess.initiatorOctets(), auth.Data) {
			return authFailed(), errors.New("the client's AUTH after EAP does not verify")
		}
		key = sess.auth.MSK()
		if key == nil {
			key = sa.keys.Pr
		}
		out := []wire.Payload{&wire.Auth{Method: wire.AuthSharedKeyMIC, Data: ikecrypto.SharedKeyAuth(sa.prf, key, sess.responderOctets())}}
		return sess.finish(now, out)
	}

	// The first IKE_AUTH request.
	idi, ok := wire.Find[*wire.IDi](ps)
	saP, ok2 := wire.Find[*wire.SA](ps)
	tsi, tsr, ok3 := selectors(ps)
	if !ok || !ok2 || !ok3 {
		return []wire.Payload{&wire.Notify{NotifyType: iana.INVALID_SYNTAX}}, errors.New("IKE_AUTH without IDi, SA or traffic selectors")
	}
	sess.idi, sess.offered, sess.tsi, sess.tsr = idi.ID, saP, tsi, tsr
	ourAuth, err := signAuth(cfg.Rand, cfg.Credentials, sa.prf, sess.hashes, sa.ciscoPeer, sess.responderOctets())
	if err != nil {
		return authFailed(), err
	}
	out := []wire.Payload{&wire.IDr{ID: cfg.Identity}}
	out = append(out, certPayloads(cfg.Credentials.Chain)...)
	out = append(out, ourAuth)

	if _, hasAuth := wire.Find[*wire.Auth](ps); hasAuth {
		// Certificate authentication of the client (IKE-RSA/ECDSA).
		leaf, err := verifySignature(cfg.VerifyClient, ps, sa.prf, sess.initiatorOctets())
		if err != nil {
			return authFailed(), err
		}
		sess.user = leaf.Subject.String()
		return sess.finish(now, out)
	}
	if cfg.EAP == nil {
		return authFailed(), errors.New("the client asks for EAP, which is not configured")
	}
	var first *eap.Packet
	if cfg.AskIdentity != nil && cfg.AskIdentity(sess.eapClient("")) {
		sess.eapID = 1
		first = eap.NewIdentityRequest(sess.eapID, "")
	} else {
		if sess.auth, err = cfg.EAP(sess.eapClient("")); err != nil {
			return authFailed(), err
		}
		sess.eapID = 1
		if first, err = sess.auth.Start(sess.eapID); err != nil {
			return authFailed(), err
		}
	}
	sess.inEAP = true
	return append(out, eapPayload(first)), nil
}

func eapPayload(p *eap.Packet) *wire.EAP {
	b, _ := p.Encode()
	return &wire.EAP{Data: b}
}

// eapRound processes one EAP Response.
func (sess *clientSession) eapRound(ps []wire.Payload) ([]wire.Payload, error) {
	cfg := &sess.srv.cfg
	e, ok := wire.Find[*wire.EAP](ps)
	if !ok {
		return authFailed(), errors.New("IKE_AUTH during EAP without an EAP payload")
	}
	resp, err := eap.Decode(e.Data)
	if err != nil {
		return authFailed(), err
	}
	sess.eapID++
	if sess.auth == nil {
		// The answer to our EAP-Identity request.
		identity, err := eap.IdentityOf(resp)
		if err != nil {
			return authFailed(), err
		}
		sess.user = identity
		if sess.auth, err = cfg.EAP(sess.eapClient(identity)); err != nil {
			return []wire.Payload{eapPayload(eap.NewFailure(resp.Identifier))}, err
		}
		first, err := sess.auth.Start(sess.eapID)
		if err != nil {
			return authFailed(), err
		}
		return []wire.Payload{eapPayload(first)}, nil
	}
	next, err := sess.auth.Next(resp, sess.eapID)
	switch {
	case err != nil:
		// RFC 7296 section 2.16: an EAP-Failure ends the exchange. RFC
		// 3748 section 4.2: Success and Failure carry the Identifier of
		// the Response they answer.
		return []wire.Payload{eapPayload(eap.NewFailure(resp.Identifier))}, fmt.Errorf("EAP: %w", err)
	case next != nil:
		return []wire.Payload{eapPayload(next)}, nil
	}
	sess.eapOK = true
	if u, ok := sess.auth.(interface{ User() string }); ok && u.User() != "" {
		sess.user = u.User()
	}
	// EAP-Success reuses the Identifier of the Response it answers (RFC
	// 3748 section 4.2; the recorded exchange shows the same).
	return []wire.Payload{eapPayload(eap.NewSuccess(resp.Identifier))}, nil
}

// finish assigns the client its lease and sets up the CHILD SA, appending
// CP, SA and traffic selectors to out.
func (sess *clientSession) finish(now time.Time, out []wire.Payload) ([]wire.Payload, error) {
	sa, cfg := sess.sa, &sess.srv.cfg
	local := childProposals(cfg.ESPProposals, 0, false)
	chosen, err := selectProposal(sess.offered.Proposals, local)
	if err != nil || len(chosen.SPI) != 4 {
		return []wire.Payload{&wire.Notify{NotifyType: iana.NO_PROPOSAL_CHOSEN}}, fmt.Errorf("CHILD SA: %v", errNoProposalChosen)
	}
	suite, _ := suiteOf(chosen)
	info := ClientInfo{Remote: sa.remote, ID: sess.idi, User: sess.user}
	if g, ok := sess.auth.(interface{ Group() string }); ok {
		info.Group = g.Group()
	}
	lease, err := cfg.Assign(info)
	if err != nil {
		return []wire.Payload{&wire.Notify{NotifyType: iana.INTERNAL_ADDRESS_FAILURE}}, err
	}
	sess.lease = lease
	lc := lease.Config
	c := &ChildSA{InSPI: sa.newSPI(), OutSPI: spiValue(chosen.SPI), Suite: suite}
	// TSi narrows to the client's addresses, TSr to the networks it may
	// reach, each within what the client proposed (section 2.9).
	var addrs []netip.Prefix
	if lc.Address4.IsValid() {
		addrs = append(addrs, netip.PrefixFrom(lc.Address4.Addr(), 32))
	}
	if lc.Address6.IsValid() {
		addrs = append(addrs, netip.PrefixFrom(lc.Address6.Addr(), 128))
	}
	c.TSi, c.TSr = narrow(addrs, sess.tsi), narrow(lc.Include, sess.tsr)
	if len(c.TSi) == 0 || len(c.TSr) == 0 {
		return []wire.Payload{&wire.Notify{NotifyType: iana.TS_UNACCEPTABLE}}, errors.New("the lease gives no address or no networks")
	}
	if err := sa.childKeys(c, nil, sess.ni, sess.nr, false); err != nil {
		return authFailed(), err
	}
	chosen.SPI = spiBytes(c.InSPI)
	out = append(out, cpReply(lc),
		&wire.SA{Proposals: []wire.Proposal{chosen}},
		&wire.TSi{TrafficSelectors: wire.TrafficSelectors{Selectors: c.TSi}},
		&wire.TSr{TrafficSelectors: wire.TrafficSelectors{Selectors: c.TSr}})
	sa.state = stateEstablished
	delete(sess.srv.halfOpen, sess.key)
	if sa.timers.IKERekey > 0 {
		sa.rekeyAt = now.Add(sa.jitter(sa.timers.IKERekey))
	}
	sa.addChild(now, c)
	cfgCopy := *lc
	cfgCopy.Headend, cfgCopy.IKESuite, cfgCopy.ESPSuite = sa.remote, sa.suite, suite
	sa.emit(Established{Config: &cfgCopy, Child: c, User: sess.user})
	return out, nil
}

func spiValue(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// cpReply builds the CFG_REPLY of a lease.
func cpReply(c *Assignment) *wire.CP {
	cp := &wire.CP{CfgType: wire.CFG_REPLY}
	if c.Address4.IsValid() {
		cp.Attributes = append(cp.Attributes, wire.AddrAttr(wire.INTERNAL_IP4_ADDRESS, c.Address4.Addr()))
		mask := netip.PrefixFrom(netip.IPv4Unspecified(), c.Address4.Bits())
		cp.Attributes = append(cp.Attributes, wire.CPAttribute{AttrType: wire.INTERNAL_IP4_NETMASK, Value: maskBytes(mask)})
	}
	if c.Address6.IsValid() {
		cp.Attributes = append(cp.Attributes, wire.AddrPrefixAttr(wire.INTERNAL_IP6_ADDRESS, c.Address6))
	}
	for _, d := range c.DNS {
		t := wire.INTERNAL_IP4_DNS
		if d.Is6() {
			t = wire.INTERNAL_IP6_DNS
		}
		cp.Attributes = append(cp.Attributes, wire.AddrAttr(t, d))
	}
	for _, d := range c.Domains {
		cp.Attributes = append(cp.Attributes, wire.CPAttribute{AttrType: wire.INTERNAL_DNS_DOMAIN, Value: []byte(d)})
	}
	for _, p := range c.Include {
		if p.Bits() == 0 {
			continue // a full tunnel is said by TSr alone
		}
		t := wire.INTERNAL_IP4_SUBNET
		if p.Addr().Is6() {
			t = wire.INTERNAL_IP6_SUBNET
		}
		cp.Attributes = append(cp.Attributes, wire.PrefixAttr(t, p))
	}
	if c.Banner != "" {
		cp.Attributes = append(cp.Attributes, wire.CPAttribute{AttrType: wire.UNITY_BANNER, Value: []byte(c.Banner)})
	}
	return cp
}

func maskBytes(p netip.Prefix) []byte {
	m := make([]byte, 4)
	for i := 0; i < p.Bits(); i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// narrow returns the part of ours (networks, all ports and protocols)
// inside the peer's proposed selectors: each of our networks that a
// proposed range covers whole, and each proposed range that lies inside
// one of our networks.
func narrow(ours []netip.Prefix, proposed []wire.TrafficSelector) []wire.TrafficSelector {
	var out []wire.TrafficSelector
	add := func(p netip.Prefix) {
		ts := wire.PrefixTS(p)
		for _, o := range out {
			if o.Start == ts.Start && o.End == ts.End {
				return
			}
		}
		out = append(out, ts)
	}
	for _, p := range ours {
		p = p.Masked()
		for _, ts := range proposed {
			for _, q := range ts.Prefixes() {
				switch {
				case q.Addr().BitLen() != p.Addr().BitLen():
				case q.Bits() <= p.Bits() && q.Contains(p.Addr()):
					add(p)
				case p.Bits() < q.Bits() && p.Contains(q.Addr()):
					add(q)
				}
			}
		}
	}
	return out
}
