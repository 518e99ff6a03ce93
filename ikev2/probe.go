package ikev2

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// A probe asks a headend, with one unauthenticated IKE_SA_INIT exchange,
// which IKE suite it would choose out of an offer (as ike-scan does). It
// proves nothing about the headend: the answer is unauthenticated, which
// is why vpnc-go never falls back to weaker suites on its own and the user
// decides what to offer.

// ProbeFamily is a set of IKE suites asked about with one IKE_SA_INIT.
type ProbeFamily struct {
	Name      string
	Proposals string // a proposal string
}

// ProbeFamilies are the families a probe asks about: the two default
// proposals, then what only legacy headends accept.
var ProbeFamilies = []ProbeFamily{
	{"AES-GCM", defaultProposal(0)},
	{"AES-CBC", defaultProposal(1)},
	{"AES-GCM with a weak DH group", "aes256gcm16-aes128gcm16-prfsha512-prfsha384-prfsha256-prfsha1-modp1536-modp1024"},
	{"AES-CBC with a weak DH group", "aes256-aes192-aes128-sha512-sha384-sha256-sha1-modp1536-modp1024"},
	{"3DES", "3des-sha512-sha384-sha256-sha1-" + defaultGroups + "-modp1536-modp1024"},
}

func defaultProposal(i int) string { return strings.Split(DefaultIKEProposals, ",")[i] }

// ProbeConfig configures one probe exchange.
type ProbeConfig struct {
	Local, Remote netip.AddrPort
	Proposals     []wire.Proposal // IKE proposals to offer
	Rand          io.Reader       // crypto/rand when nil
	// AnyConnect sends the vendor IDs of an AnyConnect client, so that a
	// Cisco headend sees the client connect would be.
	AnyConnect bool
}

// ProbeResult is what the headend answered.
type ProbeResult struct {
	// Suite is the chosen suite when Refused is zero.
	Suite Suite
	// Refused is the error notify the headend answered with, such as
	// NO_PROPOSAL_CHOSEN.
	Refused iana.NotifyType
	// AskedGroups are the groups the headend asked for with
	// INVALID_KE_PAYLOAD (RFC 7296 section 1.2), in order.
	AskedGroups []iana.DHGroup
	// Cookie is whether the headend asked for a cookie (section 2.6).
	Cookie bool
}

// ProbeStep tells the driver what to do after Handle.
type ProbeStep int

const (
	ProbeWait ProbeStep = iota // not the answer: keep waiting (and retransmitting)
	ProbeSend                  // the request changed: send Request again
	ProbeDone                  // Result holds the answer
)

// maxProbeResends bounds the COOKIE and INVALID_KE_PAYLOAD rounds.
const maxProbeResends = 3

// Probe is one probe exchange, free of sockets and clocks: send Request
// (again, to retransmit), give each datagram from the headend to Handle.
type Probe struct {
	cfg     ProbeConfig
	spiI    uint64
	ni      []byte
	dh      *ikecrypto.DH
	cookie  []byte
	req     []byte
	resends int
	result  ProbeResult
	done    bool
}

// NewProbe prepares the first request.
func NewProbe(cfg ProbeConfig) (*Probe, error) {
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if len(cfg.Proposals) == 0 {
		return nil, errors.New("ikev2: probe without proposals")
	}
	for _, p := range cfg.Proposals {
		if p.Protocol != iana.ProtoIKE {
			return nil, fmt.Errorf("ikev2: probe proposal %d is for %s", p.Number, p.Protocol)
		}
	}
	if !cfg.Local.IsValid() || !cfg.Remote.IsValid() {
		return nil, errors.New("ikev2: probe needs local and remote addresses")
	}
	p := &Probe{cfg: cfg, ni: make([]byte, 32)}
	var b [8]byte
	for p.spiI == 0 {
		if _, err := io.ReadFull(cfg.Rand, b[:]); err != nil {
			return nil, err
		}
		p.spiI = binary.BigEndian.Uint64(b[:])
	}
	if _, err := io.ReadFull(cfg.Rand, p.ni); err != nil {
		return nil, err
	}
	// KEi in the first group of the first proposal (section 3.4).
	if err := p.build(firstGroup(cfg.Proposals)); err != nil {
		return nil, err
	}
	return p, nil
}

