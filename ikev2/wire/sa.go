package wire

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// SA is the Security Association payload (RFC 7296 section 3.3).
type SA struct {
	Proposals []Proposal
}

// Proposal is one proposal substructure.
type Proposal struct {
	Number     uint8
	Protocol   iana.ProtocolID
	SPI        []byte // empty in IKE_SA_INIT, 8 bytes for IKE rekeys, 4 for ESP/AH
	Transforms []Transform
}

// Transform is one transform substructure.
type Transform struct {
	Type iana.TransformType
	ID   uint16
	// KeyLength is the Key Length attribute in bits (0 when absent).
	KeyLength uint16
	// Attributes holds any other attributes, as received.
	Attributes []TransformAttribute
}

// TransformAttribute is a data attribute other than Key Length. TV
// attributes (the AF bit set) carry exactly two bytes of value.
type TransformAttribute struct {
	Type  uint16 // without the AF bit
	TV    bool
	Value []byte
}

// Substructure "last" markers (RFC 7296 sections 3.3.1 and 3.3.2).
const (
	lastSubstruc     = 0
	moreProposals    = 2
	moreTransforms   = 3
	proposalHdrLen   = 8
	transformHdrLen  = 8
	attrFormatTV     = 0x8000
	attrHeaderLength = 4
)

func (*SA) Type() iana.PayloadType { return iana.PayloadSA }

