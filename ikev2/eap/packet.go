package eap

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Code is the EAP packet Code (RFC 3748 section 4).
type Code uint8

const (
	CodeRequest  Code = 1
	CodeResponse Code = 2
	CodeSuccess  Code = 3
	CodeFailure  Code = 4
)

var codeNames = map[Code]string{
	CodeRequest: "Request", CodeResponse: "Response", CodeSuccess: "Success", CodeFailure: "Failure",
}

func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

// Type is the EAP method Type of a Request or Response (RFC 3748 section 5).
type Type uint8

const (
	TypeIdentity     Type = 1
	TypeNotification Type = 2
	TypeNak          Type = 3 // legacy Nak, Response only
	TypeMD5Challenge Type = 4
	TypeGTC          Type = 6
	TypeMSCHAPv2     Type = 26
	TypeExpanded     Type = 254 // RFC 3748 section 5.7
)

var typeNames = map[Type]string{
	TypeIdentity: "Identity", TypeNotification: "Notification", TypeNak: "Nak",
	TypeMD5Challenge: "MD5-Challenge", TypeGTC: "GTC", TypeMSCHAPv2: "MSCHAPv2",
	TypeExpanded: "Expanded",
}

func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Sizes of the fixed parts of a packet.
const (
	headerLen         = 4             // Code, Identifier, Length
	typedHeaderLen    = headerLen + 1 // ... Type
	expandedHeaderLen = headerLen + 8 // ... Type 254, Vendor-Id(3), Vendor-Type(4)
	maxVendorID       = 1<<24 - 1
)

// VendorIETF is the Vendor-Id of the IETF namespace in expanded types; with
// it, Vendor-Type carries an ordinary method Type (RFC 3748 section 5.7).
const VendorIETF = 0

// Packet is one EAP packet (RFC 3748 section 4).
//
// Type, VendorID, VendorType and Data are only meaningful for Requests and
// Responses; Success and Failure carry none of them. VendorID and VendorType
// are used only when Type is TypeExpanded.
type Packet struct {
	Code       Code
	Identifier uint8
	Type       Type
	VendorID   uint32 // 24 bits on the wire
	VendorType uint32
	Data       []byte // Type-Data, after the (possibly expanded) type header
}

// Expanded reports the packet's method as an ExpandedType, mapping an
// ordinary Type into the IETF vendor space.
func (p *Packet) Expanded() ExpandedType {
	if p.Type == TypeExpanded {
		return ExpandedType{VendorID: p.VendorID, VendorType: p.VendorType}
	}
	return ExpandedType{VendorID: VendorIETF, VendorType: uint32(p.Type)}
}

func (p *Packet) hasType() bool { return p.Code == CodeRequest || p.Code == CodeResponse }

func (p *Packet) typeHeaderLen() int {
	switch {
	case !p.hasType():
		return headerLen
	case p.Type == TypeExpanded:
		return expandedHeaderLen
	default:
		return typedHeaderLen
	}
}

// Len returns the packet's encoded length, the value of its Length field.
func (p *Packet) Len() int { return p.typeHeaderLen() + len(p.Data) }

func (p *Packet) String() string {
	if !p.hasType() {
		return fmt.Sprintf("EAP %v id=%d", p.Code, p.Identifier)
	}
	if p.Type == TypeExpanded {
		return fmt.Sprintf("EAP %v id=%d %v len=%d", p.Code, p.Identifier, p.Expanded(), len(p.Data))
	}
	return fmt.Sprintf("EAP %v id=%d %v len=%d", p.Code, p.Identifier, p.Type, len(p.Data))
}

