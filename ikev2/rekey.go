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

// newIKESPI returns a random non-zero IKE SPI.
func (sa *ikeSA) newIKESPI() uint64 {
	for {
		var b [8]byte
		sa.c.Rand.Read(b[:])
		if spi := binary.BigEndian.Uint64(b[:]); spi != 0 {
			return spi
		}
	}
}

// successor returns a new IKE SA that inherits sa's peer, paths and
// settings, for a rekey (RFC 7296 section 2.18). initiator is whether we
// initiated the rekey: that side is the new SA's original initiator.
func (sa *ikeSA) successor(initiator bool, spiI, spiR uint64, now time.Time) *ikeSA {
	return &ikeSA{
		lineage: sa.lineage, c: sa.c, timers: sa.timers, initiator: initiator, spiI: spiI, spiR: spiR,
		local: sa.local, remote: sa.remote, natt: sa.natt, behindNAT: sa.behindNAT, follow: sa.follow,
		rfcFrag: sa.rfcFrag, ciscoFrag: sa.ciscoFrag, ciscoPeer: sa.ciscoPeer,
		state: stateEstablished, created: now, lastHeard: now,
	}
}

// rekeyKeys derives the new SA's keys: SKEYSEED = prf(SK_d (old), g^ir
// (new) | Ni | Nr) with the old SA's PRF, then the usual split with the new
// SPIs and the new suite.
func (sa *ikeSA) rekeyKeys(next *ikeSA, suite Suite, gir, ni, nr []byte) error {
	prf, err := ikecrypto.NewPRF(suite.PRF)
	if err != nil {
		return err
	}
	next.prf = prf
	return next.setKeys(suite, ikecrypto.RekeySKEYSEED(sa.prf, sa.keys.D, gir, ni, nr), ni, nr)
}

// rekeyIKE starts an IKE SA rekey: a CREATE_CHILD_SA exchange with an IKE
// proposal, a new SPI, nonce and key exchange.
func (sa *ikeSA) rekeyIKE(now time.Time) {
	sa.state = stateRekeying
	spiI := sa.newIKESPI()
	offered := make([]wire.Proposal, len(sa.c.IKEProposals))
	for i, p := range sa.c.IKEProposals {
		p.SPI = binary.BigEndian.AppendUint64(nil, spiI)
		offered[i] = p
	}
	dh, err := ikecrypto.NewDH(sa.suite.DH, sa.c.Rand)
	if err != nil {
		sa.fail(err)
		return
	}
	ni := sa.nonce()
	ps := []wire.Payload{&wire.SA{Proposals: offered}, &wire.Nonce{Data: ni}, &wire.KE{Group: dh.Group(), Data: dh.PublicValue()}}
	sa.emit(Progress{Exchange: iana.CREATE_CHILD_SA, Detail: "IKE SA"})
	sa.request(now, iana.CREATE_CHILD_SA, ps, func(now time.Time, h wire.Header, rps []wire.Payload) {
		if sa.state == stateRekeying {
			sa.state = stateEstablished
		}
		if perr := notifyError(h.Exchange, rps); perr != nil {
			if sa.peerNew != nil {
				sa.adopt(now, sa.peerNew) // the peer's simultaneous rekey stands
				return
			}
			if n, ok := wire.FindNotify(rps, iana.INVALID_KE_PAYLOAD); ok {
				if g, ok := notifyGroup(n); ok {
					sa.logf("peer wants group %d for the IKE SA rekey", g)
				}
			}
			sa.logf("IKE SA rekey refused: %v", perr)
			sa.rekeyAt = now.Add(sa.timers.Retransmit * 4)
			return
		}
		next, nr, err := sa.finishIKERekey(now, offered, spiI, dh, ni, rps)
		if err != nil {
			sa.fail(fmt.Errorf("IKE SA rekey: %w", err))
			return
		}
		if col := sa.collision; col != nil && sa.peerNew != nil {
			// Section 2.8.2: the new IKE SA made with the lowest nonce is
			// deleted by the side that made it.
			if low := lowest(ni, nr, col[0], col[1]); bytes.Equal(low, ni) || bytes.Equal(low, nr) {
				sa.lineage.addSA(next, now, false)
				sa.adopt(now, sa.peerNew)
				next.close(now)
				return
			}
		}
		sa.adopt(now, next)
		sa.close(now)
	})
}

