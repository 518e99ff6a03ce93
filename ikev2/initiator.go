package ikev2

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// anyConnectIDType is the ID type of the AnyConnect client identity. The
// only implementation proven against an ASA sends 201 (private use), and
// its headend verifies AUTH with that type (the run recorded in
// testdata/vectors/eap-anyconnect fails with 11); 11 (ID_KEY_ID) is the
// standard alternative.
const anyConnectIDType wire.IDType = 201

// anyConnectIdentity is the IDi an AnyConnect client sends.
var anyConnectIdentity = wire.ID{IDType: anyConnectIDType, Data: []byte("*$AnyConnectClient$*")}

// InitiatorConfig configures one connection attempt of the client.
type InitiatorConfig struct {
	Config
	Local, Remote netip.AddrPort // Remote is the headend's IKE port (500)
	// NATTPort is the headend's NAT-T port, 4500 by default.
	NATTPort uint16

	// Identity is IDi; when zero, the AnyConnect client identity (ID type
	// 201, "*$AnyConnectClient$*").
	Identity wire.ID
	// RemoteID, when set, is sent as IDr.
	RemoteID *wire.ID

	// EAP authenticates the client when set; otherwise Credentials sign
	// AUTH (IKE-RSA, IKE-ECDSA).
	EAP         eap.Peer
	EAPIdentity string
	Credentials *Credentials
	// VerifyPeer decides whether to trust the headend's certificates.
	VerifyPeer PeerVerifier
	// CertReq lists SHA-1 hashes of trusted CAs' public keys for CERTREQ.
	CertReq [][20]byte
	// AppVersion is sent as APPLICATION_VERSION in the CP request.
	AppVersion string
}

// Initiator is the client's side of a connection: one IKE SA (and its
// successors after rekeys) with its CHILD SA.
type Initiator struct {
	cfg     InitiatorConfig
	lineage lineage
	sa      *ikeSA

	dh         *ikecrypto.DH
	ni, nr     []byte
	msg1       []byte // our IKE_SA_INIT request as last sent
	msg2       []byte // the responder's IKE_SA_INIT response
	cookie     []byte
	retries    int
	childIn    uint32
	offered    []wire.Proposal // CHILD SA proposals of IKE_AUTH
	eap        *eap.PeerSession
	peerHashes []ikecrypto.HashAlgorithm
	authSent   bool      // the final AUTH after EAP is out
	waiting    bool      // for the user to answer a form
	idr        *wire.IDr // the responder's identity, from its first answer
}

// NewInitiator checks cfg and prepares a connection attempt.
func NewInitiator(cfg InitiatorConfig) (*Initiator, error) {
	if err := cfg.Config.fill(); err != nil {
		return nil, err
	}
	if !cfg.Remote.IsValid() || !cfg.Local.IsValid() {
		return nil, errors.New("ikev2: initiator needs local and remote addresses")
	}
	if cfg.NATTPort == 0 {
		cfg.NATTPort = 4500
	}
	if cfg.Identity.IDType == 0 {
		cfg.Identity = anyConnectIdentity
	}
	if cfg.EAP == nil && cfg.Credentials == nil {
		return nil, errors.New("ikev2: initiator needs an EAP method or certificate credentials")
	}
	i := &Initiator{cfg: cfg}
	return i, nil
}

// Start sends the first IKE_SA_INIT request.
func (i *Initiator) Start(now time.Time) []Action {
	sa := &ikeSA{
		c: &i.cfg.Config, timers: i.cfg.Timers, initiator: true,
		local: i.cfg.Local, remote: i.cfg.Remote, created: now, lastHeard: now,
	}
	i.lineage.addSA(sa, now, true)
	sa.spiI = sa.newIKESPI()
	i.sa = sa
	i.ni = sa.nonce()
	// KEi uses the first group offered (section 1.2); a headend that
	// wants another answers INVALID_KE_PAYLOAD.
	if err := i.newDH(firstGroup(i.cfg.IKEProposals)); err != nil {
		sa.fail(err)
		return i.lineage.flush()
	}
	sa.emit(Progress{Exchange: iana.IKE_SA_INIT, Detail: i.cfg.Remote.String()})
	i.sendInit(now)
	return i.lineage.flush()
}

