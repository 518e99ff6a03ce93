package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// CP is the Configuration payload (RFC 7296 section 3.15).
type CP struct {
	CfgType    CfgType
	Attributes []CPAttribute
}

// CPAttribute is one configuration attribute. An empty Value in a request
// asks for that attribute.
type CPAttribute struct {
	AttrType CPAttrType // 15 bits; the reserved high bit is not kept
	Value    []byte
}

func (*CP) Type() iana.PayloadType { return iana.PayloadCP }

func (p *CP) appendBody(b []byte) ([]byte, error) {
	b = append(b, byte(p.CfgType), 0, 0, 0)
	for _, a := range p.Attributes {
		if a.AttrType > 0x7fff || len(a.Value) > 0xffff {
			return b, fmt.Errorf("attribute %s with %d bytes does not fit", a.AttrType, len(a.Value))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(a.AttrType))
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.Value)))
		b = append(b, a.Value...)
	}
	return b, nil
}

func decodeCP(b []byte, off int) (Payload, error) {
	if len(b) < 4 {
		return nil, errorf(iana.PayloadCP, off, "body of %d bytes, need at least 4", len(b))
	}
	p := &CP{CfgType: CfgType(b[0])}
	for pos := 4; pos < len(b); {
		if len(b)-pos < 4 {
			return nil, errorf(iana.PayloadCP, off+pos, "attribute header needs 4 bytes, %d left", len(b)-pos)
		}
		t := CPAttrType(binary.BigEndian.Uint16(b[pos:]) & 0x7fff)
		n := int(binary.BigEndian.Uint16(b[pos+2:]))
		if n > len(b)-pos-4 {
			return nil, errorf(iana.PayloadCP, off+pos, "attribute %s length %d exceeds the %d bytes left", t, n, len(b)-pos-4)
		}
		p.Attributes = append(p.Attributes, CPAttribute{AttrType: t, Value: clone(b[pos+4 : pos+4+n])})
		pos += 4 + n
	}
	return p, nil
}

// Addr returns the attribute's value as an address: the whole value for
// 4- and 16-byte values, and the address part of the 17-byte IPv6
// address-with-prefix form (INTERNAL_IP6_ADDRESS, INTERNAL_IP6_SUBNET).
func (a CPAttribute) Addr() (netip.Addr, error) {
	switch len(a.Value) {
	case 4, 16, 17:
		addr, _ := netip.AddrFromSlice(a.Value[:len(a.Value)&^1])
		return addr, nil
	}
	return netip.Addr{}, fmt.Errorf("ikev2: %s value of %d bytes is not an address", a.AttrType, len(a.Value))
}

// Prefix decodes the attribute as a network: INTERNAL_IP4_SUBNET and Cisco
// split includes are address|netmask (8 bytes), the IPv6 forms are
// address|prefix-length (17 bytes).
func (a CPAttribute) Prefix() (netip.Prefix, error) {
	switch len(a.Value) {
	case 8:
		addr := netip.AddrFrom4([4]byte(a.Value[:4]))
		bits, ok := maskBits(a.Value[4:])
		if !ok {
			return netip.Prefix{}, fmt.Errorf("ikev2: %s netmask %x is not contiguous", a.AttrType, a.Value[4:])
		}
		return netip.PrefixFrom(addr, bits), nil
	case 17:
		addr := netip.AddrFrom16([16]byte(a.Value[:16]))
		if a.Value[16] > 128 {
			return netip.Prefix{}, fmt.Errorf("ikev2: %s prefix length %d", a.AttrType, a.Value[16])
		}
		return netip.PrefixFrom(addr, int(a.Value[16])), nil
	}
	return netip.Prefix{}, fmt.Errorf("ikev2: %s value of %d bytes is not a network", a.AttrType, len(a.Value))
}

// maskBits converts a contiguous netmask to its prefix length.
func maskBits(m []byte) (int, bool) {
	bits, seenZero := 0, false
	for _, c := range m {
		for i := 7; i >= 0; i-- {
			if c&(1<<i) != 0 {
				if seenZero {
					return 0, false
				}
				bits++
			} else {
				seenZero = true
			}
		}
	}
	return bits, true
}

// AddrAttr builds an attribute carrying an address.
func AddrAttr(t CPAttrType, a netip.Addr) CPAttribute {
	return CPAttribute{AttrType: t, Value: a.AsSlice()}
}

// AddrPrefixAttr builds an INTERNAL_IP6_ADDRESS-style attribute: an
// address with its prefix length, the host part kept (RFC 7296 3.15.1).
func AddrPrefixAttr(t CPAttrType, p netip.Prefix) CPAttribute {
	return CPAttribute{AttrType: t, Value: append(p.Addr().AsSlice(), byte(p.Bits()))}
}

// PrefixAttr builds an attribute carrying a network in the form its family
// uses: address|netmask for IPv4, address|prefix-length for IPv6.
func PrefixAttr(t CPAttrType, p netip.Prefix) CPAttribute {
	p = p.Masked()
	v := p.Addr().AsSlice()
	if p.Addr().Is4() {
		mask := make([]byte, 4)
		for i := 0; i < p.Bits(); i++ {
			mask[i/8] |= 0x80 >> (i % 8)
		}
		v = append(v, mask...)
	} else {
		v = append(v, byte(p.Bits()))
	}
	return CPAttribute{AttrType: t, Value: v}
}
