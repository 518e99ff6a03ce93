package wire

import (
	"encoding/binary"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// Encrypted is the Encrypted and Authenticated payload, SK (RFC 7296
// section 3.14). Data is IV | ciphertext | ICV; NextPayload is the type of
// the first payload inside.
type Encrypted struct {
	NextPayload iana.PayloadType
	Data        []byte
}

func (*Encrypted) Type() iana.PayloadType                { return iana.PayloadSK }
func (p *Encrypted) appendBody(b []byte) ([]byte, error) { return append(b, p.Data...), nil }

// EncryptedFragment is the Encrypted Fragment payload, SKF (RFC 7383
// section 2.5). NextPayload is the first inner payload type in fragment 1
// and zero in the others.
type EncryptedFragment struct {
	NextPayload   iana.PayloadType
	Number, Total uint16
	Data          []byte
}

// SKFHeaderLen is the SKF generic header plus Fragment Number and Total
// Fragments: the part of the payload that is authenticated but not
// encrypted, with the IKE header.
const SKFHeaderLen = 8

func (*EncryptedFragment) Type() iana.PayloadType { return iana.PayloadSKF }

func (p *EncryptedFragment) appendBody(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, p.Number)
	b = binary.BigEndian.AppendUint16(b, p.Total)
	return append(b, p.Data...), nil
}

func decodeSKF(b []byte, off int) (Payload, error) {
	if len(b) < 4 {
		return nil, errorf(iana.PayloadSKF, off, "body of %d bytes, need at least 4", len(b))
	}
	p := &EncryptedFragment{
		Number: binary.BigEndian.Uint16(b),
		Total:  binary.BigEndian.Uint16(b[2:]),
		Data:   clone(b[4:]),
	}
	// RFC 7383 section 2.6: number from 1, never above the total.
	if p.Number == 0 || p.Total == 0 || p.Number > p.Total {
		return nil, errorf(iana.PayloadSKF, off, "fragment %d of %d", p.Number, p.Total)
	}
	return p, nil
}

// CiscoFragment is the IKEv1 fragment payload (type 132) that Cisco peers
// put around slices of a whole, already encrypted IKEv2 message. It is not
// encrypted itself. Numbers start at 1; Last is flag 0x01.
type CiscoFragment struct {
	FragmentID uint16
	Number     uint8
	Last       bool
	Data       []byte
}

// CiscoFragmentHeaderLen is the payload header plus ID, number and flags.
const CiscoFragmentHeaderLen = 8

const ciscoLastFragment = 0x01

func (*CiscoFragment) Type() iana.PayloadType { return iana.PayloadCiscoFragment }

func (p *CiscoFragment) appendBody(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, p.FragmentID)
	flags := byte(0)
	if p.Last {
		flags = ciscoLastFragment
	}
	return append(append(b, p.Number, flags), p.Data...), nil
}

func decodeCiscoFragment(b []byte, off int) (Payload, error) {
	if len(b) < 4 {
		return nil, errorf(iana.PayloadCiscoFragment, off, "body of %d bytes, need at least 4", len(b))
	}
	p := &CiscoFragment{
		FragmentID: binary.BigEndian.Uint16(b),
		Number:     b[2],
		Last:       b[3]&ciscoLastFragment != 0,
		Data:       clone(b[4:]),
	}
	if p.Number == 0 {
		return nil, errorf(iana.PayloadCiscoFragment, off+2, "fragment number 0; numbers start at 1")
	}
	return p, nil
}