func (i *Initiator) newDH(group iana.DHGroup) error {
	dh, err := ikecrypto.NewDH(group, i.cfg.Rand)
	i.dh = dh
	return err
}

// sendInit sends (or re-sends, after a COOKIE or INVALID_KE_PAYLOAD) the
// IKE_SA_INIT request, message ID 0.
func (i *Initiator) sendInit(now time.Time) {
	sa := i.sa
	var ps []wire.Payload
	if i.cookie != nil {
		// Section 2.6: the cookie notify comes first.
		ps = append(ps, &wire.Notify{NotifyType: iana.COOKIE, Data: i.cookie})
	}
	ps = append(ps,
		&wire.SA{Proposals: i.cfg.IKEProposals},
		&wire.KE{Group: i.dh.Group(), Data: i.dh.PublicValue()},
		&wire.Nonce{Data: i.ni},
	)
	local := sa.local
	if i.cfg.ForceEncap {
		// A source that cannot be ours: the headend sees a NAT and
		// expects ESP in UDP, the only kind our data plane sends.
		local = netip.AddrPortFrom(local.Addr(), 0)
	}
	ps = append(ps, natNotifies(sa.spiI, 0, local, sa.remote)...)
	ps = append(ps,
		&wire.Notify{NotifyType: iana.IKEV2_FRAGMENTATION_SUPPORTED},
		&wire.Notify{NotifyType: iana.SIGNATURE_HASH_ALGORITHMS, Data: ikecrypto.EncodeSignatureHashes(ikecrypto.DefaultSignatureHashes)},
	)
	anyConnect := i.cfg.EAP != nil && i.cfg.EAP.Type() == anyconnect.MethodType
	ps = append(ps, ciscoVendorIDs(i.cfg.CiscoVendorIDs, anyConnect)...)
	sa.nextID = 0
	sa.pending = nil
	sa.request(now, iana.IKE_SA_INIT, ps, i.onInitReply)
	i.msg1 = sa.pending.datagrams[0]
}

func (i *Initiator) onInitReply(now time.Time, h wire.Header, ps []wire.Payload) {
	sa := i.sa
	if n, ok := wire.FindNotify(ps, iana.COOKIE); ok && i.retries < 3 {
		i.retries++
		i.cookie = n.Data
		i.sendInit(now)
		return
	}
	if n, ok := wire.FindNotify(ps, iana.INVALID_KE_PAYLOAD); ok && i.retries < 3 {
		g, ok := notifyGroup(n)
		if !ok || !offersGroup(i.cfg.IKEProposals, g) {
			sa.fail(fmt.Errorf("%w: the headend wants DH group %d, which we did not offer", ErrProtocol, g))
			return
		}
		i.retries++
		sa.logf("headend asks for DH group %s", g)
		if err := i.newDH(g); err != nil {
			sa.fail(err)
			return
		}
		i.sendInit(now)
		return
	}
	if perr := notifyError(h.Exchange, ps); perr != nil {
		if perr.Type == iana.NO_PROPOSAL_CHOSEN {
			sa.fail(fmt.Errorf("%w (offered IKE %s)", perr, proposalsString(i.cfg.IKEProposals)))
			return
		}
		sa.fail(perr)
		return
	}
	if err := i.initKeys(h, ps); err != nil {
		sa.fail(err)
		return
	}
	i.msg2 = sa.lastReply.raw
	i.sendAuth(now)
}

func offersGroup(ps []wire.Proposal, g iana.DHGroup) bool {
	for _, p := range ps {
		if slices.ContainsFunc(p.Transforms, func(t wire.Transform) bool { return t.Type == iana.TransformDH && iana.DHGroup(t.ID) == g }) {
			return true
		}
	}
	return false
}

func proposalsString(ps []wire.Proposal) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return fmt.Sprint(out)
}

