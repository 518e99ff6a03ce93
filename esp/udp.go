package esp

import "encoding/binary"

// UDP encapsulation of IKE and ESP on one port (RFC 3948).

// NATTPort is the UDP port shared by IKE and ESP-in-UDP once NAT traversal
// is in use (RFC 3948 section 2, RFC 7296 section 2.23).
const NATTPort = 4500

// NonESPMarkerLen is the length of the Non-ESP Marker, four zero bytes in
// front of an IKE message on port 4500 (RFC 3948 section 2.2).
const NonESPMarkerLen = 4

// NATKeepalive is the single byte of a NAT-keepalive packet (RFC 3948
// section 2.3).
const NATKeepalive byte = 0xFF

// Kind is what a datagram received on port 4500 carries.
type Kind uint8

const (
	KindInvalid   Kind = iota // too short or otherwise not any of the others: drop it
	KindIKE                   // an IKE message behind the Non-ESP Marker
	KindESP                   // an ESP packet (non-zero SPI)
	KindKeepalive             // a NAT-keepalive: drop it
)

func (k Kind) String() string {
	switch k {
	case KindIKE:
		return "IKE"
	case KindESP:
		return "ESP"
	case KindKeepalive:
		return "NAT-keepalive"
	}
	return "invalid"
}

// Classify sorts a UDP payload received on port 4500 (RFC 3948 section 4).
// For KindIKE body is the IKE message without the marker, for KindESP the
// whole ESP packet (starting with its SPI); otherwise body is nil. It does
// not copy.
func Classify(d []byte) (k Kind, body []byte) {
	switch {
	case len(d) == 1 && d[0] == NATKeepalive:
		return KindKeepalive, nil
	case len(d) < 8:
		// Shorter than an ESP header (SPI and sequence number), and an IKE
		// message behind the marker is longer still.
		return KindInvalid, nil
	case binary.BigEndian.Uint32(d) == 0:
		return KindIKE, d[NonESPMarkerLen:]
	}
	return KindESP, d
}

// SPI returns the SPI of an ESP packet, by which the caller finds the
// inbound SA; ok is false when pkt is too short to be ESP.
func SPI(pkt []byte) (spi uint32, ok bool) {
	if len(pkt) < 8 {
		return 0, false
	}
	return binary.BigEndian.Uint32(pkt), true
}

// AppendKeepalive appends a NAT-keepalive payload to dst.
func AppendKeepalive(dst []byte) []byte { return append(dst, NATKeepalive) }

// AppendIKE appends the Non-ESP Marker and then the IKE message msg to dst,
// the payload of a datagram to port 4500.
func AppendIKE(dst, msg []byte) []byte {
	dst = append(dst, 0, 0, 0, 0)
	return append(dst, msg...)
}

// PrependMarker writes the Non-ESP Marker in front of the IKE message
// buf[off:off+n] in place and returns buf[off-4 : off+n]; off must be at
// least NonESPMarkerLen.
func PrependMarker(buf []byte, off, n int) ([]byte, error) {
	if off < NonESPMarkerLen || n < 0 || off > len(buf) || n > len(buf)-off {
		return nil, ErrShortBuffer
	}
	clear(buf[off-NonESPMarkerLen : off])
	return buf[off-NonESPMarkerLen : off+n], nil
}
