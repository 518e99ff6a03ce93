package anyconnect

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// The method's place in the expanded space of RFC 3748 section 5.7 [RE].
const (
	VendorCisco = 9          // IANA enterprise number of Cisco, 3 bytes 00 00 09
	VendorType  = 0x44425250 // "DBRP"
)

// MethodType is the expanded type of EAP-AnyConnect.
var MethodType = eap.ExpandedType{VendorID: VendorCisco, VendorType: VendorType}

// TLVType is the Type of an EAP-AnyConnect TLV.
type TLVType uint16

const (
	TLVXML       TLVType = 0 // config-auth XML document, UTF-8, in every message
	TLVSignature TLVType = 1 // signature for certificate authentication inside EAP
	TLVCertChain TLVType = 3 // PKCS#7 degenerate SignedData, leaf certificate first
)

var tlvNames = map[TLVType]string{TLVXML: "XML", TLVSignature: "signature", TLVCertChain: "PKCS#7 chain"}

func (t TLVType) String() string {
	if s, ok := tlvNames[t]; ok {
		return s
	}
	return "TLV(" + strconv.Itoa(int(t)) + ")"
}

// TLV is one EAP-AnyConnect TLV: Type(2) Length(2, of Value only) Value.
type TLV struct {
	Type  TLVType
	Value []byte
}

const tlvHeaderLen = 4

// Message is an EAP-AnyConnect Request or Response split into its header
// fields and TLVs, in wire order. Unknown TLV types are kept, so decoding
// and encoding again yields the same bytes.
type Message struct {
	Code       eap.Code
	Identifier uint8
	TLVs       []TLV
}

// Decode decodes a whole EAP packet holding EAP-AnyConnect.
func Decode(b []byte) (*Message, error) {
	p, err := eap.Decode(b)
	if err != nil {
		return nil, err
	}
	return FromPacket(p)
}

// FromPacket splits an already decoded packet into its TLVs. Values alias
// p.Data.
func FromPacket(p *eap.Packet) (*Message, error) {
	if (p.Code != eap.CodeRequest && p.Code != eap.CodeResponse) || p.Expanded() != MethodType {
		return nil, fmt.Errorf("eap: %v is not EAP-AnyConnect (%v)", p, MethodType)
	}
	// The TLVs follow the 12-byte expanded header.
	tlvs, err := DecodeTLVs(p.Data, p.Len()-len(p.Data))
	if err != nil {
		return nil, err
	}
	return &Message{Code: p.Code, Identifier: p.Identifier, TLVs: tlvs}, nil
}

// DecodeTLVs parses a sequence of EAP-AnyConnect TLVs that fill b exactly.
// base is the offset of b inside the EAP packet, used only in errors.
func DecodeTLVs(b []byte, base int) ([]TLV, error) {
	var tlvs []TLV
	for off := 0; off < len(b); {
		rest := len(b) - off
		if rest < tlvHeaderLen {
			return nil, fmt.Errorf("eap: AnyConnect TLV at offset %d: %d bytes left, a TLV header needs %d", base+off, rest, tlvHeaderLen)
		}
		t := TLVType(binary.BigEndian.Uint16(b[off:]))
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		if n > rest-tlvHeaderLen {
			return nil, fmt.Errorf("eap: AnyConnect TLV %v at offset %d: length %d exceeds remaining %d bytes", t, base+off, n, rest-tlvHeaderLen)
		}
		off += tlvHeaderLen
		tlvs = append(tlvs, TLV{Type: t, Value: b[off : off+n : off+n]})
		off += n
	}
	return tlvs, nil
}

// AppendTLVs appends the wire form of tlvs to dst.
func AppendTLVs(dst []byte, tlvs []TLV) ([]byte, error) {
	for i, t := range tlvs {
		if len(t.Value) > 0xFFFF {
			return nil, fmt.Errorf("eap: AnyConnect TLV #%d (%v): value of %d bytes exceeds 65535", i, t.Type, len(t.Value))
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(t.Type))
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Value)))
		dst = append(dst, t.Value...)
	}
	return dst, nil
}

// Packet builds the EAP packet carrying m.
func (m *Message) Packet() (*eap.Packet, error) {
	data, err := AppendTLVs(nil, m.TLVs)
	if err != nil {
		return nil, err
	}
	return &eap.Packet{Code: m.Code, Identifier: m.Identifier, Type: eap.TypeExpanded,
		VendorID: VendorCisco, VendorType: VendorType, Data: data}, nil
}

// Encode returns the whole EAP packet carrying m.
func (m *Message) Encode() ([]byte, error) {
	p, err := m.Packet()
	if err != nil {
		return nil, err
	}
	return p.Encode()
}

// Find returns the value of the first TLV of type t.
func (m *Message) Find(t TLVType) ([]byte, bool) {
	for _, tlv := range m.TLVs {
		if tlv.Type == t {
			return tlv.Value, true
		}
	}
	return nil, false
}

// XML returns the config-auth document of TLV 0, or nil when absent.
func (m *Message) XML() []byte {
	v, _ := m.Find(TLVXML)
	return v
}
