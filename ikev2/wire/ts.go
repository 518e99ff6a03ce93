package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// TrafficSelectors is the body of a TSi or TSr payload (RFC 7296 section 3.13).
type TrafficSelectors struct {
	Selectors []TrafficSelector
}

// TSi is the initiator's Traffic Selector payload.
type TSi struct{ TrafficSelectors }

// TSr is the responder's Traffic Selector payload.
type TSr struct{ TrafficSelectors }

func (*TSi) Type() iana.PayloadType { return iana.PayloadTSi }
func (*TSr) Type() iana.PayloadType { return iana.PayloadTSr }

// TrafficSelector is one selector: an address range, a port range and an IP
// protocol (0 = any). Selectors of a type other than IPv4 or IPv6 keep their
// body in Raw.
type TrafficSelector struct {
	TSType     TSType
	IPProtocol uint8
	StartPort  uint16
	EndPort    uint16
	Start, End netip.Addr
	Raw        []byte // the selector after its 4-byte header, for unknown types
}

const tsHeaderLen = 8 // type, protocol, length, start port, end port

// PrefixTS returns the selector for every address in p, with all ports and
// protocols.
func PrefixTS(p netip.Prefix) TrafficSelector {
	p = p.Masked()
	start := p.Addr()
	end := lastAddr(p)
	t := TS_IPV4_ADDR_RANGE
	if start.Is6() {
		t = TS_IPV6_ADDR_RANGE
	}
	return TrafficSelector{TSType: t, StartPort: 0, EndPort: 0xffff, Start: start, End: end}
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().AsSlice()
	for i := range a {
		bits := p.Bits() - i*8
		switch {
		case bits >= 8:
		case bits <= 0:
			a[i] = 0xff
		default:
			a[i] |= 0xff >> bits
		}
	}
	end, _ := netip.AddrFromSlice(a)
	return end
}

// Prefixes returns the smallest list of prefixes that covers exactly the
// selector's address range (ignoring ports and protocol).
func (t TrafficSelector) Prefixes() []netip.Prefix {
	if !t.Start.IsValid() || !t.End.IsValid() || t.End.Less(t.Start) {
		return nil
	}
	var out []netip.Prefix
	bits := t.Start.BitLen()
	for cur := t.Start; ; {
		// Widen the prefix at cur while it stays aligned and within End.
		n := bits
		for n > 0 {
			p := netip.PrefixFrom(cur, n-1)
			if p.Masked().Addr() != cur || lastAddr(p).Compare(t.End) > 0 {
				break
			}
			n--
		}
		p := netip.PrefixFrom(cur, n)
		out = append(out, p)
		last := lastAddr(p)
		if last == t.End {
			return out
		}
		cur = last.Next()
	}
}

func (t TrafficSelector) String() string {
	if !t.Start.IsValid() {
		return fmt.Sprintf("%s(%x)", t.TSType, t.Raw)
	}
	s := t.Start.String() + "-" + t.End.String()
	if ps := t.Prefixes(); len(ps) == 1 {
		s = ps[0].String()
	}
	if t.IPProtocol != 0 || t.StartPort != 0 || t.EndPort != 0xffff {
		s += fmt.Sprintf("[proto %d port %d-%d]", t.IPProtocol, t.StartPort, t.EndPort)
	}
	return s
}

func (p *TrafficSelectors) appendBody(b []byte) ([]byte, error) {
	if len(p.Selectors) > 0xff {
		return b, fmt.Errorf("%d traffic selectors, more than 255", len(p.Selectors))
	}
	b = append(b, byte(len(p.Selectors)), 0, 0, 0)
	for i, t := range p.Selectors {
		start := len(b)
		b = append(b, byte(t.TSType), t.IPProtocol, 0, 0)
		switch t.TSType {
		case TS_IPV4_ADDR_RANGE, TS_IPV6_ADDR_RANGE:
			want := 4
			if t.TSType == TS_IPV6_ADDR_RANGE {
				want = 16
			}
			if t.Start.BitLen() != want*8 || t.End.BitLen() != want*8 {
				return b, fmt.Errorf("selector %d: %s with addresses %s and %s", i, t.TSType, t.Start, t.End)
			}
			b = binary.BigEndian.AppendUint16(b, t.StartPort)
			b = binary.BigEndian.AppendUint16(b, t.EndPort)
			b = append(b, t.Start.AsSlice()...)
			b = append(b, t.End.AsSlice()...)
		default:
			b = append(b, t.Raw...)
		}
		if len(b)-start > 0xffff {
			return b, fmt.Errorf("selector %d of %d bytes", i, len(b)-start)
		}
		binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	}
	return b, nil
}

func decodeTS(pt iana.PayloadType, b []byte, off int) (TrafficSelectors, error) {
	var ts TrafficSelectors
	if len(b) < 4 {
		return ts, errorf(pt, off, "body of %d bytes, need at least 4", len(b))
	}
	n := int(b[0])
	pos := 4
	for i := 0; i < n; i++ {
		at := off + pos
		if len(b)-pos < 4 {
			return ts, errorf(pt, at, "selector %d of %d: %d bytes left, need 4", i+1, n, len(b)-pos)
		}
		t := TrafficSelector{TSType: TSType(b[pos]), IPProtocol: b[pos+1]}
		length := int(binary.BigEndian.Uint16(b[pos+2:]))
		if length < 4 || length > len(b)-pos {
			return ts, errorf(pt, at, "selector length %d outside 4..%d", length, len(b)-pos)
		}
		sel := b[pos : pos+length]
		switch t.TSType {
		case TS_IPV4_ADDR_RANGE, TS_IPV6_ADDR_RANGE:
			alen := 4
			if t.TSType == TS_IPV6_ADDR_RANGE {
				alen = 16
			}
			if length != tsHeaderLen+2*alen {
				return ts, errorf(pt, at, "%s selector of %d bytes, want %d", t.TSType, length, tsHeaderLen+2*alen)
			}
			t.StartPort = binary.BigEndian.Uint16(sel[4:])
			t.EndPort = binary.BigEndian.Uint16(sel[6:])
			t.Start, _ = netip.AddrFromSlice(sel[8 : 8+alen])
			t.End, _ = netip.AddrFromSlice(sel[8+alen:])
		default:
			t.Raw = clone(sel[4:])
		}
		ts.Selectors = append(ts.Selectors, t)
		pos += length
	}
	if pos != len(b) {
		return ts, errorf(pt, off+pos, "%d bytes after the %d selectors announced", len(b)-pos, n)
	}
	return ts, nil
}
