package client

import (
	"net/netip"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// espOverhead is the most a packet grows when it goes into the tunnel:
// the outer IP and UDP headers, ESP's header and IV, the worst padding, the
// pad length and next header octets, and the ICV (RFC 4303, RFC 3948).
func espOverhead(s ikev2.Suite, outer netip.Addr) int {
	n := 20 + 8 + 8 + 2 // IPv4, UDP, SPI and sequence, trailer
	if outer.Is6() {
		n += 20
	}
	switch s.Encr {
	case iana.ENCR_AES_GCM_16:
		n += 8 + 3 + 16 // explicit IV, padding to 4, tag
	case iana.ENCR_3DES:
		n += 8 + 7
	default: // AES-CBC
		n += 16 + 15
	}
	n += map[iana.IntegID]int{
		iana.AUTH_HMAC_SHA1_96: 12, iana.AUTH_HMAC_SHA2_256_128: 16,
		iana.AUTH_HMAC_SHA2_384_192: 24, iana.AUTH_HMAC_SHA2_512_256: 32,
	}[s.Integ]
	return n
}

// tunnelMTU is the largest inner packet that fits the path MTU after ESP in
// UDP, kept at or above IPv6's minimum of 1280 where the path allows.
func tunnelMTU(pathMTU int, s ikev2.Suite, outer netip.Addr) int {
	return max(pathMTU-espOverhead(s, outer), 576)
}
