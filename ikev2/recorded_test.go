package ikev2

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/recorded"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// openedMessage is one recorded IKE message after decryption and, for
// fragments, reassembly.
type openedMessage struct {
	frame    int
	header   wire.Header
	payloads []wire.Payload
	inner    []byte // the decrypted payload chain
}

// openSession decrypts every IKE message of a strongSwan recording with its
// recorded keys. The suite comes from the responder's IKE_SA_INIT answer.
func openSession(t *testing.T, s *recorded.Session) (Suite, []openedMessage) {
	t.Helper()
	var suite Suite
	var asInitiator, asResponder *protector
	var reasm [2]reassembler // [0] what the initiator receives, [1] the responder
	var out []openedMessage
	for _, d := range s.IKEMessages() {
		m, err := wire.Decode(d.Payload)
		if err != nil {
			t.Fatalf("%s frame %d: %v", s.Name, d.Frame, err)
		}
		if m.Exchange == iana.IKE_SA_INIT {
			if m.IsResponse() {
				sa, ok := wire.Find[*wire.SA](m.Payloads)
				if !ok || len(sa.Proposals) != 1 {
					t.Fatalf("%s: IKE_SA_INIT response without one chosen proposal", s.Name)
				}
				if suite, err = suiteOf(sa.Proposals[0]); err != nil {
					t.Fatal(err)
				}
				k := s.IKE[0]
				keys := &ikecrypto.IKEKeys{Ei: k.SKei, Er: k.SKer, Ai: k.SKai, Ar: k.SKar}
				if asInitiator, err = newProtector(suite, keys, true, nil); err != nil {
					t.Fatal(err)
				}
				if asResponder, err = newProtector(suite, keys, false, nil); err != nil {
					t.Fatal(err)
				}
			}
			out = append(out, openedMessage{frame: d.Frame, header: m.Header, payloads: m.Payloads})
			continue
		}
		// Messages from the original initiator are opened by the responder.
		p, slot := asInitiator, 0
		if m.IsInitiator() {
			p, slot = asResponder, 1
		}
		var inner []byte
		var first iana.PayloadType
		switch last := m.Payloads[len(m.Payloads)-1].(type) {
		case *wire.Encrypted:
			first = last.NextPayload
			inner, err = p.in.Open(d.Payload[:len(d.Payload)-len(last.Data)], last.Data)
			if err != nil {
				t.Fatalf("%s frame %d: %v", s.Name, d.Frame, err)
			}
		case *wire.EncryptedFragment:
			f, plain, err := p.OpenFragment(d.Payload, m)
			if err != nil {
				t.Fatalf("%s frame %d: %v", s.Name, d.Frame, err)
			}
			var done bool
			done, first, inner, err = reasm[slot].Add(time.Unix(0, 0), m.Header, f, plain)
			if err != nil {
				t.Fatalf("%s frame %d: %v", s.Name, d.Frame, err)
			}
			if !done {
				continue
			}
		default:
			t.Fatalf("%s frame %d: %s without SK or SKF", s.Name, d.Frame, &m.Header)
		}
		ps, err := wire.DecodePayloads(first, inner)
		if err != nil {
			t.Fatalf("%s frame %d: inner payloads: %v", s.Name, d.Frame, err)
		}
		out = append(out, openedMessage{frame: d.Frame, header: m.Header, payloads: ps, inner: inner})
	}
	return suite, out
}

