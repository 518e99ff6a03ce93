package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/recorded"
)

// sampleMessage holds one payload of every kind this package knows.
func sampleMessage() *Message {
	return &Message{
		Header: Header{SPIi: 0x0102030405060708, SPIr: 0x1112131415161718, Version: Version2,
			Exchange: iana.IKE_SA_INIT, Flags: FlagInitiator, MessageID: 0},
		Payloads: []Payload{
			&SA{Proposals: []Proposal{
				{Number: 1, Protocol: iana.ProtoIKE, Transforms: []Transform{
					{Type: iana.TransformENCR, ID: uint16(iana.ENCR_AES_GCM_16), KeyLength: 256},
					{Type: iana.TransformPRF, ID: uint16(iana.PRF_HMAC_SHA2_384)},
					{Type: iana.TransformDH, ID: uint16(iana.DH_ECP384)},
				}},
				{Number: 2, Protocol: iana.ProtoESP, SPI: []byte{1, 2, 3, 4}, Transforms: []Transform{
					{Type: iana.TransformENCR, ID: uint16(iana.ENCR_AES_CBC), KeyLength: 128,
						Attributes: []TransformAttribute{{Type: 99, Value: []byte("tlv")}, {Type: 98, TV: true, Value: []byte{0, 7}}}},
					{Type: iana.TransformINTEG, ID: uint16(iana.AUTH_HMAC_SHA1_96)},
					{Type: iana.TransformESN, ID: uint16(iana.ESN_NO)},
				}},
			}},
			&KE{Group: iana.DH_ECP384, Data: bytes.Repeat([]byte{0xab}, 96)},
			&Nonce{Data: bytes.Repeat([]byte{0x42}, 32)},
			&Notify{NotifyType: iana.NAT_DETECTION_SOURCE_IP, Data: bytes.Repeat([]byte{1}, 20)},
			&Notify{Protocol: iana.ProtoESP, SPI: []byte{9, 9, 9, 9}, NotifyType: iana.REKEY_SA},
			&VendorID{Data: []byte("CISCO-DELETE-REASON")},
			&IDi{ID{IDType: 201, Data: []byte("*$AnyConnectClient$*")}},
			&IDr{ID{IDType: ID_FQDN, Data: []byte("vpn.example.com")}},
			&Cert{Encoding: CertX509Signature, Data: []byte{0x30, 0x82, 0, 1}},
			&CertReq{Encoding: CertX509Signature, Data: bytes.Repeat([]byte{7}, 40)},
			&Auth{Method: AuthSharedKeyMIC, Data: bytes.Repeat([]byte{5}, 20)},
			&TSi{TrafficSelectors{Selectors: []TrafficSelector{
				PrefixTS(netip.MustParsePrefix("0.0.0.0/0")),
				PrefixTS(netip.MustParsePrefix("2001:db8::/32")),
				{TSType: 10, Raw: []byte("label")},
			}}},
			&TSr{TrafficSelectors{Selectors: []TrafficSelector{
				{TSType: TS_IPV4_ADDR_RANGE, IPProtocol: 6, StartPort: 443, EndPort: 443,
					Start: netip.MustParseAddr("198.51.100.1"), End: netip.MustParseAddr("198.51.100.9")},
			}}},
			&CP{CfgType: CFG_REPLY, Attributes: []CPAttribute{
				AddrAttr(INTERNAL_IP4_ADDRESS, netip.MustParseAddr("10.2.2.1")),
				PrefixAttr(INTERNAL_IP4_SUBNET, netip.MustParsePrefix("198.51.100.0/24")),
				PrefixAttr(INTERNAL_IP6_SUBNET, netip.MustParsePrefix("2001:db8:1::/48")),
				{AttrType: UNITY_BANNER, Value: []byte("Welcome")},
				{AttrType: APPLICATION_VERSION},
			}},
			&EAP{Data: []byte{1, 1, 0, 5, 1}},
			&Delete{Protocol: iana.ProtoESP, SPISize: 4, SPIs: [][]byte{{1, 2, 3, 4}, {5, 6, 7, 8}}},
			&Delete{Protocol: iana.ProtoIKE},
			&Unknown{PType: 200, Data: []byte("opaque")},
			&Encrypted{NextPayload: iana.PayloadIDi, Data: bytes.Repeat([]byte{0xee}, 48)},
		},
	}
}

func TestRoundTripEveryPayload(t *testing.T) {
	m := sampleMessage()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("decode(encode(m)) != m\n got %#v\nwant %#v", got, m)
	}
	again, err := got.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, b) {
		t.Fatal("encode(decode(b)) != b")
	}
}

