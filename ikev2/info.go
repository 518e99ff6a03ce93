package ikev2

import (
	"encoding/binary"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// answer answers the peer's requests on an established IKE SA.
// A non-nil error ends the SA once the answer is sent.
func (sa *ikeSA) answer(now time.Time, h wire.Header, ps []wire.Payload) ([]wire.Payload, error) {
	switch h.Exchange {
	case iana.INFORMATIONAL:
		return sa.answerInformational(now, ps)
	case iana.CREATE_CHILD_SA:
		if sa.state == stateRetired || sa.state == stateClosing {
			// Section 2.25: no new SAs on one that is going away.
			return []wire.Payload{&wire.Notify{NotifyType: iana.TEMPORARY_FAILURE}}, nil
		}
		return sa.answerCreateChild(now, ps), nil
	}
	// Section 1.4: an unexpected exchange type gets INVALID_SYNTAX.
	return []wire.Payload{&wire.Notify{NotifyType: iana.INVALID_SYNTAX}}, nil
}

// answerInformational handles liveness checks (empty), Deletes and
// notifications (RFC 7296 section 1.4). After a Delete of the IKE SA it
// returns ErrClosedByPeer, which ends the SA once the answer is sent (for a
// retired SA only that SA goes).
func (sa *ikeSA) answerInformational(now time.Time, ps []wire.Payload) ([]wire.Payload, error) {
	var out []wire.Payload
	var espSPIs [][]byte
	deleteIKE := false
	for _, p := range ps {
		switch p := p.(type) {
		case *wire.Delete:
			switch p.Protocol {
			case iana.ProtoIKE:
				deleteIKE = true
			case iana.ProtoESP, iana.ProtoAH:
				// The SPIs are those the peer receives on: our outbound.
				// Answer with the inbound SPIs of the pairs (1.4.1).
				for _, spi := range p.ESPSPIs() {
					if c := sa.childByOut(spi); c != nil {
						espSPIs = append(espSPIs, spiBytes(c.InSPI))
						sa.removeChild(c)
					}
				}
			}
		case *wire.Notify:
			if p.NotifyType.IsError() {
				sa.logf("peer notified %s", p.NotifyType)
			}
		}
	}
	if deleteIKE {
		// The response is empty; the IKE SA and, if it is the current
		// one, the connection end once it is sent.
		sa.logf("peer deleted the IKE SA")
		return nil, ErrClosedByPeer
	}
	if len(espSPIs) > 0 {
		out = append(out, &wire.Delete{Protocol: iana.ProtoESP, SPISize: 4, SPIs: espSPIs})
	}
	return out, nil
}

// notifyGroup reads the group an INVALID_KE_PAYLOAD asks for.
func notifyGroup(n *wire.Notify) (iana.DHGroup, bool) {
	if len(n.Data) != 2 {
		return 0, false
	}
	return iana.DHGroup(binary.BigEndian.Uint16(n.Data)), true
}
