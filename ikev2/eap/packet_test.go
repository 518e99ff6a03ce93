package eap

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// ciscoMethod is an expanded type of a vendor's space, the one of Cisco's
// EAP-AnyConnect (Vendor-Id 9, Vendor-Type "DBRP"), implemented in package
// anyconnect.
var ciscoMethod = ExpandedType{VendorID: 9, VendorType: 0x44425250}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", "\n", "", "\t", "").Replace(s))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestDecodeEncodeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		want Packet
	}{
		{"success", "03040004", Packet{Code: CodeSuccess, Identifier: 4}},
		{"failure", "04ff0004", Packet{Code: CodeFailure, Identifier: 255}},
		{"identity request, empty", "0101000501", Packet{Code: CodeRequest, Identifier: 1, Type: TypeIdentity, Data: []byte{}}},
		{"identity response", "020200090175736572", Packet{Code: CodeResponse, Identifier: 2, Type: TypeIdentity, Data: []byte("user")}},
		{"expanded", "0107000dfe00000944425250aa", Packet{Code: CodeRequest, Identifier: 7, Type: TypeExpanded,
			VendorID: ciscoMethod.VendorID, VendorType: ciscoMethod.VendorType, Data: []byte{0xaa}}},
		{"expanded, no data", "0207000cfe12345600000001", Packet{Code: CodeResponse, Identifier: 7, Type: TypeExpanded,
			VendorID: 0x123456, VendorType: 1, Data: []byte{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustHex(t, tc.hex)
			p, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if p.Code != tc.want.Code || p.Identifier != tc.want.Identifier || p.Type != tc.want.Type ||
				p.VendorID != tc.want.VendorID || p.VendorType != tc.want.VendorType || !bytes.Equal(p.Data, tc.want.Data) {
				t.Fatalf("Decode = %+v, want %+v", *p, tc.want)
			}
			out, err := p.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, b) {
				t.Fatalf("Encode = %x, want %x", out, b)
			}
		})
	}
}

func TestDecodeIgnoresPadding(t *testing.T) {
	p, err := Decode(mustHex(t, "0201000601 61 0000"))
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Data) != "a" {
		t.Fatalf("Data = %q, want %q", p.Data, "a")
	}
	out, _ := p.Encode()
	if !bytes.Equal(out, mustHex(t, "020100060161")) {
		t.Fatalf("Encode = %x", out)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ hex, want string }{
		{"", "shorter than the 4-byte header"},
		{"010100", "shorter than the 4-byte header"},
		{"01010010 01", "Length 16 exceeds the 5 bytes available"},
		{"05010004", "unknown Code 5"},
		{"01010002 00", "Length 2 is shorter than the 4-byte header"},
		{"03010005 00", "Length 5, want 4"},
		{"01010004", "no room for the Type"},
		{"0101000b fe000009444252", "expanded type needs 12 bytes, Length is 11"},
	} {
		_, err := Decode(mustHex(t, tc.hex))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s) error = %v, want it to mention %q", tc.hex, err, tc.want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tc := range []struct {
		p    Packet
		want string
	}{
		{Packet{Code: CodeRequest, Type: TypeExpanded, VendorID: 1 << 24}, "does not fit in 24 bits"},
		{Packet{Code: CodeResponse, Type: TypeIdentity, Data: make([]byte, 0xFFFF)}, "exceeds 65535"},
		{Packet{Code: CodeSuccess, Data: []byte{1}}, "allows none"},
	} {
		_, err := tc.p.Encode()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Encode(%v) error = %v, want it to mention %q", &tc.p, err, tc.want)
		}
	}
}

func TestNak(t *testing.T) {
	legacy, _ := NewNak(3, TypeMSCHAPv2, TypeExpanded).Encode()
	if want := mustHex(t, "02030007031afe"); !bytes.Equal(legacy, want) {
		t.Fatalf("legacy Nak = %x, want %x", legacy, want)
	}
	none, _ := NewNak(3).Encode()
	if want := mustHex(t, "020300060300"); !bytes.Equal(none, want) {
		t.Fatalf("empty Nak = %x, want %x", none, want)
	}
	exp := NewExpandedNak(9, ciscoMethod, ExpandedType{VendorType: uint32(TypeGTC)})
	b, _ := exp.Encode()
	want := mustHex(t, "0209001c fe00000000000003 fe00000944425250 fe00000000000006")
	if !bytes.Equal(b, want) {
		t.Fatalf("expanded Nak = %x, want %x", b, want)
	}
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.NakTypes()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != ciscoMethod || got[1].String() != "GTC" {
		t.Fatalf("NakTypes = %v", got)
	}
	bad := &Packet{Code: CodeResponse, Type: TypeExpanded, VendorType: 3, Data: make([]byte, 8)}
	if _, err := bad.NakTypes(); err == nil || !strings.Contains(err.Error(), "offset 12 has Type 0") {
		t.Fatalf("NakTypes on a bad entry: %v", err)
	}
}
