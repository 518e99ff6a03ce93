package ikev2

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// Lease is what the headend gives one authenticated client.
type Lease struct {
	Config *Assignment // address, DNS, domains, split networks, banner
	// Release returns the address to the pool when the client goes.
	Release func()
}

// ClientInfo describes an authenticated client to the lease policy.
type ClientInfo struct {
	Remote netip.AddrPort
	ID     wire.ID
	User   string // EAP identity or certificate subject
	Group  string // tunnel group, when the EAP method chose one
}

// EAPClient describes a client that asks for EAP, to the policy that picks
// its method.
type EAPClient struct {
	Remote   netip.AddrPort
	ID       wire.ID
	Identity string // the EAP-Identity answer, "" when not asked
	// AnyConnect tells that the client announced EAP-AnyConnect with the
	// CISCO-ANYCONNECT-EAP vendor ID.
	AnyConnect bool
	// InitiatorOctets returns what the client's signatures cover (RFC 7296
	// section 2.15), for EAP-AnyConnect's certificate path; PRFHash is the
	// negotiated PRF's hash, which that signature uses.
	InitiatorOctets func() []byte
	PRFHash         crypto.Hash
}

// ServerConfig configures the headend side.
type ServerConfig struct {
	Config
	Local netip.AddrPort

	// Identity is IDr; Credentials sign our AUTH.
	Identity    wire.ID
	Credentials *Credentials
	// VerifyClient checks client certificates (IKE-RSA, IKE-ECDSA).
	VerifyClient PeerVerifier
	// EAP gives the EAP method for a client that asks for EAP (its first
	// IKE_AUTH has no AUTH). AskIdentity says whether to ask the client's
	// EAP identity first (EAP-AnyConnect has no such round).
	EAP         func(EAPClient) (eap.Authenticator, error)
	AskIdentity func(EAPClient) bool
	// Assign leases an address and settings to an authenticated client.
	Assign func(ClientInfo) (*Lease, error)

	// CookieThreshold is the number of half-open SAs above which
	// IKE_SA_INIT must carry a cookie (RFC 7296 section 2.6); MaxHalfOpen
	// caps them. Defaults 64 and 1024.
	CookieThreshold int
	MaxHalfOpen     int
	// NoFragmentation turns IKE fragmentation off: no
	// IKEV2_FRAGMENTATION_SUPPORTED notify, no Cisco FRAGMENTATION vendor
	// ID, and so neither RFC 7383 nor Cisco fragments are sent.
	NoFragmentation bool
}

// Server is the headend: it owns every client's IKE SAs, routes datagrams
// to them by SPI, and answers new IKE_SA_INIT requests statelessly until it
// commits to a client.
type Server struct {
	cfg      ServerConfig
	bySPI    map[uint64]*clientSession // our SPI (SPIr of SAs we answered, SPIi of rekeys we made)
	halfOpen map[halfOpenKey]*clientSession
	sessions map[*clientSession]bool
	secret   [32]byte
	out      []Action
	// invalidSPI rate-limits INVALID_IKE_SPI answers: when the last went.
	invalidSPI time.Time
}

type halfOpenKey struct {
	spiI uint64
	from netip.AddrPort
}

// clientSession is one client of the headend.
type clientSession struct {
	srv     *Server
	lineage lineage
	sa      *ikeSA
	key     halfOpenKey
	msg1    []byte
	msg2    []byte
	ni, nr  []byte
	idi     wire.ID
	hashes  []ikecrypto.HashAlgorithm
	acVID   bool // the client sent CISCO-ANYCONNECT-EAP
	auth    eap.Authenticator
	eapID   uint8
	inEAP   bool // an EAP conversation is running
	eapOK   bool
	user    string
	offered *wire.SA
	tsi     []wire.TrafficSelector
	tsr     []wire.TrafficSelector
	lease   *Lease
}