func TestRecordedSessionsDecrypt(t *testing.T) {
	sessions, err := recorded.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		t.Run(s.Name, func(t *testing.T) {
			suite, msgs := openSession(t, s)
			if len(msgs) < 10 {
				t.Fatalf("only %d messages opened", len(msgs))
			}
			counts := map[iana.PayloadType]int{}
			for _, m := range msgs {
				for _, p := range m.payloads {
					counts[p.Type()]++
				}
				if m.inner == nil {
					continue
				}
				// The decrypted chain re-encodes to the same bytes.
				again, _, err := wire.AppendPayloads(nil, m.payloads)
				if err != nil || !bytes.Equal(again, m.inner) {
					t.Errorf("frame %d: inner payloads do not re-encode (%v)", m.frame, err)
				}
			}
			// The session holds the exchange the README describes: IDs,
			// a certificate that needed two RFC 7383 fragments, EAP rounds,
			// AUTH, CP, traffic selectors and a Delete.
			for typ, want := range map[iana.PayloadType]int{
				iana.PayloadIDi: 1, iana.PayloadIDr: 1, iana.PayloadCERT: 1, iana.PayloadAUTH: 3,
				iana.PayloadEAP: 7, iana.PayloadCP: 2, iana.PayloadTSi: 2, iana.PayloadTSr: 2, iana.PayloadDelete: 1,
			} {
				if counts[typ] < want {
					t.Errorf("%d %s payloads, want at least %d", counts[typ], typ, want)
				}
			}
			// IDi is the AnyConnect identity, CP_REPLY gives 10.2.2.1, and
			// every EAP payload parses: Identity, MSCHAPv2 rounds, Success.
			eapTypes := map[string]int{}
			for _, m := range msgs {
				for _, e := range wire.FindAll[*wire.EAP](m.payloads) {
					p, err := eap.Decode(e.Data)
					if err != nil {
						t.Fatalf("frame %d: EAP: %v", m.frame, err)
					}
					eapTypes[p.Code.String()+"/"+p.Type.String()]++
					if p.Type == eap.TypeMSCHAPv2 {
						if _, err := eap.DecodeMSCHAPv2(p); err != nil {
							t.Errorf("frame %d: MSCHAPv2: %v", m.frame, err)
						}
					}
				}
				if id, ok := wire.Find[*wire.IDi](m.payloads); ok && string(id.Data) != "*$AnyConnectClient$*" {
					t.Errorf("IDi %s", &id.ID)
				}
				if cp, ok := wire.Find[*wire.CP](m.payloads); ok && cp.CfgType == wire.CFG_REPLY {
					a, err := cp.Attributes[0].Addr()
					if err != nil || a.String() != "10.2.2.1" {
						t.Errorf("CP reply address %v %v", a, err)
					}
				}
			}
			if eapTypes["Response/Identity"] != 1 || eapTypes["Request/MSCHAPv2"] != 2 || eapTypes["Success/Type(0)"] != 1 {
				t.Errorf("EAP exchange %v", eapTypes)
			}
			t.Logf("suite %s: %d messages, payloads %v, EAP %v", suite, len(msgs), counts, eapTypes)
		})
	}
}

func TestRecordedTamperDetected(t *testing.T) {
	sessions, err := recorded.All()
	if err != nil {
		t.Fatal(err)
	}
	s := sessions[0]
	suite, _ := openSession(t, s)
	k := s.IKE[0]
	p, err := newProtector(suite, &ikecrypto.IKEKeys{Ei: k.SKei, Er: k.SKer, Ai: k.SKai, Ar: k.SKar}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range s.IKEMessages() {
		m, _ := wire.Decode(d.Payload)
		if _, ok := m.Payloads[len(m.Payloads)-1].(*wire.Encrypted); !ok || !m.IsInitiator() {
			continue
		}
		if _, err := p.Open(d.Payload, m); err != nil {
			t.Fatalf("frame %d: %v", d.Frame, err)
		}
		// Flip one bit of the header's message ID: the ICV covers it.
		bad := append([]byte(nil), d.Payload...)
		binary.BigEndian.PutUint32(bad[20:], m.MessageID^1)
		mb, _ := wire.Decode(bad)
		if _, err := p.Open(bad, mb); err == nil {
			t.Fatalf("frame %d: tampered header accepted", d.Frame)
		}
		return
	}
	t.Fatal("no SK message from the initiator")
}
