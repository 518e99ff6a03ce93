package esp_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp"
	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/recorded"
)

// configFromWireshark turns a Wireshark esp_sa line into a Config.
func configFromWireshark(t *testing.T, sa recorded.ESPSA) esp.Config {
	t.Helper()
	c := esp.Config{SPI: sa.SPI, EncrKey: sa.EncKey, IntegKey: sa.IntegKey}
	switch {
	case strings.HasPrefix(sa.Encr, "AES-CBC"):
		c.Encr, c.EncrKeyBits = iana.ENCR_AES_CBC, len(sa.EncKey)*8
	case strings.HasPrefix(sa.Encr, "AES-GCM"):
		c.Encr, c.EncrKeyBits = iana.ENCR_AES_GCM_16, (len(sa.EncKey)-4)*8
	default:
		t.Fatalf("encryption %q", sa.Encr)
	}
	switch {
	case strings.HasPrefix(sa.Integ, "HMAC-SHA-1-96"):
		c.Integ = iana.AUTH_HMAC_SHA1_96
	case sa.Integ == "NULL":
		c.Integ = iana.AUTH_NONE
	default:
		t.Fatalf("integrity %q", sa.Integ)
	}
	return c
}

func ipChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// TestRecordedStrongSwan decapsulates the ESP-in-UDP packets that strongSwan
// sent (two pings each way per session) with the keys it logged, checks the
// inner ICMP echo packets, and re-encapsulates them.
func TestRecordedStrongSwan(t *testing.T) {
	sessions, err := recorded.All()
	if err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddr("10.2.2.1")
	server := netip.MustParseAddr("198.51.100.10")
	outerClient := netip.MustParseAddr("192.0.2.2")
	total := 0
	for _, s := range sessions {
		t.Run(s.Name, func(t *testing.T) {
			configs := map[uint32]esp.Config{}
			inbound := map[uint32]*esp.InboundSA{}
			for _, sa := range s.ESP {
				c := configFromWireshark(t, sa)
				c.StrictPadding = true // strongSwan pads 1, 2, 3, ...
				in, err := esp.NewInboundSA(c)
				if err != nil {
					t.Fatal(err)
				}
				configs[sa.SPI], inbound[sa.SPI] = c, in
			}
			var requests, replies int
			for _, d := range s.ESPPackets() {
				kind, pkt := esp.Classify(d.Payload)
				if kind != esp.KindESP {
					t.Fatalf("frame %d: %v", d.Frame, kind)
				}
				spi, _ := esp.SPI(pkt)
				in := inbound[spi]
				if in == nil {
					t.Fatalf("frame %d: no SA for SPI %#x", d.Frame, spi)
				}
				wireLen := len(pkt)
				inner, nh, err := in.Decap(bytes.Clone(pkt))
				if err != nil {
					t.Fatalf("frame %d SPI %#x (%s): %v", d.Frame, spi, in.Suite(), err)
				}
				if nh != esp.ProtoIPv4 || len(inner) < 28 || inner[0] != 0x45 {
					t.Fatalf("frame %d: next header %d, inner % x", d.Frame, nh, inner)
				}
				if tl := int(binary.BigEndian.Uint16(inner[2:])); tl != len(inner) {
					t.Fatalf("frame %d: IP total length %d, inner %d bytes", d.Frame, tl, len(inner))
				}
				if ipChecksum(inner[:20]) != 0 || ipChecksum(inner[20:]) != 0 {
					t.Fatalf("frame %d: bad IP or ICMP checksum", d.Frame)
				}
				src := netip.AddrFrom4([4]byte(inner[12:16]))
				dst := netip.AddrFrom4([4]byte(inner[16:20]))
				if inner[9] != 1 {
					t.Fatalf("frame %d: protocol %d, want ICMP", d.Frame, inner[9])
				}
				switch icmpType := inner[20]; {
				case icmpType == 8 && src == client && dst == server:
					requests++
				case icmpType == 0 && src == server && dst == client:
					replies++
				default:
					t.Fatalf("frame %d: ICMP type %d %v -> %v", d.Frame, icmpType, src, dst)
				}
				if fromClient := d.Src.Addr() == outerClient; fromClient != (src == client) {
					t.Fatalf("frame %d: outer %v -> %v carries %v -> %v", d.Frame, d.Src, d.Dst, src, dst)
				}
				t.Logf("frame %d: SPI %#x seq %d %s: ICMP type %d %v -> %v, %d bytes", d.Frame, spi,
					binary.BigEndian.Uint32(pkt[4:]), in.Suite(), inner[20], src, dst, len(inner))
				total++

				// Re-encapsulate with the same SA and decapsulate again.
				out, err := esp.NewOutboundSA(configs[spi])
				if err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, esp.HeaderRoom+len(inner)+esp.TailRoom)
				copy(buf[esp.HeaderRoom:], inner)
				again, err := out.Encap(buf, esp.HeaderRoom, len(inner))
				if err != nil {
					t.Fatal(err)
				}
				if len(again) != wireLen {
					t.Errorf("frame %d: re-encapsulated %d bytes, strongSwan sent %d", d.Frame, len(again), wireLen)
				}
				in2, _ := esp.NewInboundSA(configs[spi])
				inner2, nh2, err := in2.Decap(again)
				if err != nil || nh2 != nh || !bytes.Equal(inner2, inner) {
					t.Fatalf("frame %d: re-encapsulated packet: %v", d.Frame, err)
				}
			}
			if requests != 2 || replies != 2 {
				t.Fatalf("%d requests, %d replies", requests, replies)
			}
			for spi, in := range inbound {
				if st := in.Stats(); st.Packets != 2 || st.AuthFailures+st.Replays+st.Malformed != 0 {
					t.Errorf("SPI %#x: %+v", spi, st)
				}
			}
		})
	}
	if total != 12 {
		t.Fatalf("%d ESP packets, want 12", total)
	}
}