// NewServer checks cfg and makes a headend.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := cfg.Config.fill(); err != nil {
		return nil, err
	}
	if cfg.Credentials == nil || len(cfg.Credentials.Chain) == 0 {
		return nil, errors.New("ikev2: the headend needs a certificate and key")
	}
	if cfg.Assign == nil {
		return nil, errors.New("ikev2: the headend needs an address policy")
	}
	if cfg.Identity.IDType == 0 {
		cfg.Identity = wire.ID{IDType: wire.ID_DER_ASN1_DN, Data: cfg.Credentials.Leaf().RawSubject}
	}
	if cfg.CookieThreshold == 0 {
		cfg.CookieThreshold = 64
	}
	if cfg.MaxHalfOpen == 0 {
		cfg.MaxHalfOpen = 1024
	}
	s := &Server{cfg: cfg, bySPI: map[uint64]*clientSession{}, halfOpen: map[halfOpenKey]*clientSession{}, sessions: map[*clientSession]bool{}}
	if _, err := cfg.Rand.Read(s.secret[:]); err != nil {
		return nil, err
	}
	return s, nil
}

// flush collects the actions of the sessions given, or of every session
// when none is, and forgets the sessions that ended.
func (s *Server) flush(touched ...*clientSession) []Action {
	if len(touched) == 0 {
		for sess := range s.sessions {
			touched = append(touched, sess)
		}
	}
	for _, sess := range touched {
		s.out = append(s.out, sess.lineage.flush()...)
		if sess.lineage.done {
			s.forget(sess)
		}
	}
	out := s.out
	s.out = nil
	return out
}

func (s *Server) forget(sess *clientSession) {
	delete(s.sessions, sess)
	delete(s.halfOpen, sess.key)
	for spi, x := range s.bySPI {
		if x == sess {
			delete(s.bySPI, spi)
		}
	}
	if sess.lease != nil && sess.lease.Release != nil {
		sess.lease.Release()
		sess.lease = nil
	}
}

// Sessions returns the number of clients with state, half-open included.
func (s *Server) Sessions() int { return len(s.sessions) }

// HandleDatagram processes one datagram from a client. encap tells that it
// came UDP-encapsulated on the NAT-T port (its non-ESP marker removed):
// the answers then go back that way (RFC 3948).
func (s *Server) HandleDatagram(now time.Time, from netip.AddrPort, encap bool, b []byte) []Action {
	d, ok := decodeDatagram(from, encap, b, s.cfg.Log)
	if !ok {
		return nil
	}
	h := &d.msg.Header
	if h.Exchange == iana.IKE_SA_INIT && !h.IsResponse() && h.SPIr == 0 {
		sess := s.handleInit(now, d)
		if sess == nil {
			return s.flush(&clientSession{}) // only stateless answers
		}
		return s.flush(sess)
	}
	// Our SPI is SPIr of the SAs clients set up, SPIi of those we made by
	// rekeying.
	sess := s.bySPI[h.SPIr]
	if sess == nil {
		sess = s.bySPI[h.SPIi]
	}
	if sess == nil {
		s.unknownSPI(now, d)
		return s.flush(&clientSession{})
	}
	sess.lineage.receive(now, d)
	if cur := sess.lineage.current(); cur != nil {
		sess.sa = cur
	}
	return s.flush(sess)
}

// invalidSPIInterval is the least time between two INVALID_IKE_SPI
// answers (section 2.21.4 asks for a rate limit).
const invalidSPIInterval = 100 * time.Millisecond

// unknownSPI answers a request for an IKE SA we do not know, which a
// client sends after we restarted, with INVALID_IKE_SPI, so that it checks
// at once whether we are still there (RFC 7296 section 2.21.4: MAY answer,
// unprotected, with the SPIs and message ID of the request; never answer
// a response).
func (s *Server) unknownSPI(now time.Time, d received) {
	h := d.msg.Header
	if h.IsResponse() || (!s.invalidSPI.IsZero() && now.Sub(s.invalidSPI) < invalidSPIInterval) {
		return
	}
	s.invalidSPI = now
	resp := &wire.Message{Header: wire.Header{SPIi: h.SPIi, SPIr: h.SPIr, Version: wire.Version2, Exchange: iana.INFORMATIONAL,
		Flags: wire.FlagResponse, MessageID: h.MessageID}, Payloads: []wire.Payload{&wire.Notify{NotifyType: iana.INVALID_IKE_SPI}}}
	if b, err := resp.Encode(); err == nil {
		s.out = append(s.out, Send{To: d.from, Encap: d.encap, Datagrams: [][]byte{b}})
	}
}

