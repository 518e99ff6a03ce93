package wire

import (
	"bytes"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/recorded"
)

// FuzzDecode checks that no input panics the decoder, and that whatever
// decodes re-encodes to bytes that decode to the same message.
func FuzzDecode(f *testing.F) {
	if b, err := sampleMessage().Encode(); err == nil {
		f.Add(b)
	}
	if sessions, err := recorded.All(); err == nil {
		for _, s := range sessions {
			for _, d := range s.IKEMessages() {
				f.Add(d.Payload)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		again, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		m2, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		third, _ := m2.Encode()
		if !bytes.Equal(again, third) {
			t.Fatal("encoding is not stable")
		}
	})
}

// FuzzDecodePayloads covers the decoder of decrypted SK contents, which
// starts from a payload type instead of a header.
func FuzzDecodePayloads(f *testing.F) {
	m := sampleMessage()
	if b, first, err := AppendPayloads(nil, m.Payloads); err == nil {
		f.Add(uint8(first), b)
	}
	f.Fuzz(func(t *testing.T, first uint8, b []byte) {
		ps, err := DecodePayloads(iana.PayloadType(first), b)
		if err != nil {
			return
		}
		out, gotFirst, err := AppendPayloads(nil, ps)
		if err != nil {
			t.Fatalf("decoded payloads do not encode: %v", err)
		}
		if _, err := DecodePayloads(gotFirst, out); err != nil {
			t.Fatalf("re-encoded payloads do not decode: %v", err)
		}
	})
}