// finishIKERekey checks the answer to our IKE SA rekey and builds the new
// SA. It returns the responder's nonce too.
func (sa *ikeSA) finishIKERekey(now time.Time, offered []wire.Proposal, spiI uint64, dh *ikecrypto.DH, ni []byte, ps []wire.Payload) (*ikeSA, []byte, error) {
	saP, ok := wire.Find[*wire.SA](ps)
	if !ok || len(saP.Proposals) != 1 || len(saP.Proposals[0].SPI) != 8 {
		return nil, nil, fmt.Errorf("%w: no single IKE proposal with an SPI", ErrProtocol)
	}
	suite, err := checkChosen(offered, saP.Proposals[0])
	if err != nil {
		return nil, nil, err
	}
	ke, ok := wire.Find[*wire.KE](ps)
	n, ok2 := wire.Find[*wire.Nonce](ps)
	if !ok || !ok2 || ke.Group != suite.DH || dh.Group() != suite.DH {
		return nil, nil, fmt.Errorf("%w: key exchange or nonce missing or mismatched", ErrProtocol)
	}
	gir, err := dh.SharedSecret(ke.Data)
	if err != nil {
		return nil, nil, err
	}
	next := sa.successor(true, spiI, binary.BigEndian.Uint64(saP.Proposals[0].SPI), now)
	if err := sa.rekeyKeys(next, suite, gir, ni, n.Data); err != nil {
		return nil, nil, err
	}
	return next, n.Data, nil
}

// adopt makes next the connection's current IKE SA; sa retires.
func (sa *ikeSA) adopt(now time.Time, next *ikeSA) {
	if !slices.Contains(sa.lineage.sas, next) {
		sa.lineage.addSA(next, now, true)
	} else {
		sa.lineage.promote(next, now)
	}
	if next.timers.IKERekey > 0 {
		next.rekeyAt = now.Add(next.jitter(next.timers.IKERekey))
	}
	sa.logf("rekeyed to IKE SA %016x/%016x", next.spiI, next.spiR)
}

// answerIKERekey answers the peer's IKE SA rekey. The peer deletes the old
// SA once it has our answer.
func (sa *ikeSA) answerIKERekey(now time.Time, ps []wire.Payload, saP *wire.SA) []wire.Payload {
	local := sa.c.IKEProposals
	chosen, err := selectProposal(saP.Proposals, local)
	if err != nil || len(chosen.SPI) != 8 {
		return []wire.Payload{&wire.Notify{NotifyType: iana.NO_PROPOSAL_CHOSEN}}
	}
	suite, _ := suiteOf(chosen)
	ke, ok := wire.Find[*wire.KE](ps)
	n, ok2 := wire.Find[*wire.Nonce](ps)
	if !ok || !ok2 || len(n.Data) < 16 || len(n.Data) > 256 {
		return []wire.Payload{&wire.Notify{NotifyType: iana.INVALID_SYNTAX}}
	}
	if ke.Group != suite.DH {
		return []wire.Payload{invalidKE(suite.DH)}
	}
	dh, err := ikecrypto.NewDH(suite.DH, sa.c.Rand)
	if err != nil {
		return []wire.Payload{&wire.Notify{NotifyType: iana.NO_PROPOSAL_CHOSEN}}
	}
	gir, err := dh.SharedSecret(ke.Data)
	if err != nil {
		return []wire.Payload{&wire.Notify{NotifyType: iana.INVALID_SYNTAX}}
	}
	spiR := sa.newIKESPI()
	nr := sa.nonce()
	next := sa.successor(false, binary.BigEndian.Uint64(chosen.SPI), spiR, now)
	if err := sa.rekeyKeys(next, suite, gir, n.Data, nr); err != nil {
		return []wire.Payload{&wire.Notify{NotifyType: iana.NO_PROPOSAL_CHOSEN}}
	}
	if sa.state == stateRekeying {
		// Simultaneous rekey: settled when our own answer arrives.
		sa.collision, sa.peerNew = [][]byte{n.Data, nr}, next
		sa.lineage.addSA(next, now, false)
	} else {
		sa.adopt(now, next)
	}
	chosen.SPI = binary.BigEndian.AppendUint64(nil, spiR)
	return []wire.Payload{&wire.SA{Proposals: []wire.Proposal{chosen}}, &wire.Nonce{Data: nr}, &wire.KE{Group: suite.DH, Data: dh.PublicValue()}}
}
