package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// HeaderLen is the length of the fixed IKE header.
const HeaderLen = 28

// Header flags (RFC 7296 section 3.1).
const (
	FlagInitiator uint8 = 0x08
	FlagVersion   uint8 = 0x10
	FlagResponse  uint8 = 0x20
)

// Version2 is the version octet of IKEv2 (major 2, minor 0).
const Version2 uint8 = 0x20

// Header is the fixed IKE header. NextPayload and Length are computed by
// Encode; Decode fills them from the wire.
type Header struct {
	SPIi, SPIr  uint64
	NextPayload iana.PayloadType
	Version     uint8
	Exchange    iana.ExchangeType
	Flags       uint8
	MessageID   uint32
	Length      uint32
}

// IsResponse reports whether the Response flag is set.
func (h *Header) IsResponse() bool { return h.Flags&FlagResponse != 0 }

// IsInitiator reports whether the Initiator flag is set (the sender is the
// original initiator of the IKE SA).
func (h *Header) IsInitiator() bool { return h.Flags&FlagInitiator != 0 }

// MajorVersion is the high nibble of the version octet.
func (h *Header) MajorVersion() uint8 { return h.Version >> 4 }

func (h *Header) String() string {
	dir := "request"
	if h.IsResponse() {
		dir = "response"
	}
	return fmt.Sprintf("%s %s #%d SPIi=%016x SPIr=%016x", h.Exchange, dir, h.MessageID, h.SPIi, h.SPIr)
}

// DecodeHeader reads the fixed header. It checks the length field against
// len(b) but not the version: a responder must answer a major version it
// does not speak with INVALID_MAJOR_VERSION (RFC 7296 section 2.5).
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, errorf(iana.PayloadNone, 0, "message is %d bytes, shorter than the %d-byte header", len(b), HeaderLen)
	}
	h := Header{
		SPIi:        binary.BigEndian.Uint64(b[0:8]),
		SPIr:        binary.BigEndian.Uint64(b[8:16]),
		NextPayload: iana.PayloadType(b[16]),
		Version:     b[17],
		Exchange:    iana.ExchangeType(b[18]),
		Flags:       b[19],
		MessageID:   binary.BigEndian.Uint32(b[20:24]),
		Length:      binary.BigEndian.Uint32(b[24:28]),
	}
	if h.Length < HeaderLen || int64(h.Length) != int64(len(b)) {
		return h, errorf(iana.PayloadNone, 24, "length field says %d bytes but the message has %d", h.Length, len(b))
	}
	return h, nil
}

// appendHeader appends h with the given next payload and total length.
func appendHeader(b []byte, h *Header, next iana.PayloadType, length int) []byte {
	b = binary.BigEndian.AppendUint64(b, h.SPIi)
	b = binary.BigEndian.AppendUint64(b, h.SPIr)
	v := h.Version
	if v == 0 {
		v = Version2
	}
	b = append(b, byte(next), v, byte(h.Exchange), h.Flags)
	b = binary.BigEndian.AppendUint32(b, h.MessageID)
	return binary.BigEndian.AppendUint32(b, uint32(length))
}
