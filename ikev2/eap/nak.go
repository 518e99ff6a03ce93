package eap

import (
	"encoding/binary"
	"fmt"
)

// ExpandedType names a method in the expanded space of RFC 3748 section 5.7:
// a 24-bit Vendor-Id and a 32-bit Vendor-Type. Vendor VendorIETF with an
// ordinary Type number names that ordinary method.
type ExpandedType struct {
	VendorID   uint32
	VendorType uint32
}

func (e ExpandedType) String() string {
	if e.VendorID == VendorIETF && e.VendorType <= 0xFF {
		return Type(e.VendorType).String()
	}
	return fmt.Sprintf("Expanded(vendor=%d, type=%#x)", e.VendorID, e.VendorType)
}

// expandedNakType is the Vendor-Type of an Expanded Nak in the IETF vendor
// space (RFC 3748 section 5.3.2).
const expandedNakType = uint32(TypeNak)

// NewNak answers a Request of an unwanted ordinary Type with the legacy Nak
// of RFC 3748 section 5.3.1, proposing the given types instead. With none, it
// proposes type 0: no acceptable alternative. A peer that wants an expanded
// method proposes TypeExpanded here and is then offered one.
func NewNak(id uint8, want ...Type) *Packet {
	data := make([]byte, 0, max(len(want), 1))
	for _, t := range want {
		data = append(data, byte(t))
	}
	if len(data) == 0 {
		data = append(data, 0)
	}
	return newResponse(id, TypeNak, data)
}

// NewExpandedNak answers an expanded Request with the Expanded Nak of RFC
// 3748 section 5.3.2. With no alternatives it proposes vendor 0 type 0, which
// that section defines as "no alternative".
func NewExpandedNak(id uint8, want ...ExpandedType) *Packet {
	if len(want) == 0 {
		want = []ExpandedType{{}}
	}
	data := make([]byte, 0, 8*len(want))
	for _, w := range want {
		data = append(data, byte(TypeExpanded), byte(w.VendorID>>16), byte(w.VendorID>>8), byte(w.VendorID))
		data = binary.BigEndian.AppendUint32(data, w.VendorType)
	}
	return &Packet{Code: CodeResponse, Identifier: id, Type: TypeExpanded,
		VendorID: VendorIETF, VendorType: expandedNakType, Data: data}
}

// IsNak reports whether p is a legacy or expanded Nak.
func (p *Packet) IsNak() bool {
	return p.Code == CodeResponse && (p.Type == TypeNak ||
		p.Type == TypeExpanded && p.VendorID == VendorIETF && p.VendorType == expandedNakType)
}

// NakTypes returns the alternatives a Nak proposes, each mapped into the
// expanded space; an entry of vendor 0 type 0 means "no alternative".
func (p *Packet) NakTypes() ([]ExpandedType, error) {
	if !p.IsNak() {
		return nil, fmt.Errorf("eap: %v is not a Nak", p)
	}
	if len(p.Data) == 0 {
		return nil, fmt.Errorf("eap: %v: Nak proposes no type (section 5.3 requires at least one octet)", p)
	}
	var out []ExpandedType
	if p.Type == TypeNak {
		for _, t := range p.Data {
			out = append(out, ExpandedType{VendorID: VendorIETF, VendorType: uint32(t)})
		}
		return out, nil
	}
	if len(p.Data)%8 != 0 {
		return nil, fmt.Errorf("eap: %v: Expanded Nak data of %d bytes is not a multiple of 8", p, len(p.Data))
	}
	for off := 0; off < len(p.Data); off += 8 {
		e := p.Data[off : off+8]
		if Type(e[0]) != TypeExpanded {
			return nil, fmt.Errorf("eap: %v: Expanded Nak entry at offset %d has Type %d, want 254", p, expandedHeaderLen+off, e[0])
		}
		out = append(out, ExpandedType{
			VendorID:   uint32(e[1])<<16 | uint32(e[2])<<8 | uint32(e[3]),
			VendorType: binary.BigEndian.Uint32(e[4:8]),
		})
	}
	return out, nil
}