// initKeys checks the IKE_SA_INIT response and derives the IKE SA keys.
func (i *Initiator) initKeys(h wire.Header, ps []wire.Payload) error {
	sa := i.sa
	if h.SPIr == 0 {
		return fmt.Errorf("%w: IKE_SA_INIT response with a zero responder SPI", ErrProtocol)
	}
	saP, ok := wire.Find[*wire.SA](ps)
	if !ok || len(saP.Proposals) != 1 {
		return fmt.Errorf("%w: IKE_SA_INIT response without one chosen proposal", ErrProtocol)
	}
	suite, err := checkChosen(i.cfg.IKEProposals, saP.Proposals[0])
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	ke, ok := wire.Find[*wire.KE](ps)
	if !ok || ke.Group != suite.DH || ke.Group != i.dh.Group() {
		return fmt.Errorf("%w: the responder's KE does not match the chosen group", ErrProtocol)
	}
	n, ok := wire.Find[*wire.Nonce](ps)
	if !ok || len(n.Data) < 16 || len(n.Data) > 256 {
		return fmt.Errorf("%w: missing or bad responder nonce", ErrProtocol)
	}
	gir, err := i.dh.SharedSecret(ke.Data)
	if err != nil {
		return fmt.Errorf("ikev2: responder's key exchange: %w", err)
	}
	sa.spiR, i.nr = h.SPIr, n.Data
	if sa.prf, err = ikecrypto.NewPRF(suite.PRF); err != nil {
		return err
	}
	if err := sa.setKeys(suite, ikecrypto.SKEYSEED(sa.prf, i.ni, i.nr, gir), i.ni, i.nr); err != nil {
		return err
	}
	if n := weakNames(suite); n != "" {
		sa.logf("the headend chose a weak suite: %s", n)
	}
	_, sa.rfcFrag = wire.FindNotify(ps, iana.IKEV2_FRAGMENTATION_SUPPORTED)
	for _, v := range wire.FindAll[*wire.VendorID](ps) {
		switch string(v.Data) {
		case string(vidCiscoFragmentation):
			sa.ciscoFrag = i.cfg.CiscoVendorIDs
		case string(vidCiscoCopyright), string(vidCiscoDeleteReason):
			sa.ciscoPeer = true
		}
	}
	peerBehind, weBehind, present := detectNAT(ps, sa.spiI, sa.spiR, sa.local, sa.remote)
	sa.behindNAT = weBehind
	if (present && (peerBehind || weBehind)) || i.cfg.ForceEncap {
		// Section 2.23: move to port 4500 for everything after
		// IKE_SA_INIT, and send ESP in UDP.
		sa.natt = true
		sa.remote = netip.AddrPortFrom(sa.remote.Addr(), i.cfg.NATTPort)
		sa.logf("NAT detected (us %v, headend %v): moving to UDP %d", weBehind, peerBehind, i.cfg.NATTPort)
	}
	i.peerHashes = peerHashes(ps)
	return nil
}

func weakNames(s Suite) string {
	w := WeakAlgorithms([]wire.Proposal{s.Proposal(1, iana.ProtoIKE, nil)})
	if len(w) == 0 {
		return ""
	}
	return fmt.Sprint(w)
}

// cpRequest lists the configuration attributes we ask for.
func (i *Initiator) cpRequest() *wire.CP {
	attrs := []wire.CPAttrType{
		wire.INTERNAL_IP4_ADDRESS, wire.INTERNAL_IP4_NETMASK, wire.INTERNAL_IP4_DNS, wire.INTERNAL_IP4_NBNS,
		wire.INTERNAL_IP6_ADDRESS, wire.INTERNAL_IP6_DNS, wire.INTERNAL_DNS_DOMAIN,
	}
	if i.cfg.CiscoVendorIDs {
		attrs = append(attrs, wire.UNITY_BANNER, wire.UNITY_DEF_DOMAIN, wire.UNITY_SPLITDNS_NAME, wire.UNITY_SPLIT_INCLUDE, wire.UNITY_LOCAL_LAN)
	}
	cp := &wire.CP{CfgType: wire.CFG_REQUEST}
	for _, a := range attrs {
		cp.Attributes = append(cp.Attributes, wire.CPAttribute{AttrType: a})
	}
	if i.cfg.AppVersion != "" {
		cp.Attributes = append(cp.Attributes, wire.CPAttribute{AttrType: wire.APPLICATION_VERSION, Value: []byte(i.cfg.AppVersion)})
	}
	return cp
}

