package wire

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// KE is the Key Exchange payload (RFC 7296 section 3.4).
type KE struct {
	Group iana.DHGroup
	Data  []byte
}

func (*KE) Type() iana.PayloadType { return iana.PayloadKE }

func (p *KE) appendBody(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(p.Group))
	return append(append(b, 0, 0), p.Data...), nil
}

func decodeKE(b []byte, off int) (Payload, error) {
	if len(b) < 4 {
		return nil, errorf(iana.PayloadKE, off, "body of %d bytes, need at least 4", len(b))
	}
	return &KE{Group: iana.DHGroup(binary.BigEndian.Uint16(b)), Data: clone(b[4:])}, nil
}

// ID is the body of an Identification payload (RFC 7296 section 3.5).
type ID struct {
	IDType IDType
	Data   []byte
}

// IDi is the initiator's identification payload.
type IDi struct{ ID }

// IDr is the responder's identification payload.
type IDr struct{ ID }

func (*IDi) Type() iana.PayloadType { return iana.PayloadIDi }
func (*IDr) Type() iana.PayloadType { return iana.PayloadIDr }

func (p *ID) appendBody(b []byte) ([]byte, error) {
	return append(append(b, byte(p.IDType), 0, 0, 0), p.Data...), nil
}

// Body returns the payload body, ID Type octet first: the RestOfInitIDPayload
// (or RestOfRespIDPayload) of the AUTH signed octets (RFC 7296 section 2.15).
func (p *ID) Body() []byte {
	b, _ := p.appendBody(nil)
	return b
}

// String renders the identity for logs: addresses and names as text,
// distinguished names in RFC 4514 form, anything else as hex.
func (p *ID) String() string {
	switch p.IDType {
	case ID_IPV4_ADDR, ID_IPV6_ADDR:
		if a, ok := netip.AddrFromSlice(p.Data); ok {
			return a.String()
		}
	case ID_FQDN, ID_RFC822_ADDR, ID_KEY_ID:
		return string(p.Data)
	case ID_DER_ASN1_DN:
		var rdn pkix.RDNSequence
		if rest, err := asn1.Unmarshal(p.Data, &rdn); err == nil && len(rest) == 0 {
			return rdn.String()
		}
	}
	if isPrintable(p.Data) {
		return fmt.Sprintf("%s:%s", p.IDType, p.Data)
	}
	return fmt.Sprintf("%s:%x", p.IDType, p.Data)
}

func isPrintable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return len(b) > 0
}

func decodeID(t iana.PayloadType, b []byte, off int) (ID, error) {
	if len(b) < 4 {
		return ID{}, errorf(t, off, "body of %d bytes, need at least 4", len(b))
	}
	id := ID{IDType: IDType(b[0]), Data: clone(b[4:])}
	switch id.IDType {
	case ID_IPV4_ADDR:
		if len(id.Data) != 4 {
			return id, errorf(t, off+4, "ID_IPV4_ADDR of %d bytes, want 4", len(id.Data))
		}
	case ID_IPV6_ADDR:
		if len(id.Data) != 16 {
			return id, errorf(t, off+4, "ID_IPV6_ADDR of %d bytes, want 16", len(id.Data))
		}
	}
	return id, nil
}

// Cert is the Certificate payload (RFC 7296 section 3.6).
type Cert struct {
	Encoding CertEncoding
	Data     []byte
}

func (*Cert) Type() iana.PayloadType { return iana.PayloadCERT }

func (p *Cert) appendBody(b []byte) ([]byte, error) {
	return append(append(b, byte(p.Encoding)), p.Data...), nil
}

func decodeCert(b []byte, off int) (Payload, error) {
	if len(b) < 1 {
		return nil, errorf(iana.PayloadCERT, off, "empty body, need the encoding octet")
	}
	return &Cert{Encoding: CertEncoding(b[0]), Data: clone(b[1:])}, nil
}

// CertReq is the Certificate Request payload (RFC 7296 section 3.7). For
// X.509 the data is a concatenation of SHA-1 hashes of trusted CAs' public
// keys.
type CertReq struct {
	Encoding CertEncoding
	Data     []byte
}

func (*CertReq) Type() iana.PayloadType { return iana.PayloadCERTREQ }

func (p *CertReq) appendBody(b []byte) ([]byte, error) {
	return append(append(b, byte(p.Encoding)), p.Data...), nil
}

// Authorities splits the data into 20-byte SHA-1 key hashes. A trailing
// partial hash is ignored.
func (p *CertReq) Authorities() [][20]byte {
	out := make([][20]byte, 0, len(p.Data)/20)
	for i := 0; i+20 <= len(p.Data); i += 20 {
		out = append(out, [20]byte(p.Data[i:i+20]))
	}
	return out
}

func decodeCertReq(b []byte, off int) (Payload, error) {
	if len(b) < 1 {
		return nil, errorf(iana.PayloadCERTREQ, off, "empty body, need the encoding octet")
	}
	return &CertReq{Encoding: CertEncoding(b[0]), Data: clone(b[1:])}, nil
}

// Auth is the Authentication payload (RFC 7296 section 3.8).
type Auth struct {
	Method AuthMethod
	Data   []byte
}

