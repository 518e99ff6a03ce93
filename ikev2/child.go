package ikev2

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// newSPI returns a random ESP SPI outside the reserved range 0-255
// (RFC 4303 section 2.1).
func (sa *ikeSA) newSPI() uint32 {
	for {
		var b [4]byte
		sa.c.Rand.Read(b[:])
		if spi := binary.BigEndian.Uint32(b[:]); spi > 255 {
			return spi
		}
	}
}

func spiBytes(spi uint32) []byte { return binary.BigEndian.AppendUint32(nil, spi) }

// childProposals returns our ESP proposals carrying spi. In IKE_AUTH there
// is no key exchange, so the DH transforms go (RFC 7296 section 1.2: omit
// the transform rather than send NONE).
func childProposals(base []wire.Proposal, spi uint32, withDH bool) []wire.Proposal {
	out := make([]wire.Proposal, len(base))
	for i, p := range base {
		p.SPI = spiBytes(spi)
		p.Transforms = slices.DeleteFunc(slices.Clone(p.Transforms), func(t wire.Transform) bool {
			return t.Type == iana.TransformDH && !withDH
		})
		out[i] = p
	}
	return out
}

// firstGroup is the DH group of the first proposal that has one, or 0: the
// group of KEi in IKE_SA_INIT, and of PFS in a CHILD SA rekey.
func firstGroup(ps []wire.Proposal) iana.DHGroup {
	for _, p := range ps {
		for _, t := range p.Transforms {
			if t.Type == iana.TransformDH && iana.DHGroup(t.ID) != iana.DH_NONE {
				return iana.DHGroup(t.ID)
			}
		}
	}
	return 0
}

// childKeys derives a CHILD SA's keys (RFC 7296 section 2.17). gir is nil
// without PFS. initiator is whether we initiated this exchange: the
// initiator-to-responder keys are then ours to send with.
func (sa *ikeSA) childKeys(c *ChildSA, gir, ni, nr []byte, initiator bool) error {
	lens, err := ikecrypto.SuiteKeyLens(c.Suite.Encr, int(c.Suite.KeyBits), c.Suite.Integ)
	if err != nil {
		return err
	}
	k, err := ikecrypto.DeriveChildKeys(sa.prf, sa.keys.D, gir, ni, nr, lens)
	if err != nil {
		return err
	}
	c.Out, c.In = k.InitiatorToResponder, k.ResponderToInitiator
	if !initiator {
		c.Out, c.In = c.In, c.Out
	}
	return nil
}

