package ikev2

import (
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// fuzzLimits are small so the fuzzer reaches every limit quickly.
var fuzzLimits = fragmentLimits{MaxFragments: 8, MaxBytes: 256, Timeout: 10 * time.Second}

// FuzzReassembler feeds a stream of arbitrary RFC 7383 fragments. Each
// record of the input is: flags, message ID, number, total, seconds, length,
// then that many data bytes. The reassembler must never panic, hold more
// than its limits, or return a message larger than MaxBytes.
func FuzzReassembler(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 0, 3, 'a', 'b', 'c', 0, 1, 2, 2, 0, 1, 'd'})
	f.Add([]byte{1, 5, 2, 9, 0, 0, 1, 5, 1, 1, 20, 2, 'x', 'y'})
	f.Fuzz(func(t *testing.T, in []byte) {
		re := reassembler{Limits: fuzzLimits}
		for len(in) >= 6 {
			h := wire.Header{MessageID: uint32(in[1] % 4)}
			if in[0]&1 != 0 {
				h.Flags = wire.FlagResponse
			}
			frag := &wire.EncryptedFragment{Number: uint16(in[2] % 12), Total: uint16(in[3] % 12), NextPayload: iana.PayloadNonce}
			now := time.Unix(int64(in[4]), 0)
			n := min(int(in[5]), len(in)-6)
			data := in[6 : 6+n]
			in = in[6+n:]
			if frag.Number == 0 || frag.Total == 0 || frag.Number > frag.Total {
				continue // the wire decoder rejects these
			}
			done, _, inner, err := re.Add(now, h, frag, data)
			if err == nil && done && len(inner) > fuzzLimits.MaxBytes {
				t.Fatalf("reassembled %d bytes over the limit", len(inner))
			}
			for _, s := range re.sets {
				if s != nil && (s.bytes > fuzzLimits.MaxBytes || len(s.parts) > fuzzLimits.MaxFragments) {
					t.Fatalf("holding %d bytes in %d parts", s.bytes, len(s.parts))
				}
			}
		}
	})
}

// FuzzCiscoReassembler does the same for Cisco fragments. Records: ID,
// number, flags, seconds, length, data.
func FuzzCiscoReassembler(f *testing.F) {
	f.Add([]byte{1, 1, 0, 0, 2, 'a', 'b', 1, 2, 1, 0, 1, 'c'})
	f.Fuzz(func(t *testing.T, in []byte) {
		re := ciscoReassembler{Limits: fuzzLimits}
		for len(in) >= 5 {
			frag := &wire.CiscoFragment{FragmentID: uint16(in[0] % 8), Number: in[1], Last: in[2]&1 != 0}
			now := time.Unix(int64(in[3]), 0)
			n := min(int(in[4]), len(in)-5)
			frag.Data = in[5 : 5+n]
			in = in[5+n:]
			if frag.Number == 0 {
				continue
			}
			out, err := re.Add(now, frag)
			if err == nil && len(out) > fuzzLimits.MaxBytes {
				t.Fatalf("reassembled %d bytes over the limit", len(out))
			}
			if len(re.sets) > maxCiscoSets {
				t.Fatalf("%d open sets", len(re.sets))
			}
			for _, s := range re.sets {
				if s.bytes > fuzzLimits.MaxBytes || len(s.parts) > fuzzLimits.MaxFragments {
					t.Fatalf("holding %d bytes in %d parts", s.bytes, len(s.parts))
				}
			}
		}
	})
}