// HandleTimeout runs what is due for every client.
func (s *Server) HandleTimeout(now time.Time) []Action {
	for sess := range s.sessions {
		if d := sess.lineage.deadline(); !d.IsZero() && !now.Before(d) {
			sess.lineage.timeout(now)
		}
	}
	return s.flush()
}

// NextDeadline is the earliest deadline over all clients.
func (s *Server) NextDeadline() time.Time {
	var d time.Time
	for sess := range s.sessions {
		if t := sess.lineage.deadline(); !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	return d
}

// Close deletes every client's IKE SA.
func (s *Server) Close(now time.Time) []Action {
	for sess := range s.sessions {
		sess.lineage.close(now)
	}
	return s.flush()
}

// cookie computes the stateless cookie of section 2.6:
// version | HMAC(secret, Ni | IPi | SPIi).
func (s *Server) cookie(ni []byte, from netip.AddrPort, spiI uint64) []byte {
	m := hmac.New(sha256.New, s.secret[:])
	m.Write(ni)
	m.Write(from.Addr().AsSlice())
	m.Write(fmt.Appendf(nil, "%016x", spiI))
	return append([]byte{1}, m.Sum(nil)[:16]...)
}

// reject answers an IKE_SA_INIT without keeping state (section 2.6, 1.3).
func (s *Server) reject(from netip.AddrPort, h wire.Header, n *wire.Notify) {
	resp := &wire.Message{Header: wire.Header{SPIi: h.SPIi, Version: wire.Version2, Exchange: iana.IKE_SA_INIT,
		Flags: wire.FlagResponse}, Payloads: []wire.Payload{n}}
	if b, err := resp.Encode(); err == nil {
		s.out = append(s.out, Send{To: from, Datagrams: [][]byte{b}})
	}
}

func (s *Server) halfOpenCount() int {
	n := 0
	for sess := range s.sessions {
		if sess.sa.state == stateHalfOpen {
			n++
		}
	}
	return n
}

// handleInit answers an IKE_SA_INIT request; it returns the session it
// created or found, nil when it answered statelessly or dropped it.
func (s *Server) handleInit(now time.Time, d received) *clientSession {
	m, from, h := d.msg, d.from, d.msg.Header
	key := halfOpenKey{h.SPIi, from}
	if sess := s.halfOpen[key]; sess != nil {
		// A retransmission: the session answers from its cache.
		sess.lineage.receive(now, d)
		return sess
	}
	nonce, ok := wire.Find[*wire.Nonce](m.Payloads)
	if !ok || len(nonce.Data) < 16 || len(nonce.Data) > 256 {
		s.reject(from, h, &wire.Notify{NotifyType: iana.INVALID_SYNTAX})
		return nil
	}
	halfOpen := s.halfOpenCount()
	if halfOpen >= s.cfg.MaxHalfOpen {
		s.cfg.Log("IKE_SA_INIT from %s dropped: %d half-open SAs", from, halfOpen)
		return nil
	}
	if halfOpen >= s.cfg.CookieThreshold {
		want := s.cookie(nonce.Data, from, h.SPIi)
		if n, ok := wire.FindNotify(m.Payloads, iana.COOKIE); !ok || !hmac.Equal(n.Data, want) {
			s.reject(from, h, &wire.Notify{NotifyType: iana.COOKIE, Data: want})
			return nil
		}
	}
	saP, ok := wire.Find[*wire.SA](m.Payloads)
	if !ok {
		s.reject(from, h, &wire.Notify{NotifyType: iana.INVALID_SYNTAX})
		return nil
	}
	chosen, err := selectProposal(saP.Proposals, s.cfg.IKEProposals)
	if err != nil {
		s.reject(from, h, &wire.Notify{NotifyType: iana.NO_PROPOSAL_CHOSEN})
		return nil
	}
	suite, _ := suiteOf(chosen)
	ke, ok := wire.Find[*wire.KE](m.Payloads)
	if !ok || ke.Group != suite.DH {
		s.reject(from, h, invalidKE(suite.DH))
		return nil
	}

	sess := &clientSession{srv: s, key: key, msg1: d.raw, ni: nonce.Data}
	sess.lineage.onSA = func(sa *ikeSA) {
		if sa.initiator {
			s.bySPI[sa.spiI] = sess
		} else {
			s.bySPI[sa.spiR] = sess
		}
	}
	sa := &ikeSA{c: &s.cfg.Config, timers: s.cfg.Timers, spiI: h.SPIi, local: s.cfg.Local, remote: from,
		created: now, lastHeard: now, follow: true}
	sa.lineage = &sess.lineage
	sa.spiR = sa.newIKESPI()
	sa.handleSetup = sess.handleAuth
	sess.lineage.addSA(sa, now, true)
	sess.sa = sa
	s.sessions[sess] = true
	s.halfOpen[key] = sess
	if err := sess.answerInit(now, m, chosen, suite, ke); err != nil {
		s.cfg.Log("IKE_SA_INIT from %s: %v", from, err)
		sa.fail(err)
	}
	return sess
}

// answerInit completes the key exchange and sends the IKE_SA_INIT answer.
func (sess *clientSession) answerInit(now time.Time, m *wire.Message, chosen wire.Proposal, suite Suite, ke *wire.KE) error {
	sa, cfg := sess.sa, &sess.srv.cfg
	dh, err := ikecrypto.NewDH(suite.DH, cfg.Rand)
	if err != nil {
		return err
	}
	gir, err := dh.SharedSecret(ke.Data)
	if err != nil {
		sess.srv.reject(sa.remote, m.Header, &wire.Notify{NotifyType: iana.INVALID_SYNTAX})
		return err
	}
	sess.nr = sa.nonce()
	if sa.prf, err = ikecrypto.NewPRF(suite.PRF); err != nil {
		return err
	}
	if err := sa.setKeys(suite, ikecrypto.SKEYSEED(sa.prf, sess.ni, sess.nr, gir), sess.ni, sess.nr); err != nil {
		return err
	}
	_, clientFrag := wire.FindNotify(m.Payloads, iana.IKEV2_FRAGMENTATION_SUPPORTED)
	// RFC 7383 section 2.3: fragmentation is used only when both sides
	// announce it; with it off we announce neither kind.
	clientFrag = clientFrag && !cfg.NoFragmentation
	sa.rfcFrag = clientFrag
	for _, v := range wire.FindAll[*wire.VendorID](m.Payloads) {
		switch string(v.Data) {
		case string(vidCiscoFragmentation):
			sa.ciscoFrag = cfg.CiscoVendorIDs && !cfg.NoFragmentation
		case string(vidCiscoCopyright), string(vidCiscoDeleteReason):
			sa.ciscoPeer = true
		case string(vidCiscoEAP):
			sess.acVID = true
		}
	}
	if sa.ciscoFrag && sa.ciscoPeer {
		sa.rfcFrag = false // a Cisco client gets what an ASA sends
	}
	sess.hashes = peerHashes(m.Payloads)

	ps := []wire.Payload{
		&wire.SA{Proposals: []wire.Proposal{chosen}},
		&wire.KE{Group: suite.DH, Data: dh.PublicValue()},
		&wire.Nonce{Data: sess.nr},
	}
	// The client moves to the NAT-T port when these show a NAT; with
	// ForceEncap we make them show one, as a userspace-ESP peer must.
	local := sa.local
	if cfg.ForceEncap {
		local = netip.AddrPortFrom(local.Addr(), 0)
	}
	ps = append(ps, natNotifies(sa.spiI, sa.spiR, local, sa.remote)...)
	ps = append(ps, &wire.CertReq{Encoding: wire.CertX509Signature})
	if clientFrag {
		ps = append(ps, &wire.Notify{NotifyType: iana.IKEV2_FRAGMENTATION_SUPPORTED})
	}
	ps = append(ps, &wire.Notify{NotifyType: iana.SIGNATURE_HASH_ALGORITHMS, Data: ikecrypto.EncodeSignatureHashes(ikecrypto.DefaultSignatureHashes)})
	for _, v := range ciscoVendorIDs(cfg.CiscoVendorIDs, false) {
		if cfg.NoFragmentation && bytes.Equal(v.(*wire.VendorID).Data, vidCiscoFragmentation) {
			continue
		}
		ps = append(ps, v)
	}
	sa.peerNext = 1
	sa.respond(m.Header, ps)
	sess.msg2 = sa.cached[0]
	return nil
}
