package ikev2

import (
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/vpnc-go/vpnc-go/cmd/testenv"
	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// codecSession is a complete IKE_SA_INIT exchange with real key exchange,
// and IKE_AUTH messages protected with the keys it derives.
type codecSession struct {
	suite    Suite
	keys     *ikecrypto.IKEKeys
	spiI     uint64
	spiR     uint64
	messages [][]byte // IKE messages in order: SA_INIT request and response, then IKE_AUTH
}

func newCodecSession(t *testing.T, proposal string) *codecSession {
	t.Helper()
	ps, err := ParseProposals(proposal, iana.ProtoIKE)
	if err != nil {
		t.Fatal(err)
	}
	suite, err := suiteOf(ps[0])
	if err != nil {
		t.Fatal(err)
	}
	s := &codecSession{suite: suite, spiI: 0x1122334455667788, spiR: 0x99aabbccddeeff00}
	dhI, err := ikecrypto.NewDH(suite.DH, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dhR, _ := ikecrypto.NewDH(suite.DH, rand.Reader)
	ni, nr := make([]byte, 32), make([]byte, 32)
	rand.Read(ni)
	rand.Read(nr)
	vendor := func(v string) wire.Payload { return &wire.VendorID{Data: []byte(v)} }
	initReq := &wire.Message{
		Header: wire.Header{SPIi: s.spiI, Exchange: iana.IKE_SA_INIT, Flags: wire.FlagInitiator},
		Payloads: []wire.Payload{
			&wire.SA{Proposals: ps},
			&wire.KE{Group: suite.DH, Data: dhI.PublicValue()},
			&wire.Nonce{Data: ni},
			&wire.Notify{NotifyType: iana.NAT_DETECTION_SOURCE_IP, Data: make([]byte, 20)},
			&wire.Notify{NotifyType: iana.NAT_DETECTION_DESTINATION_IP, Data: make([]byte, 20)},
			&wire.Notify{NotifyType: iana.IKEV2_FRAGMENTATION_SUPPORTED},
			vendor("CISCO-DELETE-REASON"), vendor("CISCO-ANYCONNECT-EAP"),
		},
	}
	initResp := &wire.Message{
		Header: wire.Header{SPIi: s.spiI, SPIr: s.spiR, Exchange: iana.IKE_SA_INIT, Flags: wire.FlagResponse},
		Payloads: []wire.Payload{
			&wire.SA{Proposals: []wire.Proposal{suite.Proposal(1, iana.ProtoIKE, nil)}},
			&wire.KE{Group: suite.DH, Data: dhR.PublicValue()},
			&wire.Nonce{Data: nr},
			&wire.CertReq{Encoding: wire.CertX509Signature, Data: make([]byte, 20)},
			&wire.Notify{NotifyType: iana.IKEV2_FRAGMENTATION_SUPPORTED},
		},
	}
	for _, m := range []*wire.Message{initReq, initResp} {
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		s.messages = append(s.messages, b)
	}
	gir, err := dhI.SharedSecret(dhR.PublicValue())
	if err != nil {
		t.Fatal(err)
	}
	prf, err := ikecrypto.NewPRF(suite.PRF)
	if err != nil {
		t.Fatal(err)
	}
	lens, err := ikecrypto.SuiteKeyLens(suite.Encr, int(suite.KeyBits), suite.Integ)
	if err != nil {
		t.Fatal(err)
	}
	spiBytes := func(v uint64) []byte {
		b := make([]byte, 8)
		for i := range b {
			b[i] = byte(v >> (56 - 8*i))
		}
		return b
	}
	s.keys, err = ikecrypto.DeriveIKEKeys(prf, ikecrypto.SKEYSEED(prf, ni, nr, gir), ni, nr, spiBytes(s.spiI), spiBytes(s.spiR), lens)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *codecSession) tsharkUAT() string {
	line := IKEKeys{SPIi: s.spiI, SPIr: s.spiR, Suite: s.suite, Keys: s.keys}.IKEKeyLogLine()
	return "uat:ikev2_decryption_table:" + line
}

// TestTsharkAgrees has an independent dissector read what the codec wrote:
// a whole IKE_SA_INIT exchange with real key exchange, an IKE_AUTH request
// in one SK payload and a large IKE_AUTH response in RFC 7383 fragments.
// Given the keys, tshark must decrypt both and find nothing malformed.
func TestTsharkAgrees(t *testing.T) {
	tshark := testenv.NeedCommand(t, "tshark", "tshark")
	for _, proposal := range []string{"aes256-sha256-modp2048", "aes128-sha1-curve25519", "aes256gcm16-prfsha384-ecp384"} {
		t.Run(proposal, func(t *testing.T) {
			s := newCodecSession(t, proposal)
			initiator, err := newProtector(s.suite, s.keys, true, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			responder, _ := newProtector(s.suite, s.keys, false, rand.Reader)
			h := wire.Header{SPIi: s.spiI, SPIr: s.spiR, Exchange: iana.IKE_AUTH, Flags: wire.FlagInitiator, MessageID: 1}
			req, err := initiator.Seal(h, typicalAuthRequest())
			if err != nil {
				t.Fatal(err)
			}
			h.Flags = wire.FlagResponse
			frags, err := responder.fragmentMessage(h, bigAuthResponse(), 1280)
			if err != nil {
				t.Fatal(err)
			}
			msgs := append(append(s.messages, req), frags...)
			pcap := filepath.Join(t.TempDir(), "session.pcap")
			writePcap(t, pcap, msgs, func(i int) bool { return i == 1 || i >= 3 })

			out, err := exec.Command(tshark, "-r", pcap, "-V", "-o", s.tsharkUAT(),
				"-o", "isakmp.ikev2_decryption_table:TRUE").CombinedOutput()
			if err != nil {
				t.Fatalf("tshark: %v\n%s", err, out)
			}
			text := string(out)
			for _, bad := range []string{"Malformed", "[Expert Info (Error", "[Expert Info (Warning", "Checksum: incorrect", "Decryption failed", "Integrity Checksum Data: " + "incorrect"} {
				if strings.Contains(text, bad) {
					t.Errorf("tshark reports %q:\n%s", bad, excerpt(text, bad))
				}
			}
			for _, want := range []string{
				"Exchange type: IKE_SA_INIT (34)",
				"Payload: Key Exchange (34)",
				"Decrypted Data",
				"Identification - Initiator (35)",
				"Configuration (47)",
				"Traffic Selector - Responder (45)",
				"Encrypted and Authenticated Fragment (53)",
				"Certificate (37)",
				"Extensible Authentication (48)",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("tshark output lacks %q", want)
				}
			}
			// Every protected message's ICV checks out in tshark's eyes.
			checks := strings.Count(text, "Integrity Checksum Data:")
			correct := regexp.MustCompile(`Integrity Checksum Data: .*\[correct\]`).FindAllString(text, -1)
			if want := 1 + len(frags); checks != want || len(correct) != want {
				t.Errorf("%d integrity checks, %d correct, want %d of each", checks, len(correct), want)
			}
		})
	}
}

// writePcap writes IKE messages as UDP datagrams on port 500 between two
// documentation addresses; fromResponder tells each message's direction.
func writePcap(t *testing.T, path string, msgs [][]byte, fromResponder func(i int) bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeRaw); err != nil {
		t.Fatal(err)
	}
	client, headend := net.IPv4(192, 0, 2, 2), net.IPv4(192, 0, 2, 1)
	for i, m := range msgs {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: client, DstIP: headend}
		if fromResponder(i) {
			ip.SrcIP, ip.DstIP = headend, client
		}
		udp := &layers.UDP{SrcPort: 500, DstPort: 500}
		udp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, udp, gopacket.Payload(m)); err != nil {
			t.Fatal(err)
		}
		ci := gopacket.CaptureInfo{CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}
		if err := w.WritePacket(ci, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

func excerpt(text, needle string) string {
	i := strings.Index(text, needle)
	return text[max(0, i-600):min(len(text), i+200)]
}
