package esp

import (
	"bytes"
	"testing"
)

// fuzzSuites are one inbound SA of each kind: AES-GCM, AES-CBC with each
// HMAC length, 3DES, with and without ESN.
var fuzzSuites = []testSuite{testSuites[2], testSuites[3], testSuites[6], testSuites[9], testSuites[10], testSuites[11]}

// FuzzDecap feeds arbitrary bytes to inbound SAs of every suite kind: they
// must never panic, and what they accept must be a well-formed result.
func FuzzDecap(f *testing.F) {
	var ins []*InboundSA
	for _, ts := range fuzzSuites {
		for _, esn := range []bool{false, true} {
			out, in := pair(f, ts.config(esn))
			ins = append(ins, in)
			// Seeds: valid packets of several sizes, and prefixes.
			for _, n := range []int{0, 1, 20, 100} {
				p := encap(f, out, innerPacket(4, n, uint64(n)))
				f.Add(p)
				f.Add(p[:len(p)/2])
			}
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range ins {
			p := bytes.Clone(data)
			inner, nh, err := in.Decap(p)
			if err != nil {
				if inner != nil || nh != 0 {
					t.Fatal("result with an error")
				}
				continue
			}
			if len(inner) > len(data) {
				t.Fatalf("inner %d bytes from %d", len(inner), len(data))
			}
		}
		k, body := Classify(data)
		if k == KindIKE && len(body) != len(data)-NonESPMarkerLen || k == KindESP && len(body) != len(data) {
			t.Fatal("classify body")
		}
	})
}
