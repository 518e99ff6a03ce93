package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// Payload is one IKEv2 payload. The concrete types are the pointer types of
// this package (*SA, *KE, *Notify, ...); Unknown holds any other type.
type Payload interface {
	Type() iana.PayloadType
	// appendBody appends the payload body: what follows the 4-byte generic
	// payload header.
	appendBody(b []byte) ([]byte, error)
}

// genericHeaderLen is the length of the generic payload header.
const genericHeaderLen = 4

// maxPayloadLen is the largest payload the 16-bit length field can carry.
const maxPayloadLen = 0xffff

// critical is the Critical bit of the generic payload header.
const critical = 0x80

// Message is a whole IKEv2 message: the header and its payloads in order.
type Message struct {
	Header
	Payloads []Payload
}

// Decode parses one IKEv2 message (without a non-ESP marker). On an
// *UnsupportedCriticalPayloadError the returned message still holds the
// header, so a responder can answer.
func Decode(b []byte) (*Message, error) {
	h, err := DecodeHeader(b)
	if err != nil {
		return nil, err
	}
	m := &Message{Header: h}
	m.Payloads, err = decodeChain(h.NextPayload, b[HeaderLen:], HeaderLen)
	if err != nil {
		return m, err
	}
	return m, nil
}

// DecodePayloads parses a chain of payloads starting with type first, such
// as the decrypted contents of an SK payload. Offsets in errors count from
// the start of b.
func DecodePayloads(first iana.PayloadType, b []byte) ([]Payload, error) {
	return decodeChain(first, b, 0)
}

// Encode returns the wire form of m, with NextPayload and Length computed.
func (m *Message) Encode() ([]byte, error) { return m.AppendEncode(nil) }

// AppendEncode appends the wire form of m to dst.
func (m *Message) AppendEncode(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = appendHeader(dst, &m.Header, iana.PayloadNone, 0)
	dst, first, err := AppendPayloads(dst, m.Payloads)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - start
	if uint64(n) > 0xffffffff {
		return dst[:start], fmt.Errorf("ikev2: message of %d bytes is too long", n)
	}
	dst[start+16] = byte(first)
	binary.BigEndian.PutUint32(dst[start+24:], uint32(n))
	m.NextPayload, m.Length = first, uint32(n)
	return dst, nil
}

// AppendPayloads appends the chain of payloads ps to dst and returns the
// type of the first one (PayloadNone for an empty chain). An SK or SKF
// payload must be the last: its Next Payload field names its first inner
// payload instead (RFC 7296 section 3.14).
func AppendPayloads(dst []byte, ps []Payload) ([]byte, iana.PayloadType, error) {
	for i, p := range ps {
		next := iana.PayloadNone
		switch e := p.(type) {
		case *Encrypted:
			next = e.NextPayload
		case *EncryptedFragment:
			next = e.NextPayload
		}
		if i+1 < len(ps) {
			if isEncrypted(p.Type()) {
				return dst, iana.PayloadNone, fmt.Errorf("ikev2: %s payload must be the last payload", p.Type())
			}
			next = ps[i+1].Type()
		}
		start := len(dst)
		flags := byte(0)
		if u, ok := p.(*Unknown); ok && u.Critical {
			flags = critical
		}
		dst = append(dst, byte(next), flags, 0, 0)
		var err error
		if dst, err = p.appendBody(dst); err != nil {
			return dst[:start], iana.PayloadNone, fmt.Errorf("ikev2: encoding %s payload: %w", p.Type(), err)
		}
		n := len(dst) - start
		if n > maxPayloadLen {
			return dst[:start], iana.PayloadNone, fmt.Errorf("ikev2: %s payload of %d bytes exceeds the 16-bit length field", p.Type(), n)
		}
		binary.BigEndian.PutUint16(dst[start+2:], uint16(n))
	}
	if len(ps) == 0 {
		return dst, iana.PayloadNone, nil
	}
	return dst, ps[0].Type(), nil
}

func isEncrypted(t iana.PayloadType) bool { return t == iana.PayloadSK || t == iana.PayloadSKF }

// bodyDecoder parses a payload body; off is the body's offset for errors.
type bodyDecoder func(body []byte, off int) (Payload, error)

var decoders map[iana.PayloadType]bodyDecoder