func TestRoundTripFragmentPayloads(t *testing.T) {
	for _, p := range []Payload{
		&EncryptedFragment{NextPayload: iana.PayloadIDr, Number: 1, Total: 3, Data: []byte("iv-and-ciphertext")},
		&EncryptedFragment{Number: 3, Total: 3, Data: []byte("x")},
		&CiscoFragment{FragmentID: 1, Number: 1, Data: bytes.Repeat([]byte{1}, 100)},
		&CiscoFragment{FragmentID: 1, Number: 9, Last: true, Data: []byte{2}},
	} {
		m := &Message{Header: Header{SPIi: 1, SPIr: 2, Exchange: iana.IKE_AUTH, Flags: FlagResponse, MessageID: 1, Version: Version2}, Payloads: []Payload{p}}
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%T: %v", p, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%T: got %#v want %#v", p, got.Payloads[0], p)
		}
	}
}

func TestRecordedMessagesRoundTrip(t *testing.T) {
	sessions, err := recorded.All()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[iana.PayloadType]int{}
	for _, s := range sessions {
		for _, d := range s.IKEMessages() {
			m, err := Decode(d.Payload)
			if err != nil {
				t.Errorf("%s frame %d: %v", s.Name, d.Frame, err)
				continue
			}
			for _, p := range m.Payloads {
				seen[p.Type()]++
			}
			b, err := m.Encode()
			if err != nil {
				t.Errorf("%s frame %d: encode: %v", s.Name, d.Frame, err)
				continue
			}
			if !bytes.Equal(b, d.Payload) {
				t.Errorf("%s frame %d: re-encoding differs\n got %x\nwant %x", s.Name, d.Frame, b, d.Payload)
			}
		}
	}
	for _, p := range []iana.PayloadType{iana.PayloadSA, iana.PayloadKE, iana.PayloadNonce, iana.PayloadNotify, iana.PayloadSK, iana.PayloadSKF} {
		if seen[p] == 0 {
			t.Errorf("no %s payload in the recordings", p)
		}
	}
}

func TestTruncationsNeverPanic(t *testing.T) {
	b, err := sampleMessage().Encode()
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		cut := append([]byte(nil), b[:n]...)
		if n >= HeaderLen {
			// Keep the length field consistent so the payload walker runs.
			cut[24], cut[25], cut[26], cut[27] = 0, 0, byte(n>>8), byte(n)
		}
		if _, err := Decode(cut); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
}

func TestDecodeErrorsNamePayloadAndOffset(t *testing.T) {
	m := &Message{Header: Header{Exchange: iana.IKE_SA_INIT, Flags: FlagInitiator}, Payloads: []Payload{
		&Nonce{Data: make([]byte, 16)},
		&Notify{NotifyType: iana.COOKIE, Data: []byte{1, 2}},
	}}
	b, _ := m.Encode()
	// Make the notify's SPI size exceed its body: offset 28+20 is the
	// notify payload, +4 its body, +1 the SPI size octet.
	b[HeaderLen+20+4+1] = 50
	_, err := Decode(b)
	var de *DecodeError
	if !errors.As(err, &de) || de.Payload != iana.PayloadNotify || de.Offset != HeaderLen+20+4+1 {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "N payload at offset 53") {
		t.Errorf("message %q", err)
	}

	b, _ = m.Encode()
	b[HeaderLen+2], b[HeaderLen+3] = 0xff, 0xff // nonce length beyond the message
	if _, err = Decode(b); !errors.As(err, &de) || de.Payload != iana.PayloadNonce || de.Offset != HeaderLen {
		t.Fatalf("got %v", err)
	}

	b, _ = m.Encode()
	if _, err = Decode(append(b, 0)); !errors.As(err, &de) || de.Payload != iana.PayloadNone {
		t.Fatalf("extra byte: got %v", err)
	}
}

func TestUnknownPayloads(t *testing.T) {
	m := &Message{Header: Header{Exchange: iana.INFORMATIONAL}, Payloads: []Payload{
		&Unknown{PType: 250, Data: []byte("skip me")},
		&Nonce{Data: make([]byte, 16)},
	}}
	b, _ := m.Encode()
	got, err := Decode(b)
	if err != nil || len(got.Payloads) != 2 {
		t.Fatalf("non-critical unknown: %v %v", got, err)
	}

	m.Payloads[0].(*Unknown).Critical = true
	b, _ = m.Encode()
	got, err = Decode(b)
	var uc *UnsupportedCriticalPayloadError
	if !errors.As(err, &uc) || uc.Type != 250 || uc.Offset != HeaderLen {
		t.Fatalf("critical unknown: %v", err)
	}
	if got == nil || got.Exchange != iana.INFORMATIONAL {
		t.Fatal("the header must come back with an unsupported critical payload")
	}
}

