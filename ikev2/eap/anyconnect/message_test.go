package anyconnect

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

const vectorDir = "../../../testdata/vectors/eap-anyconnect"

// vector is one recorded packet and, when the packet carries
// TLV 0, the XML file recorded beside it.
type vector struct {
	name string
	wire []byte
	xml  []byte // nil when there is no .xml file
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.eap.hex"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors in %s: %v", vectorDir, err)
	}
	var out []vector
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v := vector{name: filepath.Base(f), wire: fromHex(t, string(raw))}
		xml, err := os.ReadFile(strings.TrimSuffix(f, ".eap.hex") + ".xml")
		if err == nil {
			v.xml = xml
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestVectors decodes every recorded packet. The .xml files hold
// TLV 0 byte for byte, trailing newline included, so they are compared
// without any trimming. The last packet is a plain EAP-Success.
func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			p, err := eap.Decode(v.wire)
			if err != nil {
				t.Fatal(err)
			}
			if p.Code == eap.CodeSuccess {
				if v.xml != nil {
					t.Fatal("EAP-Success has an .xml file beside it")
				}
				return
			}
			m, err := FromPacket(p)
			if err != nil {
				t.Fatal(err)
			}
			if v.xml == nil {
				t.Fatal("no .xml file beside the vector")
			}
			if !bytes.Equal(m.XML(), v.xml) {
				t.Fatalf("TLV 0 differs from the .xml file (%d vs %d bytes)", len(m.XML()), len(v.xml))
			}
			out, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, v.wire) {
				t.Fatal("re-encoding changed the bytes")
			}
		})
	}
}

func TestCertificatePath(t *testing.T) {
	for _, v := range loadVectors(t) {
		if !strings.HasPrefix(v.name, "04-") {
			continue
		}
		m, err := Decode(v.wire)
		if err != nil {
			t.Fatal(err)
		}
		var types []TLVType
		for _, tlv := range m.TLVs {
			types = append(types, tlv.Type)
		}
		if len(types) != 3 || types[0] != TLVCertChain || types[1] != TLVSignature || types[2] != TLVXML {
			t.Fatalf("TLV order = %v, want [PKCS#7 chain signature XML]", types)
		}
		if sig, _ := m.Find(TLVSignature); len(sig) != 256 {
			t.Fatalf("signature is %d bytes, want 256 (RSA-2048)", len(sig))
		}
		if m.Code != eap.CodeResponse || m.Identifier != 2 {
			t.Fatalf("header = %v id %d", m.Code, m.Identifier)
		}
		return
	}
	t.Fatal("vector 04 not found")
}

func TestUnknownTLVKept(t *testing.T) {
	m := &Message{Code: eap.CodeResponse, Identifier: 5, TLVs: []TLV{
		{Type: 0x7777, Value: []byte{1, 2, 3}}, {Type: TLVXML, Value: []byte("<x/>")}, {Type: 9, Value: nil},
	}}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m2.TLVs) != 3 || m2.TLVs[0].Type != 0x7777 || string(m2.XML()) != "<x/>" || len(m2.TLVs[2].Value) != 0 {
		t.Fatalf("decoded %+v", m2.TLVs)
	}
	if b2, _ := m2.Encode(); !bytes.Equal(b, b2) {
		t.Fatal("second encoding differs")
	}
}

func TestMessageErrors(t *testing.T) {
	for _, tc := range []struct{ hex, want string }{
		{"01010014 fe00000944425250 0000 0384 41424344", "TLV XML at offset 12: length 900 exceeds remaining 4 bytes"},
		{"01010013 fe00000944425250 0000000141 0000", "TLV at offset 17: 2 bytes left"},
		{"0101000c fe00000944425251", "is not EAP-AnyConnect"},
		{"03010004", "is not EAP-AnyConnect"},
	} {
		_, err := Decode(fromHex(t, tc.hex))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s) error = %v, want it to mention %q", tc.hex, err, tc.want)
		}
	}
	big := &Message{Code: eap.CodeRequest, TLVs: []TLV{{Value: make([]byte, 0x10000)}}}
	if _, err := big.Encode(); err == nil || !strings.Contains(err.Error(), "exceeds 65535") {
		t.Errorf("oversized TLV: %v", err)
	}
}

// FuzzAnyConnectTLV checks that decoding never panics and that whatever
// decodes re-encodes to the same bytes and decodes to the same TLVs.
func FuzzAnyConnectTLV(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		out, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		p, _ := eap.Decode(b)
		if want, _ := p.Encode(); !bytes.Equal(out, want) {
			t.Fatalf("re-encoding changed the bytes:\n got %x\nwant %x", out, want)
		}
		m2, err := Decode(out)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if m2.Code != m.Code || m2.Identifier != m.Identifier || len(m2.TLVs) != len(m.TLVs) {
			t.Fatalf("second decode differs: %+v vs %+v", m2, m)
		}
		for i := range m.TLVs {
			if m.TLVs[i].Type != m2.TLVs[i].Type || !bytes.Equal(m.TLVs[i].Value, m2.TLVs[i].Value) {
				t.Fatalf("TLV #%d differs after a round trip", i)
			}
		}
	})
}