func init() {
	decoders = map[iana.PayloadType]bodyDecoder{
		iana.PayloadSA: decodeSA,
		iana.PayloadKE: decodeKE,
		iana.PayloadIDi: func(b []byte, off int) (Payload, error) {
			id, err := decodeID(iana.PayloadIDi, b, off)
			return &IDi{id}, err
		},
		iana.PayloadIDr: func(b []byte, off int) (Payload, error) {
			id, err := decodeID(iana.PayloadIDr, b, off)
			return &IDr{id}, err
		},
		iana.PayloadCERT:    decodeCert,
		iana.PayloadCERTREQ: decodeCertReq,
		iana.PayloadAUTH:    decodeAuth,
		iana.PayloadNonce:   func(b []byte, _ int) (Payload, error) { return &Nonce{Data: clone(b)}, nil },
		iana.PayloadNotify:  decodeNotify,
		iana.PayloadDelete:  decodeDelete,
		iana.PayloadVendor:  func(b []byte, _ int) (Payload, error) { return &VendorID{Data: clone(b)}, nil },
		iana.PayloadTSi: func(b []byte, off int) (Payload, error) {
			ts, err := decodeTS(iana.PayloadTSi, b, off)
			return &TSi{ts}, err
		},
		iana.PayloadTSr: func(b []byte, off int) (Payload, error) {
			ts, err := decodeTS(iana.PayloadTSr, b, off)
			return &TSr{ts}, err
		},
		iana.PayloadCP:            decodeCP,
		iana.PayloadEAP:           func(b []byte, _ int) (Payload, error) { return &EAP{Data: clone(b)}, nil },
		iana.PayloadCiscoFragment: decodeCiscoFragment,
	}
}

// decodeChain walks a payload chain. base is the offset of b in the
// buffer the caller reports errors against.
func decodeChain(next iana.PayloadType, b []byte, base int) ([]Payload, error) {
	var ps []Payload
	off := 0
	for next != iana.PayloadNone {
		at := base + off
		if len(b)-off < genericHeaderLen {
			return ps, errorf(next, at, "%d bytes left, need a 4-byte payload header", len(b)-off)
		}
		hdr := b[off : off+genericHeaderLen]
		length := int(binary.BigEndian.Uint16(hdr[2:]))
		if length < genericHeaderLen || length > len(b)-off {
			return ps, errorf(next, at, "payload length %d outside 4..%d", length, len(b)-off)
		}
		body := b[off+genericHeaderLen : off+length]
		typ, following := next, iana.PayloadType(hdr[0])
		var p Payload
		var err error
		switch {
		case typ == iana.PayloadSK:
			// The SK payload is always last; its Next Payload field names
			// the first payload inside the ciphertext (section 3.14).
			p, following = &Encrypted{NextPayload: following, Data: clone(body)}, iana.PayloadNone
		case typ == iana.PayloadSKF:
			p, err = decodeSKF(body, at+genericHeaderLen)
			if err == nil {
				p.(*EncryptedFragment).NextPayload = following
			}
			following = iana.PayloadNone
		case decoders[typ] != nil:
			p, err = decoders[typ](body, at+genericHeaderLen)
		case hdr[1]&critical != 0:
			return ps, &UnsupportedCriticalPayloadError{Type: typ, Offset: at}
		default:
			p = &Unknown{PType: typ, Critical: false, Data: clone(body)}
		}
		if err != nil {
			return ps, err
		}
		ps = append(ps, p)
		off += length
		next = following
		if isEncrypted(typ) && off != len(b) {
			return ps, errorf(typ, at, "%d bytes follow the %s payload, which must be last", len(b)-off, typ)
		}
	}
	if off != len(b) {
		return ps, errorf(iana.PayloadNone, base+off, "%d bytes after the last payload", len(b)-off)
	}
	return ps, nil
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// Find returns the first payload of type T in ps.
func Find[T Payload](ps []Payload) (T, bool) {
	for _, p := range ps {
		if t, ok := p.(T); ok {
			return t, true
		}
	}
	var zero T
	return zero, false
}

// FindAll returns every payload of type T in ps, in order.
func FindAll[T Payload](ps []Payload) []T {
	var out []T
	for _, p := range ps {
		if t, ok := p.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// FindNotify returns the first Notify of type t in ps.
func FindNotify(ps []Payload, t iana.NotifyType) (*Notify, bool) {
	for _, p := range ps {
		if n, ok := p.(*Notify); ok && n.NotifyType == t {
			return n, true
		}
	}
	return nil, false
}

// Unknown is a payload of a type this package does not know, kept as it
// was received.
type Unknown struct {
	PType    iana.PayloadType
	Critical bool
	Data     []byte
}

func (u *Unknown) Type() iana.PayloadType              { return u.PType }
func (u *Unknown) appendBody(b []byte) ([]byte, error) { return append(b, u.Data...), nil }
