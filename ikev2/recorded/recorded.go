// Package recorded reads the IKEv2 sessions that another implementation
// (strongSwan) recorded, with their keys, from testdata/vectors/strongswan.
// Tests of the codec, the SK protection and the ESP data plane use it to
// check vpnc-go against a third party's bytes.
package recorded

import (
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Datagram is one UDP datagram of a capture.
type Datagram struct {
	Frame    int // 1-based frame number, as tshark counts
	Src, Dst netip.AddrPort
	Payload  []byte
}

// IKEKeys is one line of a Wireshark ikev2_decryption_table.
type IKEKeys struct {
	SPIi, SPIr uint64
	SKei, SKer []byte
	Encr       string // e.g. "AES-CBC-192 [RFC3602]"
	SKai, SKar []byte
	Integ      string // e.g. "HMAC_SHA1_96 [RFC2404]"
}

// ESPSA is one line of a Wireshark esp_sa table.
type ESPSA struct {
	SPI      uint32
	Encr     string // e.g. "AES-CBC [RFC3602]", "AES-GCM [RFC4106]"
	EncKey   []byte
	Integ    string // e.g. "HMAC-SHA-1-96 [RFC2404]", "NULL"
	IntegKey []byte
}

// Session is one recorded session: its capture and keys.
type Session struct {
	Name      string
	Datagrams []Datagram
	IKE       []IKEKeys
	ESP       []ESPSA
}

// Dir returns the folder holding the strongSwan recordings, found by walking
// up from the working directory to the module root.
func Dir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "vectors", "strongswan"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("recorded: no go.mod above the working directory")
		}
		dir = parent
	}
}

// All loads every recorded session.
func All() ([]*Session, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	pcaps, err := filepath.Glob(filepath.Join(dir, "*.pcapng"))
	if err != nil || len(pcaps) == 0 {
		return nil, fmt.Errorf("recorded: no captures in %s (%v)", dir, err)
	}
	var out []*Session
	for _, p := range pcaps {
		s, err := Load(strings.TrimSuffix(p, ".pcapng"))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Load reads BASE.pcapng, BASE.ikev2_decryption_table and BASE.esp_sa.
func Load(base string) (*Session, error) {
	s := &Session{Name: filepath.Base(base)}
	var err error
	if s.Datagrams, err = ReadCapture(base + ".pcapng"); err != nil {
		return nil, err
	}
	ike, err := readCSV(base + ".ikev2_decryption_table")
	if err != nil {
		return nil, err
	}
	for i, r := range ike {
		k, err := parseIKEKeys(r)
		if err != nil {
			return nil, fmt.Errorf("recorded: %s.ikev2_decryption_table line %d: %w", s.Name, i+1, err)
		}
		s.IKE = append(s.IKE, k)
	}
	esp, err := readCSV(base + ".esp_sa")
	if err != nil {
		return nil, err
	}
	for i, r := range esp {
		sa, err := parseESPSA(r)
		if err != nil {
			return nil, fmt.Errorf("recorded: %s.esp_sa line %d: %w", s.Name, i+1, err)
		}
		s.ESP = append(s.ESP, sa)
	}
	return s, nil
}

// ReadCapture returns the UDP datagrams of a pcapng file, in order.
func ReadCapture(path string) ([]Datagram, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		return nil, fmt.Errorf("recorded: %s: %w", path, err)
	}
	var out []Datagram
	for frame := 1; ; frame++ {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("recorded: %s frame %d: %w", path, frame, err)
		}
		pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		udp, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if udp == nil {
			continue
		}
		var src, dst netip.Addr
		switch ip := pkt.NetworkLayer().(type) {
		case *layers.IPv4:
			src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
		case *layers.IPv6:
			src, _ = netip.AddrFromSlice(ip.SrcIP)
			dst, _ = netip.AddrFromSlice(ip.DstIP)
		}
		out = append(out, Datagram{
			Frame:   frame,
			Src:     netip.AddrPortFrom(src, uint16(udp.SrcPort)),
			Dst:     netip.AddrPortFrom(dst, uint16(udp.DstPort)),
			Payload: append([]byte(nil), udp.Payload...),
		})
	}
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 8
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("recorded: %s: %w", path, err)
	}
	return recs, nil
}

func parseIKEKeys(r []string) (IKEKeys, error) {
	var k IKEKeys
	var err error
	if k.SPIi, err = strconv.ParseUint(r[0], 16, 64); err != nil {
		return k, fmt.Errorf("SPIi: %w", err)
	}
	if k.SPIr, err = strconv.ParseUint(r[1], 16, 64); err != nil {
		return k, fmt.Errorf("SPIr: %w", err)
	}
	k.Encr, k.Integ = r[4], r[7]
	for _, f := range []struct {
		dst *[]byte
		hex string
	}{{&k.SKei, r[2]}, {&k.SKer, r[3]}, {&k.SKai, r[5]}, {&k.SKar, r[6]}} {
		if *f.dst, err = hex.DecodeString(f.hex); err != nil {
			return k, err
		}
	}
	return k, nil
}

func parseESPSA(r []string) (ESPSA, error) {
	var sa ESPSA
	spi, err := strconv.ParseUint(strings.TrimPrefix(r[3], "0x"), 16, 32)
	if err != nil {
		return sa, fmt.Errorf("SPI: %w", err)
	}
	sa.SPI, sa.Encr, sa.Integ = uint32(spi), r[4], r[6]
	if sa.EncKey, err = hex.DecodeString(strings.TrimPrefix(r[5], "0x")); err != nil {
		return sa, err
	}
	if sa.IntegKey, err = hex.DecodeString(strings.TrimPrefix(r[7], "0x")); err != nil {
		return sa, err
	}
	return sa, nil
}

// IKEMessages returns the IKE messages of the capture: the datagrams on
// port 500, and those on port 4500 that begin with the four-byte non-ESP
// marker (RFC 3948 section 2.2), with the marker removed.
func (s *Session) IKEMessages() []Datagram {
	var out []Datagram
	for _, d := range s.Datagrams {
		switch {
		case d.Dst.Port() == 500 || d.Src.Port() == 500:
			out = append(out, d)
		case len(d.Payload) >= 4 && d.Payload[0]|d.Payload[1]|d.Payload[2]|d.Payload[3] == 0:
			d.Payload = d.Payload[4:]
			out = append(out, d)
		}
	}
	return out
}

// ESPPackets returns the ESP-in-UDP packets of the capture (port 4500, not
// starting with the non-ESP marker, and not a one-byte NAT keepalive).
func (s *Session) ESPPackets() []Datagram {
	var out []Datagram
	for _, d := range s.Datagrams {
		if d.Dst.Port() == 500 || d.Src.Port() == 500 || len(d.Payload) < 8 {
			continue
		}
		if d.Payload[0]|d.Payload[1]|d.Payload[2]|d.Payload[3] != 0 {
			out = append(out, d)
		}
	}
	return out
}