// build makes the request with a key share in group.
func (p *Probe) build(group iana.DHGroup) error {
	dh, err := ikecrypto.NewDH(group, p.cfg.Rand)
	if err != nil {
		return err
	}
	p.dh = dh
	var ps []wire.Payload
	if p.cookie != nil {
		ps = append(ps, &wire.Notify{NotifyType: iana.COOKIE, Data: p.cookie})
	}
	ps = append(ps,
		&wire.SA{Proposals: p.cfg.Proposals},
		&wire.KE{Group: group, Data: dh.PublicValue()},
		&wire.Nonce{Data: p.ni},
	)
	ps = append(ps, natNotifies(p.spiI, 0, p.cfg.Local, p.cfg.Remote)...)
	ps = append(ps, &wire.Notify{NotifyType: iana.IKEV2_FRAGMENTATION_SUPPORTED},
		&wire.Notify{NotifyType: iana.SIGNATURE_HASH_ALGORITHMS, Data: ikecrypto.EncodeSignatureHashes(ikecrypto.DefaultSignatureHashes)})
	ps = append(ps, ciscoVendorIDs(p.cfg.AnyConnect, p.cfg.AnyConnect)...)
	m := &wire.Message{Header: wire.Header{SPIi: p.spiI, Version: wire.Version2, Exchange: iana.IKE_SA_INIT,
		Flags: wire.FlagInitiator}, Payloads: ps}
	p.req, err = m.Encode()
	return err
}

// Request is the datagram to send (the same bytes when retransmitting).
func (p *Probe) Request() []byte { return p.req }

// Result is the headend's answer, once Handle returned ProbeDone.
func (p *Probe) Result() ProbeResult { return p.result }

// Handle reads a datagram from the headend. A datagram that is not the
// answer to our request gives ProbeWait and an error saying why.
func (p *Probe) Handle(b []byte) (ProbeStep, error) {
	if p.done {
		return ProbeDone, nil
	}
	m, err := wire.Decode(b)
	if err != nil {
		return ProbeWait, err
	}
	h := m.Header
	if h.Exchange != iana.IKE_SA_INIT || !h.IsResponse() || h.SPIi != p.spiI || h.MessageID != 0 {
		return ProbeWait, fmt.Errorf("not the answer to our IKE_SA_INIT (%s, SPIi %016x, message %d)", h.Exchange, h.SPIi, h.MessageID)
	}
	ps := m.Payloads
	if n, ok := wire.FindNotify(ps, iana.COOKIE); ok {
		return p.resend(func() error {
			if len(n.Data) < 1 || len(n.Data) > 64 {
				return fmt.Errorf("%w: a COOKIE of %d bytes", ErrProtocol, len(n.Data))
			}
			p.cookie, p.result.Cookie = n.Data, true
			return p.build(p.dh.Group())
		})
	}
	if n, ok := wire.FindNotify(ps, iana.INVALID_KE_PAYLOAD); ok {
		return p.resend(func() error {
			g, ok := notifyGroup(n)
			if !ok || !offersGroup(p.cfg.Proposals, g) || g == p.dh.Group() {
				return fmt.Errorf("%w: the headend asks for DH group %d, which this probe did not offer", ErrProtocol, g)
			}
			p.result.AskedGroups = append(p.result.AskedGroups, g)
			return p.build(g)
		})
	}
	if perr := notifyError(h.Exchange, ps); perr != nil {
		p.result.Refused = perr.Type
		p.done = true
		return ProbeDone, nil
	}
	saP, ok := wire.Find[*wire.SA](ps)
	if !ok || len(saP.Proposals) != 1 {
		return ProbeWait, fmt.Errorf("%w: IKE_SA_INIT response without one chosen proposal", ErrProtocol)
	}
	suite, err := checkChosen(p.cfg.Proposals, saP.Proposals[0])
	if err != nil {
		return ProbeWait, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if ke, ok := wire.Find[*wire.KE](ps); !ok || ke.Group != suite.DH || ke.Group != p.dh.Group() {
		return ProbeWait, fmt.Errorf("%w: the responder's KE does not match the chosen group", ErrProtocol)
	}
	p.result.Suite = suite
	p.done = true
	return ProbeDone, nil
}

func (p *Probe) resend(next func() error) (ProbeStep, error) {
	if p.resends >= maxProbeResends {
		return ProbeWait, fmt.Errorf("%w: the headend keeps asking for another IKE_SA_INIT", ErrProtocol)
	}
	if err := next(); err != nil {
		return ProbeWait, err
	}
	p.resends++
	return ProbeSend, nil
}

// ProposalValue renders a suite as the shortest proposal string that
// offers exactly it: the PRF is left out when the integrity algorithm
// implies it.
func ProposalValue(s Suite) string {
	if !s.AEAD() && prfForInteg[s.Integ] == s.PRF {
		s.PRF = 0
	}
	return s.String()
}

// GroupName is a DH group's name in proposal-string syntax ("modp1024").
func GroupName(group iana.DHGroup) string {
	return algorithmName(wire.Transform{Type: iana.TransformDH, ID: uint16(group)})
}