// Decode parses one EAP packet from b.
//
// The Length field must fit in b. Octets after Length are ignored: RFC 3748
// section 4.1 calls them data-link padding that MUST be ignored on reception.
// Inside Length the codec is exact, so Encode reproduces b[:Length].
// Success and Failure must be exactly 4 octets (section 4.2). Data aliases b.
func Decode(b []byte) (*Packet, error) {
	if len(b) < headerLen {
		return nil, fmt.Errorf("eap: packet of %d bytes is shorter than the %d-byte header", len(b), headerLen)
	}
	p := &Packet{Code: Code(b[0]), Identifier: b[1]}
	length := int(binary.BigEndian.Uint16(b[2:4]))
	if length > len(b) {
		return nil, fmt.Errorf("eap: %v id=%d: Length %d exceeds the %d bytes available", p.Code, p.Identifier, length, len(b))
	}
	if length < headerLen {
		return nil, fmt.Errorf("eap: %v id=%d: Length %d is shorter than the %d-byte header", p.Code, p.Identifier, length, headerLen)
	}
	b = b[:length]
	switch p.Code {
	case CodeSuccess, CodeFailure:
		if length != headerLen {
			return nil, fmt.Errorf("eap: %v id=%d: Length %d, want %d (section 4.2 allows no data)", p.Code, p.Identifier, length, headerLen)
		}
		return p, nil
	case CodeRequest, CodeResponse:
	default:
		return nil, fmt.Errorf("eap: unknown Code %d at offset 0", byte(p.Code))
	}
	if length < typedHeaderLen {
		return nil, fmt.Errorf("eap: %v id=%d: Length %d leaves no room for the Type at offset 4", p.Code, p.Identifier, length)
	}
	p.Type = Type(b[4])
	if p.Type != TypeExpanded {
		p.Data = b[typedHeaderLen:]
		return p, nil
	}
	if length < expandedHeaderLen {
		return nil, fmt.Errorf("eap: %v id=%d: expanded type needs %d bytes, Length is %d", p.Code, p.Identifier, expandedHeaderLen, length)
	}
	p.VendorID = uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
	p.VendorType = binary.BigEndian.Uint32(b[8:12])
	p.Data = b[expandedHeaderLen:]
	return p, nil
}

// Encode returns the packet's wire form.
func (p *Packet) Encode() ([]byte, error) {
	return p.AppendEncode(nil)
}

// AppendEncode appends the packet's wire form to dst.
func (p *Packet) AppendEncode(dst []byte) ([]byte, error) {
	n := p.Len()
	if n > 0xFFFF {
		return nil, fmt.Errorf("eap: %v: encoded length %d exceeds 65535", p, n)
	}
	if p.hasType() && p.Type == TypeExpanded && p.VendorID > maxVendorID {
		return nil, fmt.Errorf("eap: %v: Vendor-Id %#x does not fit in 24 bits", p, p.VendorID)
	}
	if !p.hasType() && len(p.Data) > 0 {
		return nil, fmt.Errorf("eap: %v: carries %d bytes of data, section 4.2 allows none", p, len(p.Data))
	}
	dst = append(dst, byte(p.Code), p.Identifier)
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	if !p.hasType() {
		return dst, nil
	}
	dst = append(dst, byte(p.Type))
	if p.Type == TypeExpanded {
		dst = append(dst, byte(p.VendorID>>16), byte(p.VendorID>>8), byte(p.VendorID))
		dst = binary.BigEndian.AppendUint32(dst, p.VendorType)
	}
	return append(dst, p.Data...), nil
}

// NewSuccess returns an EAP-Success. RFC 3748 section 4.2: its Identifier
// matches the Response it answers.
func NewSuccess(id uint8) *Packet { return &Packet{Code: CodeSuccess, Identifier: id} }

// NewFailure returns an EAP-Failure with the given Identifier.
func NewFailure(id uint8) *Packet { return &Packet{Code: CodeFailure, Identifier: id} }

// newRequest and newResponse build packets of an ordinary method type.
func newRequest(id uint8, t Type, data []byte) *Packet {
	return &Packet{Code: CodeRequest, Identifier: id, Type: t, Data: data}
}

func newResponse(id uint8, t Type, data []byte) *Packet {
	return &Packet{Code: CodeResponse, Identifier: id, Type: t, Data: data}
}
