package eap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// anyConnectVectors holds recorded EAP-AnyConnect packets, seeds for
// FuzzDecode; package anyconnect tests them.
const anyConnectVectors = "../../testdata/vectors/eap-anyconnect"

// FuzzDecode feeds arbitrary bytes to the packet decoder and to the parser
// and handlers of every method of this package (package anyconnect fuzzes
// its own). Nothing may panic, and whatever decodes must re-encode to the
// bytes inside Length.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(anyConnectVectors, "*.eap.hex"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no vectors in %s: %v", anyConnectVectors, err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(mustHex(f, string(raw)))
	}
	for _, h := range []string{
		"0101000501",
		"010200090170773f",
		"0103000b 04 03 010203 737276",
		"0104000a 06 50617373",
		"0101001d 1a 01 01 0018 10 5B5D7C7D7B3F2F3E3C2C602132262628 737276",
		"01070033 1a 03 05 002e 533d34303741353538393131354644304436323039463531304645394330343536363933324344413536",
		"01080039 1a 04 05 0034 453d363931 20523d31 20433d3030313132323333343435353636373738383939414142424343444445454646 20563d33",
		"02090014 fe00000000000003 fe00000944425250",
		"03040004",
	} {
		f.Add(mustHex(f, h))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			return
		}
		out, err := p.Encode()
		if err != nil {
			t.Fatalf("decoded packet does not encode: %v", err)
		}
		if n := int(b[2])<<8 | int(b[3]); !bytes.Equal(out, b[:n]) {
			t.Fatalf("re-encoding changed the bytes:\n got %x\nwant %x", out, b[:n])
		}
		p.NakTypes()
		ParseMD5Challenge(p)
		if ms, err := DecodeMSCHAPv2(p); err == nil {
			ParseMSCHAPv2Success(ms.Message)
			ParseMSCHAPv2Failure(ms.Message)
			if again, err := DecodeMSCHAPv2(wire(t, ms.Packet(p.Code, p.Identifier))); err != nil || again.OpCode != ms.OpCode {
				t.Fatalf("MS-CHAPv2 %v does not survive a round trip: %v", ms.OpCode, err)
			}
		}
		// Peers as they would meet the packet on the wire.
		for _, m := range []Peer{
			&MD5Peer{Secret: "s"},
			&GTCPeer{UserName: "u", Password: "p"},
			&MSCHAPv2Peer{UserName: "u", Password: "p", Rand: &counterRand{}},
		} {
			s := &PeerSession{Identity: "u", Method: m}
			s.Handle(p)
			m.Respond(p)
		}
		// Authenticators meeting it as the answer to their first Request.
		for _, a := range []Authenticator{
			&MD5Authenticator{Secret: "s", Rand: &counterRand{}},
			&GTCAuthenticator{Password: "p", Labelled: true, UserName: "u"},
			&MSCHAPv2Authenticator{Password: "p", Rand: &counterRand{}, Retries: 1},
		} {
			if _, err := a.Start(p.Identifier); err != nil {
				t.Fatal(err)
			}
			a.Next(p, p.Identifier+1)
		}
	})
}