func (p *SA) appendBody(b []byte) ([]byte, error) {
	for i := range p.Proposals {
		var err error
		if b, err = p.Proposals[i].append(b, i == len(p.Proposals)-1); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (pr *Proposal) append(b []byte, last bool) ([]byte, error) {
	if len(pr.Transforms) > 0xff {
		return b, fmt.Errorf("proposal %d has %d transforms, more than 255", pr.Number, len(pr.Transforms))
	}
	if len(pr.SPI) > 0xff {
		return b, fmt.Errorf("proposal %d has an SPI of %d bytes", pr.Number, len(pr.SPI))
	}
	start := len(b)
	marker := byte(moreProposals)
	if last {
		marker = lastSubstruc
	}
	b = append(b, marker, 0, 0, 0, pr.Number, byte(pr.Protocol), byte(len(pr.SPI)), byte(len(pr.Transforms)))
	b = append(b, pr.SPI...)
	for i := range pr.Transforms {
		var err error
		if b, err = pr.Transforms[i].append(b, i == len(pr.Transforms)-1); err != nil {
			return b, err
		}
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(min(len(b)-start, 0xffff)))
	return b, nil
}

func (t *Transform) append(b []byte, last bool) ([]byte, error) {
	start := len(b)
	marker := byte(moreTransforms)
	if last {
		marker = lastSubstruc
	}
	b = append(b, marker, 0, 0, 0, byte(t.Type), 0)
	b = binary.BigEndian.AppendUint16(b, t.ID)
	if t.KeyLength != 0 {
		b = binary.BigEndian.AppendUint16(b, attrFormatTV|AttrKeyLength)
		b = binary.BigEndian.AppendUint16(b, t.KeyLength)
	}
	for _, a := range t.Attributes {
		if a.TV {
			if len(a.Value) != 2 {
				return b, fmt.Errorf("TV attribute %d with a %d-byte value", a.Type, len(a.Value))
			}
			b = binary.BigEndian.AppendUint16(b, attrFormatTV|a.Type)
		} else {
			if len(a.Value) > 0xffff {
				return b, fmt.Errorf("attribute %d of %d bytes", a.Type, len(a.Value))
			}
			b = binary.BigEndian.AppendUint16(b, a.Type&^attrFormatTV)
			b = binary.BigEndian.AppendUint16(b, uint16(len(a.Value)))
		}
		b = append(b, a.Value...)
	}
	if len(b)-start > 0xffff {
		return b, fmt.Errorf("transform of %d bytes", len(b)-start)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b, nil
}

func decodeSA(b []byte, off int) (Payload, error) {
	sa := &SA{}
	for pos := 0; pos < len(b); {
		at := off + pos
		if len(b)-pos < proposalHdrLen {
			return nil, errorf(iana.PayloadSA, at, "proposal header needs 8 bytes, %d left", len(b)-pos)
		}
		h := b[pos:]
		length := int(binary.BigEndian.Uint16(h[2:]))
		if length < proposalHdrLen || length > len(b)-pos {
			return nil, errorf(iana.PayloadSA, at, "proposal length %d outside 8..%d", length, len(b)-pos)
		}
		last := h[0] == lastSubstruc
		if !last && h[0] != moreProposals {
			return nil, errorf(iana.PayloadSA, at, "proposal marker %d, want 0 or 2", h[0])
		}
		pr := Proposal{Number: h[4], Protocol: iana.ProtocolID(h[5])}
		spiSize, nTrans := int(h[6]), int(h[7])
		if proposalHdrLen+spiSize > length {
			return nil, errorf(iana.PayloadSA, at+6, "SPI size %d exceeds the proposal", spiSize)
		}
		pr.SPI = clone(h[proposalHdrLen : proposalHdrLen+spiSize])
		var err error
		pr.Transforms, err = decodeTransforms(h[proposalHdrLen+spiSize:length], at+proposalHdrLen+spiSize, nTrans)
		if err != nil {
			return nil, err
		}
		sa.Proposals = append(sa.Proposals, pr)
		pos += length
		if last != (pos == len(b)) {
			return nil, errorf(iana.PayloadSA, at, "proposal marker says last=%v but %d bytes follow", last, len(b)-pos)
		}
	}
	return sa, nil
}

func decodeTransforms(b []byte, off int, n int) ([]Transform, error) {
	ts := make([]Transform, 0, min(n, len(b)/transformHdrLen))
	pos := 0
	for i := 0; i < n; i++ {
		at := off + pos
		if len(b)-pos < transformHdrLen {
			return nil, errorf(iana.PayloadSA, at, "transform %d of %d: header needs 8 bytes, %d left", i+1, n, len(b)-pos)
		}
		h := b[pos:]
		length := int(binary.BigEndian.Uint16(h[2:]))
		if length < transformHdrLen || length > len(b)-pos {
			return nil, errorf(iana.PayloadSA, at, "transform length %d outside 8..%d", length, len(b)-pos)
		}
		last := i == n-1
		if want := byte(moreTransforms); last {
			want = lastSubstruc
			if h[0] != want {
				return nil, errorf(iana.PayloadSA, at, "last transform has marker %d, want 0", h[0])
			}
		} else if h[0] != want {
			return nil, errorf(iana.PayloadSA, at, "transform %d of %d has marker %d, want 3", i+1, n, h[0])
		}
		t := Transform{Type: iana.TransformType(h[4]), ID: binary.BigEndian.Uint16(h[6:])}
		if err := t.decodeAttributes(h[transformHdrLen:length], at+transformHdrLen); err != nil {
			return nil, err
		}
		ts = append(ts, t)
		pos += length
	}
	if pos != len(b) {
		return nil, errorf(iana.PayloadSA, off+pos, "%d bytes after the %d transforms the proposal announced", len(b)-pos, n)
	}
	return ts, nil
}

func (t *Transform) decodeAttributes(b []byte, off int) error {
	for pos := 0; pos < len(b); {
		if len(b)-pos < attrHeaderLength {
			return errorf(iana.PayloadSA, off+pos, "transform attribute needs 4 bytes, %d left", len(b)-pos)
		}
		typ := binary.BigEndian.Uint16(b[pos:])
		if typ&attrFormatTV != 0 {
			typ &^= attrFormatTV
			v := b[pos+2 : pos+4]
			// Key Length goes to its own field when it comes first and is
			// non-zero; anything else stays raw so that the bytes round-trip.
			if typ == AttrKeyLength && t.KeyLength == 0 && len(t.Attributes) == 0 && v[0]|v[1] != 0 {
				t.KeyLength = binary.BigEndian.Uint16(v)
			} else {
				t.Attributes = append(t.Attributes, TransformAttribute{Type: typ, TV: true, Value: clone(v)})
			}
			pos += attrHeaderLength
			continue
		}
		n := int(binary.BigEndian.Uint16(b[pos+2:]))
		if n > len(b)-pos-attrHeaderLength {
			return errorf(iana.PayloadSA, off+pos, "attribute %d length %d exceeds the %d bytes left", typ, n, len(b)-pos-attrHeaderLength)
		}
		t.Attributes = append(t.Attributes, TransformAttribute{Type: typ, Value: clone(b[pos+4 : pos+4+n])})
		pos += attrHeaderLength + n
	}
	return nil
}

// String renders a transform like "ENCR_AES_CBC_256" or "PRF_HMAC_SHA1".
func (t Transform) String() string {
	s := t.Type.String() + "_" + iana.TransformName(t.Type, t.ID)
	if t.KeyLength != 0 {
		s += fmt.Sprintf("_%d", t.KeyLength)
	}
	return s
}

// String renders a proposal like "ESP:ENCR_AES_GCM_16_256/ESN_NO_ESN".
func (pr Proposal) String() string {
	parts := make([]string, len(pr.Transforms))
	for i, t := range pr.Transforms {
		parts[i] = t.String()
	}
	return fmt.Sprintf("%s:%s", pr.Protocol, strings.Join(parts, "/"))
}