// initiatorOctets are what our AUTH covers (section 2.15).
func (i *Initiator) initiatorOctets() []byte {
	return ikecrypto.InitiatorSignedOctets(i.msg1, i.nr, i.sa.prf, i.sa.keys.Pi, i.cfg.Identity.Body())
}

func (i *Initiator) responderOctets(idr *wire.IDr) []byte {
	return ikecrypto.ResponderSignedOctets(i.msg2, i.ni, i.sa.prf, i.sa.keys.Pr, idr.Body())
}

// sendAuth sends the first IKE_AUTH request: with EAP it has no AUTH
// payload, which asks the responder for EAP (section 2.16).
func (i *Initiator) sendAuth(now time.Time) {
	sa := i.sa
	sa.emit(Progress{Exchange: iana.IKE_AUTH})
	i.childIn = sa.newSPI()
	i.offered = childProposals(i.cfg.ESPProposals, i.childIn, false)
	ps := []wire.Payload{&wire.IDi{ID: i.cfg.Identity}}
	if i.cfg.Credentials != nil && i.cfg.EAP == nil {
		ps = append(ps, certPayloads(i.cfg.Credentials.Chain)...)
	}
	ps = append(ps, &wire.Notify{NotifyType: iana.INITIAL_CONTACT})
	certReq := &wire.CertReq{Encoding: wire.CertX509Signature}
	for _, h := range i.cfg.CertReq {
		certReq.Data = append(certReq.Data, h[:]...)
	}
	ps = append(ps, certReq)
	if i.cfg.RemoteID != nil {
		ps = append(ps, &wire.IDr{ID: *i.cfg.RemoteID})
	}
	if i.cfg.EAP == nil {
		auth, err := signAuth(i.cfg.Rand, i.cfg.Credentials, sa.prf, i.peerHashes, sa.ciscoPeer, i.initiatorOctets())
		if err != nil {
			sa.fail(fmt.Errorf("ikev2: signing AUTH: %w", err))
			return
		}
		ps = append(ps, auth)
	}
	// Everything of both families; the headend narrows to what it gives.
	all := []wire.TrafficSelector{wire.PrefixTS(netip.MustParsePrefix("0.0.0.0/0")), wire.PrefixTS(netip.MustParsePrefix("::/0"))}
	ps = append(ps, i.cpRequest(),
		&wire.SA{Proposals: i.offered},
		&wire.TSi{TrafficSelectors: wire.TrafficSelectors{Selectors: all}},
		&wire.TSr{TrafficSelectors: wire.TrafficSelectors{Selectors: all}},
	)
	if i.cfg.CiscoVendorIDs {
		// The AnyConnect client's 20 random bytes, in its first IKE_AUTH
		// request only: known from reverse-engineered code and the
		// recorded run.
		v := make([]byte, 20)
		i.cfg.Rand.Read(v)
		ps = append(ps, &wire.VendorID{Data: v})
	}
	if i.cfg.EAP != nil {
		i.eap = &eap.PeerSession{Identity: i.cfg.EAPIdentity, Method: i.cfg.EAP, IKE: eapBinding{i}}
	}
	sa.request(now, iana.IKE_AUTH, ps, i.onAuthReply)
}

// eapBinding is what the IKE SA offers the EAP method above it.
type eapBinding struct{ i *Initiator }

// SignInitiatorOctets signs our AUTH octets for the certificate path inside
// EAP-AnyConnect, with the PRF's hash (signAnyConnect).
func (b eapBinding) SignInitiatorOctets() ([]byte, error) {
	i := b.i
	if i.cfg.Credentials == nil {
		return nil, errors.New("ikev2: the headend asks for a client certificate inside EAP, and none is configured")
	}
	return signAnyConnect(i.cfg.Rand, i.cfg.Credentials.Signer, i.sa.prf.Hash(), i.initiatorOctets())
}