func (*Auth) Type() iana.PayloadType { return iana.PayloadAUTH }

func (p *Auth) appendBody(b []byte) ([]byte, error) {
	return append(append(b, byte(p.Method), 0, 0, 0), p.Data...), nil
}

func decodeAuth(b []byte, off int) (Payload, error) {
	if len(b) < 4 {
		return nil, errorf(iana.PayloadAUTH, off, "body of %d bytes, need at least 4", len(b))
	}
	return &Auth{Method: AuthMethod(b[0]), Data: clone(b[4:])}, nil
}

// Nonce is the Nonce payload (RFC 7296 section 3.9). Its length (16 to 256
// octets) is checked by the exchange that uses it, not here.
type Nonce struct{ Data []byte }

func (*Nonce) Type() iana.PayloadType                { return iana.PayloadNonce }
func (p *Nonce) appendBody(b []byte) ([]byte, error) { return append(b, p.Data...), nil }

// VendorID is the Vendor ID payload (RFC 7296 section 3.12).
type VendorID struct{ Data []byte }

func (*VendorID) Type() iana.PayloadType                { return iana.PayloadVendor }
func (p *VendorID) appendBody(b []byte) ([]byte, error) { return append(b, p.Data...), nil }

// EAP is the EAP payload (RFC 7296 section 3.16): one whole EAP packet,
// parsed by the eap package.
type EAP struct{ Data []byte }

func (*EAP) Type() iana.PayloadType                { return iana.PayloadEAP }
func (p *EAP) appendBody(b []byte) ([]byte, error) { return append(b, p.Data...), nil }

// Notify is the Notify payload (RFC 7296 section 3.10).
type Notify struct {
	Protocol   iana.ProtocolID
	SPI        []byte
	NotifyType iana.NotifyType
	Data       []byte
}

func (*Notify) Type() iana.PayloadType { return iana.PayloadNotify }

func (p *Notify) appendBody(b []byte) ([]byte, error) {
	if len(p.SPI) > 0xff {
		return b, fmt.Errorf("SPI of %d bytes", len(p.SPI))
	}
	b = append(b, byte(p.Protocol), byte(len(p.SPI)))
	b = binary.BigEndian.AppendUint16(b, uint16(p.NotifyType))
	return append(append(b, p.SPI...), p.Data...), nil
}

func decodeNotify(b []byte, off int) (Payload, error) {
	if len(b) < 4 {
		return nil, errorf(iana.PayloadNotify, off, "body of %d bytes, need at least 4", len(b))
	}
	spiSize := int(b[1])
	if 4+spiSize > len(b) {
		return nil, errorf(iana.PayloadNotify, off+1, "SPI size %d exceeds the %d bytes left", spiSize, len(b)-4)
	}
	return &Notify{
		Protocol:   iana.ProtocolID(b[0]),
		NotifyType: iana.NotifyType(binary.BigEndian.Uint16(b[2:])),
		SPI:        clone(b[4 : 4+spiSize]),
		Data:       clone(b[4+spiSize:]),
	}, nil
}

// Delete is the Delete payload (RFC 7296 section 3.11). For the IKE SA,
// SPISize is 0 and SPIs is empty; for ESP and AH, SPISize is 4.
type Delete struct {
	Protocol iana.ProtocolID
	SPISize  uint8
	SPIs     [][]byte
}

func (*Delete) Type() iana.PayloadType { return iana.PayloadDelete }

func (p *Delete) appendBody(b []byte) ([]byte, error) {
	if len(p.SPIs) > 0xffff {
		return b, fmt.Errorf("%d SPIs exceed the 16-bit count", len(p.SPIs))
	}
	b = append(b, byte(p.Protocol), p.SPISize)
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.SPIs)))
	for i, spi := range p.SPIs {
		if len(spi) != int(p.SPISize) {
			return b, fmt.Errorf("SPI %d is %d bytes, SPI size says %d", i, len(spi), p.SPISize)
		}
		b = append(b, spi...)
	}
	return b, nil
}

// ESPSPIs returns the SPIs as 32-bit values (for Protocol ESP or AH).
func (p *Delete) ESPSPIs() []uint32 {
	var out []uint32
	for _, s := range p.SPIs {
		if len(s) == 4 {
			out = append(out, binary.BigEndian.Uint32(s))
		}
	}
	return out
}

func decodeDelete(b []byte, off int) (Payload, error) {
	if len(b) < 4 {
		return nil, errorf(iana.PayloadDelete, off, "body of %d bytes, need at least 4", len(b))
	}
	p := &Delete{Protocol: iana.ProtocolID(b[0]), SPISize: b[1]}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if want := 4 + n*int(p.SPISize); want != len(b) {
		return nil, errorf(iana.PayloadDelete, off, "%d SPIs of %d bytes need a %d-byte body, have %d", n, p.SPISize, want, len(b))
	}
	if n > 0 && p.SPISize == 0 {
		return nil, errorf(iana.PayloadDelete, off+1, "%d SPIs of size 0", n)
	}
	for i := 0; i < n; i++ {
		s := 4 + i*int(p.SPISize)
		p.SPIs = append(p.SPIs, clone(b[s:s+int(p.SPISize)]))
	}
	return p, nil
}
