package ikev2

import (
	"net/netip"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// typicalAuthRequest is a client's first IKE_AUTH request, as the shared
// notes describe it: IDi, CERTREQ, CP request, SAi2, TSi, TSr.
func typicalAuthRequest() []wire.Payload {
	esp, _ := ParseProposals(DefaultESPProposals, iana.ProtoESP)
	for i := range esp {
		esp[i].SPI = []byte{0xc0, 0xff, 0xee, byte(i)}
	}
	all := wire.PrefixTS(netip.MustParsePrefix("0.0.0.0/0"))
	return []wire.Payload{
		&wire.IDi{ID: wire.ID{IDType: 201, Data: []byte("*$AnyConnectClient$*")}},
		&wire.Notify{NotifyType: iana.INITIAL_CONTACT},
		&wire.CertReq{Encoding: wire.CertX509Signature, Data: make([]byte, 60)},
		&wire.CP{CfgType: wire.CFG_REQUEST, Attributes: []wire.CPAttribute{
			{AttrType: wire.INTERNAL_IP4_ADDRESS}, {AttrType: wire.INTERNAL_IP4_NETMASK}, {AttrType: wire.INTERNAL_IP4_DNS},
			{AttrType: wire.INTERNAL_IP6_ADDRESS}, {AttrType: wire.INTERNAL_IP6_DNS}, {AttrType: wire.APPLICATION_VERSION, Value: []byte("vpnc-go")},
		}},
		&wire.SA{Proposals: esp},
		&wire.TSi{TrafficSelectors: wire.TrafficSelectors{Selectors: []wire.TrafficSelector{all}}},
		&wire.TSr{TrafficSelectors: wire.TrafficSelectors{Selectors: []wire.TrafficSelector{all}}},
		&wire.VendorID{Data: make([]byte, 20)},
	}
}

var authRequestHeader = wire.Header{SPIi: 1, SPIr: 2, Exchange: iana.IKE_AUTH, Flags: wire.FlagInitiator, MessageID: 1}

func BenchmarkEncodeAuthRequest(b *testing.B) {
	m := &wire.Message{Header: authRequestHeader, Payloads: typicalAuthRequest()}
	buf, _ := m.Encode()
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.AppendEncode(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeAuthRequest(b *testing.B) {
	inner, first, _ := wire.AppendPayloads(nil, typicalAuthRequest())
	b.SetBytes(int64(len(inner)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.DecodePayloads(first, inner); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkSeal(b *testing.B, suite string) {
	i, _ := testPair(b, suite)
	ps := typicalAuthRequest()
	msg, _ := i.Seal(authRequestHeader, ps)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.Seal(authRequestHeader, ps); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkOpen(b *testing.B, suite string) {
	i, r := testPair(b, suite)
	msg, _ := i.Seal(authRequestHeader, typicalAuthRequest())
	m, _ := wire.Decode(msg)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Open(msg, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealAuthRequestAESGCM256(b *testing.B) {
	benchmarkSeal(b, "aes256gcm16-prfsha256-ecp256")
}
func BenchmarkSealAuthRequestAESCBC256SHA256(b *testing.B) {
	benchmarkSeal(b, "aes256-sha256-modp2048")
}
func BenchmarkOpenAuthRequestAESGCM256(b *testing.B) {
	benchmarkOpen(b, "aes256gcm16-prfsha256-ecp256")
}
func BenchmarkOpenAuthRequestAESCBC256SHA256(b *testing.B) {
	benchmarkOpen(b, "aes256-sha256-modp2048")
}