// onAuthReply handles every IKE_AUTH response: the first one
// authenticates the headend by signature (and, with certificate auth,
// completes); the next ones carry EAP; the one after our final AUTH
// completes.
func (i *Initiator) onAuthReply(now time.Time, h wire.Header, ps []wire.Payload) {
	sa := i.sa
	if perr := notifyError(h.Exchange, ps); perr != nil {
		sa.fail(perr)
		return
	}
	if i.authSent {
		if err := i.verifyFinalAuth(ps); err != nil {
			sa.fail(err)
			return
		}
		i.complete(now, ps)
		return
	}
	if i.idr == nil {
		idr, ok := wire.Find[*wire.IDr](ps)
		if !ok {
			sa.fail(fmt.Errorf("%w: the headend's first IKE_AUTH answer has no IDr", ErrProtocol))
			return
		}
		if _, err := verifySignature(i.cfg.VerifyPeer, ps, sa.prf, i.responderOctets(idr)); err != nil {
			sa.fail(err)
			return
		}
		i.idr = idr
	}
	if p, ok := wire.Find[*wire.EAP](ps); ok && i.eap != nil {
		i.handleEAP(now, p)
		return
	}
	if i.eap != nil {
		sa.fail(fmt.Errorf("%w: the headend answered without EAP", ErrProtocol))
		return
	}
	i.complete(now, ps)
}

// verifyFinalAuth checks the responder's AUTH after EAP: a shared-key MIC
// keyed by the MSK, or by SK_pr for methods without one (section 2.16).
func (i *Initiator) verifyFinalAuth(ps []wire.Payload) error {
	auth, ok := wire.Find[*wire.Auth](ps)
	if !ok || auth.Method != wire.AuthSharedKeyMIC {
		return fmt.Errorf("%w: the headend's last IKE_AUTH answer lacks its shared-key AUTH", ErrAuthFailed)
	}
	key := i.eap.MSK()
	if key == nil {
		key = i.sa.keys.Pr
	}
	if !ikecrypto.VerifySharedKeyAuth(i.sa.prf, key, i.responderOctets(i.idr), auth.Data) {
		return fmt.Errorf("%w: the headend's final AUTH does not verify", ErrAuthFailed)
	}
	return nil
}

// handleEAP runs one EAP round.
func (i *Initiator) handleEAP(now time.Time, p *wire.EAP) {
	sa := i.sa
	pkt, err := eap.Decode(p.Data)
	if err != nil {
		sa.fail(fmt.Errorf("%w: %v", ErrProtocol, err))
		return
	}
	resp, err := i.eap.Handle(pkt)
	i.eapResult(now, resp, err)
}

// eapResult sends what the EAP peer answered, or pauses for the user, or
// ends the attempt.
func (i *Initiator) eapResult(now time.Time, resp *eap.Packet, err error) {
	sa := i.sa
	var need *eap.NeedInput
	switch {
	case errors.As(err, &need):
		i.waiting = true
		sa.emit(NeedInput{Form: need.Form})
		return
	case errors.Is(err, eap.ErrAuthFailed):
		sa.fail(fmt.Errorf("%w: %v", ErrAuthFailed, err))
		return
	case err != nil:
		sa.fail(fmt.Errorf("ikev2: EAP: %w", err))
		return
	case resp == nil:
		// EAP-Success: now our AUTH, keyed by the MSK or SK_pi.
		key := i.eap.MSK()
		if key == nil {
			key = sa.keys.Pi
		}
		auth := ikecrypto.SharedKeyAuth(sa.prf, key, i.initiatorOctets())
		i.authSent = true
		sa.request(now, iana.IKE_AUTH, []wire.Payload{&wire.Auth{Method: wire.AuthSharedKeyMIC, Data: auth}}, i.onAuthReply)
		return
	}
	b, err := resp.Encode()
	if err != nil {
		sa.fail(err)
		return
	}
	sa.request(now, iana.IKE_AUTH, []wire.Payload{&wire.EAP{Data: b}}, i.onAuthReply)
}