// chosenChild reads the responder's choice of ESP proposal.
func chosenChild(offered []wire.Proposal, ps []wire.Payload) (Suite, uint32, error) {
	sa, ok := wire.Find[*wire.SA](ps)
	if !ok || len(sa.Proposals) != 1 {
		return Suite{}, 0, fmt.Errorf("%w: the answer has no single chosen ESP proposal", ErrProtocol)
	}
	chosen := sa.Proposals[0]
	suite, err := checkChosen(offered, chosen)
	if err != nil {
		return Suite{}, 0, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if len(chosen.SPI) != 4 {
		return Suite{}, 0, fmt.Errorf("%w: ESP SPI of %d bytes", ErrProtocol, len(chosen.SPI))
	}
	return suite, binary.BigEndian.Uint32(chosen.SPI), nil
}

// selectors returns the TSi and TSr of ps.
func selectors(ps []wire.Payload) (tsi, tsr []wire.TrafficSelector, ok bool) {
	i, ok1 := wire.Find[*wire.TSi](ps)
	r, ok2 := wire.Find[*wire.TSr](ps)
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	return i.Selectors, r.Selectors, true
}

// addChild records an installed CHILD SA and schedules its rekey.
func (sa *ikeSA) addChild(now time.Time, c *ChildSA) {
	c.Created = now
	c.Remote = sa.remote
	if sa.timers.ChildRekey > 0 {
		c.rekeyAt = now.Add(sa.jitter(sa.timers.ChildRekey))
	}
	sa.lineage.children = append(sa.lineage.children, c)
	sa.emit(InstallChild{SA: c})
}

func (sa *ikeSA) removeChild(c *ChildSA) { sa.lineage.removeChild(c) }

func (sa *ikeSA) childByOut(spi uint32) *ChildSA {
	for _, c := range sa.lineage.children {
		if c.OutSPI == spi {
			return c
		}
	}
	return nil
}

// rekeyChild starts a CHILD SA rekey (RFC 7296 section 1.3.3). The old SA
// keeps working until the new one is installed on both sides and we delete
// the old one.
func (sa *ikeSA) rekeyChild(now time.Time, old *ChildSA) {
	old.rekeying = true
	c := &ChildSA{InSPI: sa.newSPI(), TSi: old.TSi, TSr: old.TSr, localIsTSi: old.localIsTSi, Initiated: true}
	ni := sa.nonce()
	ps := []wire.Payload{
		&wire.Notify{Protocol: iana.ProtoESP, SPI: spiBytes(old.InSPI), NotifyType: iana.REKEY_SA},
	}
	offered := childProposals(sa.c.ESPProposals, c.InSPI, true)
	ps = append(ps, &wire.SA{Proposals: offered}, &wire.Nonce{Data: ni})
	var dh *ikecrypto.DH
	if g := firstGroup(offered); g != 0 {
		var err error
		if dh, err = ikecrypto.NewDH(g, sa.c.Rand); err != nil {
			sa.fail(err)
			return
		}
		ps = append(ps, &wire.KE{Group: g, Data: dh.PublicValue()})
	}
	// In this exchange we are the initiator: TSi is our side (which is
	// TSr of the IKE_AUTH when the peer set the IKE SA up).
	ps = append(ps, &wire.TSi{TrafficSelectors: wire.TrafficSelectors{Selectors: old.localTS()}},
		&wire.TSr{TrafficSelectors: wire.TrafficSelectors{Selectors: old.PeerTS()}})
	sa.emit(Progress{Exchange: iana.CREATE_CHILD_SA, Detail: old.String()})
	sa.request(now, iana.CREATE_CHILD_SA, ps, func(now time.Time, h wire.Header, rps []wire.Payload) {
		old.rekeying = false
		if err := notifyError(h.Exchange, rps); err != nil {
			if old.collision != nil {
				// The peer's simultaneous rekey stands; it deletes the
				// old SA.
				old.replaced = true
				return
			}
			// TEMPORARY_FAILURE, for instance: try again a little later
			// (section 2.25).
			sa.logf("CHILD SA rekey refused: %v", err)
			old.rekeyAt = now.Add(sa.timers.Retransmit * 4)
			return
		}
		suite, out, err := chosenChild(offered, rps)
		if err == nil {
			c.Suite, c.OutSPI = suite, out
			err = sa.finishChildKeys(c, dh, suite, rps, ni, true)
		}
		if err != nil {
			sa.fail(fmt.Errorf("CHILD SA rekey: %w", err))
			return
		}
		if tsi, tsr, ok := selectors(rps); ok {
			c.setTS(tsi, tsr)
		}
		sa.addChild(now, c)
		old.replaced = true
		if col := old.collision; col != nil {
			// Section 2.8.1: the SA made with the lowest of the four
			// nonces is deleted by the side that made it. If that is
			// ours, we delete it and the peer, whose exchange won,
			// deletes the old SA; otherwise the peer deletes its new SA
			// and we delete the old one as usual.
			nr, _ := wire.Find[*wire.Nonce](rps)
			low := lowest(ni, nr.Data, col[0], col[1])
			if bytes.Equal(low, ni) || bytes.Equal(low, nr.Data) {
				sa.deleteChild(now, c)
				return
			}
		}
		sa.deleteChild(now, old)
	})
}

// finishChildKeys completes the key exchange of a CREATE_CHILD_SA answer
// and derives the keys. nonce is ours; the peer's is in ps.
func (sa *ikeSA) finishChildKeys(c *ChildSA, dh *ikecrypto.DH, suite Suite, ps []wire.Payload, nonce []byte, initiator bool) error {
	n, ok := wire.Find[*wire.Nonce](ps)
	if !ok || len(n.Data) < 16 || len(n.Data) > 256 {
		return fmt.Errorf("%w: missing or bad nonce", ErrProtocol)
	}
	var gir []byte
	if suite.DH != iana.DH_NONE {
		ke, ok := wire.Find[*wire.KE](ps)
		if !ok || dh == nil || ke.Group != suite.DH || dh.Group() != suite.DH {
			return fmt.Errorf("%w: PFS key exchange does not match the chosen group", ErrProtocol)
		}
		var err error
		if gir, err = dh.SharedSecret(ke.Data); err != nil {
			return err
		}
	}
	ni, nr := nonce, n.Data
	if !initiator {
		ni, nr = nr, ni
	}
	return sa.childKeys(c, gir, ni, nr, initiator)
}

// deleteChild deletes an SA pair with an INFORMATIONAL exchange; the data
// plane keeps it until the peer confirms (section 1.4.1).
func (sa *ikeSA) deleteChild(now time.Time, c *ChildSA) {
	sa.request(now, iana.INFORMATIONAL, []wire.Payload{
		&wire.Delete{Protocol: iana.ProtoESP, SPISize: 4, SPIs: [][]byte{spiBytes(c.InSPI)}},
	}, func(time.Time, wire.Header, []wire.Payload) { sa.removeChild(c) })
}

// answerCreateChild answers the peer's CREATE_CHILD_SA request.
func (sa *ikeSA) answerCreateChild(now time.Time, ps []wire.Payload) []wire.Payload {
	saP, ok := wire.Find[*wire.SA](ps)
	if !ok || len(saP.Proposals) == 0 {
		return []wire.Payload{&wire.Notify{NotifyType: iana.INVALID_SYNTAX}}
	}
	if saP.Proposals[0].Protocol == iana.ProtoIKE {
		return sa.answerIKERekey(now, ps, saP)
	}
	rekey, ok := wire.FindNotify(ps, iana.REKEY_SA)
	if !ok {
		// A new CHILD SA. vpnc-go keeps one per IKE SA, as remote access
		// needs, and refuses another (section 1.3.1 allows it); but when
		// none is left, such as after a rekey the peer gave up and deleted,
		// the new one replaces it.
		if sa.liveChildren() > 0 {
			return []wire.Payload{&wire.Notify{NotifyType: iana.NO_ADDITIONAL_SAS}}
		}
		return sa.answerChildRekey(now, nil, saP, ps)
	}
	var old *ChildSA
	if len(rekey.SPI) == 4 {
		// The notify carries the SPI the peer receives on: our outbound.
		old = sa.childByOut(binary.BigEndian.Uint32(rekey.SPI))
	}
	switch {
	case old == nil:
		return []wire.Payload{&wire.Notify{Protocol: iana.ProtoESP, SPI: rekey.SPI, NotifyType: iana.CHILD_SA_NOT_FOUND}}
	case old.replaced || sa.state == stateClosing:
		return []wire.Payload{&wire.Notify{NotifyType: iana.TEMPORARY_FAILURE}}
	}
	return sa.answerChildRekey(now, old, saP, ps)
}

// answerChildRekey answers a CREATE_CHILD_SA that rekeys old, or creates a
// CHILD SA afresh when old is nil.
func (sa *ikeSA) answerChildRekey(now time.Time, old *ChildSA, saP *wire.SA, ps []wire.Payload) []wire.Payload {
	local := childProposals(sa.c.ESPProposals, 0, true)
	ke, hasKE := wire.Find[*wire.KE](ps)
	if !hasKE {
		local = childProposals(sa.c.ESPProposals, 0, false)
	}
	chosen, err := selectProposal(saP.Proposals, local)
	if err != nil || len(chosen.SPI) != 4 {
		return []wire.Payload{&wire.Notify{NotifyType: iana.NO_PROPOSAL_CHOSEN}}
	}
	suite, _ := suiteOf(chosen)
	var dh *ikecrypto.DH
	if suite.DH != iana.DH_NONE {
		if ke.Group != suite.DH {
			return []wire.Payload{invalidKE(suite.DH)}
		}
		if dh, err = ikecrypto.NewDH(suite.DH, sa.c.Rand); err != nil {
			return []wire.Payload{&wire.Notify{NotifyType: iana.NO_PROPOSAL_CHOSEN}}
		}
	}
	// The request's TSi are the peer's side, its TSr ours (the peer
	// initiated this exchange); the answer repeats them.
	reqTSi, reqTSr, ok := selectors(ps)
	if !ok {
		if old == nil {
			return []wire.Payload{&wire.Notify{NotifyType: iana.TS_UNACCEPTABLE}}
		}
		reqTSi, reqTSr = old.PeerTS(), old.localTS()
	}
	c := &ChildSA{InSPI: sa.newSPI(), OutSPI: binary.BigEndian.Uint32(chosen.SPI), Suite: suite}
	if old != nil {
		c.localIsTSi = old.localIsTSi
	}
	c.setTS(reqTSr, reqTSi)
	nr := sa.nonce()
	if err := sa.finishChildKeys(c, dh, suite, ps, nr, false); err != nil {
		return []wire.Payload{&wire.Notify{NotifyType: iana.INVALID_SYNTAX}}
	}
	chosen.SPI = spiBytes(c.InSPI)
	sa.addChild(now, c)

	switch {
	case old == nil:
	case old.rekeying:
		// Our own rekey of the same SA is in flight: a simultaneous
		// rekey, settled when our answer arrives (section 2.8.1).
		peerNi, _ := wire.Find[*wire.Nonce](ps)
		old.collision = [][]byte{peerNi.Data, nr}
	default:
		old.replaced = true // the peer deletes the old SA next
	}
	out := []wire.Payload{&wire.SA{Proposals: []wire.Proposal{chosen}}, &wire.Nonce{Data: nr}}
	if dh != nil {
		out = append(out, &wire.KE{Group: suite.DH, Data: dh.PublicValue()})
	}
	return append(out, &wire.TSi{TrafficSelectors: wire.TrafficSelectors{Selectors: reqTSi}},
		&wire.TSr{TrafficSelectors: wire.TrafficSelectors{Selectors: reqTSr}})
}

// liveChildren counts the CHILD SAs not already replaced by a rekey.
func (sa *ikeSA) liveChildren() int {
	n := 0
	for _, c := range sa.lineage.children {
		if !c.replaced {
			n++
		}
	}
	return n
}

func invalidKE(group iana.DHGroup) *wire.Notify {
	return &wire.Notify{NotifyType: iana.INVALID_KE_PAYLOAD, Data: binary.BigEndian.AppendUint16(nil, uint16(group))}
}

// nonce returns a fresh 32-byte nonce (section 2.10: at least half the PRF
// key size, and at least 128 bits).
func (sa *ikeSA) nonce() []byte {
	n := make([]byte, 32)
	sa.c.Rand.Read(n)
	return n
}

// lowest returns the smallest of the nonces, compared as octet strings.
func lowest(nonces ...[]byte) []byte {
	return slices.MinFunc(nonces, bytes.Compare)
}