func TestSKMustBeLast(t *testing.T) {
	m := &Message{Payloads: []Payload{&Encrypted{Data: []byte{1}}, &Nonce{Data: []byte{1}}}}
	if _, err := m.Encode(); err == nil {
		t.Fatal("encoding SK before another payload must fail")
	}
}

func TestSAValidation(t *testing.T) {
	sa := &SA{Proposals: []Proposal{{Number: 1, Protocol: iana.ProtoIKE, Transforms: []Transform{
		{Type: iana.TransformENCR, ID: uint16(iana.ENCR_AES_CBC), KeyLength: 128}, {Type: iana.TransformPRF, ID: uint16(iana.PRF_HMAC_SHA1)}}}}}
	b, _ := (&Message{Payloads: []Payload{sa}}).Encode()
	p := HeaderLen + 4 // proposal
	for name, mutate := range map[string]func(b []byte){
		"proposal marker":  func(b []byte) { b[p] = 1 },
		"transform count":  func(b []byte) { b[p+7] = 3 },
		"transform marker": func(b []byte) { b[p+8] = 0 },
		"SPI size":         func(b []byte) { b[p+6] = 200 },
		"attribute length": func(b []byte) { b[p+8+8] = 0; b[p+8+9] = 14; b[p+8+10] = 0; b[p+8+11] = 99 },
	} {
		c := append([]byte(nil), b...)
		mutate(c)
		var de *DecodeError
		if _, err := Decode(c); !errors.As(err, &de) || de.Payload != iana.PayloadSA {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestTrafficSelectorPrefixes(t *testing.T) {
	for _, c := range []struct{ start, end, want string }{
		{"0.0.0.0", "255.255.255.255", "[0.0.0.0/0]"},
		{"10.0.0.0", "10.0.0.255", "[10.0.0.0/24]"},
		{"10.0.0.1", "10.0.0.6", "[10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32]"},
		{"2001:db8::", "2001:db8::ffff", "[2001:db8::/112]"},
	} {
		ts := TrafficSelector{Start: netip.MustParseAddr(c.start), End: netip.MustParseAddr(c.end)}
		got := ts.Prefixes()
		if fmtPrefixes(got) != c.want {
			t.Errorf("%s-%s: got %v want %s", c.start, c.end, got, c.want)
		}
	}
}

func fmtPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestCPAttributeValues(t *testing.T) {
	a := PrefixAttr(INTERNAL_IP4_SUBNET, netip.MustParsePrefix("198.51.100.7/24"))
	if p, err := a.Prefix(); err != nil || p.String() != "198.51.100.0/24" {
		t.Errorf("v4 subnet: %v %v", p, err)
	}
	a = AddrPrefixAttr(INTERNAL_IP6_ADDRESS, netip.MustParsePrefix("2001:db8::5/64"))
	if p, err := a.Prefix(); err != nil || p.String() != "2001:db8::5/64" {
		t.Errorf("v6 address with prefix: %v %v", p, err)
	}
	bad := CPAttribute{AttrType: INTERNAL_IP4_SUBNET, Value: []byte{10, 0, 0, 0, 255, 0, 255, 0}}
	if _, err := bad.Prefix(); err == nil {
		t.Error("non-contiguous netmask accepted")
	}
}

func TestIDString(t *testing.T) {
	for _, c := range []struct {
		id   ID
		want string
	}{
		{ID{ID_IPV4_ADDR, []byte{192, 0, 2, 1}}, "192.0.2.1"},
		{ID{ID_FQDN, []byte("vpn.example.com")}, "vpn.example.com"},
		{ID{201, []byte("*$AnyConnectClient$*")}, "ID(201):*$AnyConnectClient$*"},
		{ID{ID_KEY_ID, []byte{0, 1}}, "\x00\x01"},
	} {
		if got := c.id.String(); got != c.want {
			t.Errorf("%v: got %q want %q", c.id, got, c.want)
		}
	}
}

func TestNames(t *testing.T) {
	for got, want := range map[string]string{
		iana.IKE_AUTH.String():                                 "IKE_AUTH",
		iana.NotifyType(16430).String():                        "IKEV2_FRAGMENTATION_SUPPORTED",
		iana.NotifyType(40963).String():                        "NOTIFY(40963)",
		iana.TransformName(iana.TransformENCR, 20):             "AES_GCM_16",
		iana.TransformName(iana.TransformDH, 31):               "CURVE25519",
		iana.TransformName(iana.TransformPRF, 99):              "PRF(99)",
		UNITY_SPLIT_INCLUDE.String():                           "UNITY_SPLIT_INCLUDE",
		iana.PayloadCiscoFragment.String():                     "CISCO_FRAGMENT",
		(Transform{iana.TransformENCR, 12, 256, nil}).String(): "ENCR_AES_CBC_256",
	} {
		if got != want {
			t.Errorf("got %q want %q", got, want)
		}
	}
}