// complete sets up the CHILD SA from the last IKE_AUTH answer.
func (i *Initiator) complete(now time.Time, ps []wire.Payload) {
	sa := i.sa
	suite, out, err := chosenChild(i.offered, ps)
	if err != nil {
		sa.fail(err)
		return
	}
	tsi, tsr, ok := selectors(ps)
	if !ok {
		sa.fail(fmt.Errorf("%w: IKE_AUTH answer without traffic selectors", ErrProtocol))
		return
	}
	c := &ChildSA{InSPI: i.childIn, OutSPI: out, Suite: suite, TSi: tsi, TSr: tsr, Initiated: true, localIsTSi: true}
	if err := sa.childKeys(c, nil, i.ni, i.nr, true); err != nil {
		sa.fail(err)
		return
	}
	cfg := tunnelConfig(ps, tsr)
	cfg.Headend, cfg.IKESuite, cfg.ESPSuite = sa.remote, sa.suite, suite
	if ac, ok := i.cfg.EAP.(*anyconnect.Peer); ok && ac.Complete() != nil {
		cfg.AnyConnect = ac.Complete()
		if cfg.Banner == "" {
			cfg.Banner = cfg.AnyConnect.Banner
		}
	}
	sa.state = stateEstablished
	if sa.timers.IKERekey > 0 {
		sa.rekeyAt = now.Add(sa.jitter(sa.timers.IKERekey))
	}
	sa.addChild(now, c)
	sa.emit(Established{Config: cfg, Child: c})
}

// Answer gives the user's answers to the form of the last NeedInput. A
// refused answer (a required field missing, say) is returned as an error
// and the form stays pending.
func (i *Initiator) Answer(now time.Time, a eap.FormAnswer) ([]Action, error) {
	if !i.waiting {
		return nil, errors.New("ikev2: no form is waiting for an answer")
	}
	resp, err := i.eap.Answer(a)
	var fe *eap.FormError
	if errors.As(err, &fe) {
		return nil, err
	}
	i.waiting = false
	i.eapResult(now, resp, err)
	return i.lineage.flush(), nil
}

// HandleDatagram processes one datagram from the headend. encap tells that
// it came UDP-encapsulated on the NAT-T port (its non-ESP marker removed).
func (i *Initiator) HandleDatagram(now time.Time, from netip.AddrPort, encap bool, b []byte) []Action {
	if d, ok := decodeDatagram(from, encap, b, i.cfg.Log); ok {
		i.lineage.receive(now, d)
	}
	if cur := i.lineage.current(); cur != nil {
		i.sa = cur
	}
	return i.lineage.flush()
}

// HandleTimeout runs what is due at now.
func (i *Initiator) HandleTimeout(now time.Time) []Action {
	i.lineage.timeout(now)
	return i.lineage.flush()
}

// NextDeadline is when HandleTimeout should run next (zero: nothing due).
func (i *Initiator) NextDeadline() time.Time { return i.lineage.deadline() }

// Close deletes the IKE SA (or abandons the attempt if not yet up).
func (i *Initiator) Close(now time.Time) []Action {
	i.lineage.close(now)
	return i.lineage.flush()
}

// PeerAlive tells the state machine that traffic arrived from the peer
// (authenticated ESP), which postpones the liveness check.
func (i *Initiator) PeerAlive(now time.Time) {
	if sa := i.lineage.current(); sa != nil && now.After(sa.lastHeard) {
		sa.lastHeard = now
	}
}

// CheckLiveness starts a liveness check now (RFC 7296 section 2.4), for
// hints the driver has that the headend may be gone or the path changed:
// a network change, ESP going out while nothing comes back. A check in
// flight is left alone; another request in flight is resent at once and
// becomes the check. The SA ends with ErrPeerDead when the check goes
// unanswered (Timers.DPDRetransmit, DPDTries). Before establishment it
// does nothing.
func (i *Initiator) CheckLiveness(now time.Time, why string) []Action {
	if sa := i.lineage.current(); sa != nil {
		sa.checkLiveness(now, why)
	}
	return i.lineage.flush()
}

// RekeyChild starts a rekey of the CHILD SA now (for tests and for
// policies outside this package such as the ESP sequence number).
func (i *Initiator) RekeyChild(now time.Time) []Action {
	if sa := i.lineage.current(); sa != nil && sa.state.up() && len(i.lineage.children) > 0 {
		for _, c := range i.lineage.children {
			if !c.replaced && !c.rekeying {
				c.rekeyAt = now
			}
		}
		sa.timeout(now)
	}
	return i.lineage.flush()
}

// RekeyIKE starts a rekey of the IKE SA now.
func (i *Initiator) RekeyIKE(now time.Time) []Action {
	if sa := i.lineage.current(); sa != nil && sa.state.up() {
		sa.rekeyAt = now
		sa.timeout(now)
	}
	return i.lineage.flush()
}
