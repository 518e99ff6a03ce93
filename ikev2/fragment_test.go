package ikev2

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// testPair returns protectors of both sides of one IKE SA with random keys.
func testPair(t testing.TB, suite string) (initiator, responder *protector) {
	t.Helper()
	ps, err := ParseProposals(suite, iana.ProtoIKE)
	if err != nil {
		t.Fatal(err)
	}
	s, err := suiteOf(ps[0])
	if err != nil {
		t.Fatal(err)
	}
	lens, err := ikecrypto.SuiteKeyLens(s.Encr, int(s.KeyBits), s.Integ)
	if err != nil {
		t.Fatal(err)
	}
	r := func(n int) []byte { b := make([]byte, n); rand.Read(b); return b }
	keys := &ikecrypto.IKEKeys{Ei: r(lens.Encr), Er: r(lens.Encr), Ai: r(lens.Integ), Ar: r(lens.Integ)}
	if initiator, err = newProtector(s, keys, true, rand.Reader); err != nil {
		t.Fatal(err)
	}
	if responder, err = newProtector(s, keys, false, rand.Reader); err != nil {
		t.Fatal(err)
	}
	return initiator, responder
}

var testSuites = []string{"aes256gcm16-prfsha256-ecp256", "aes192-sha1-modp1024", "aes256-sha512-modp2048", "3des-sha256-modp2048"}

// bigAuthResponse resembles a headend's first IKE_AUTH answer with a
// certificate chain of about 5 KB.
func bigAuthResponse() []wire.Payload {
	chain := testChain()
	return []wire.Payload{
		&wire.IDr{ID: wire.ID{IDType: wire.ID_FQDN, Data: []byte("vpn.example.com")}},
		&wire.Cert{Encoding: wire.CertX509Signature, Data: chain[0]},
		&wire.Cert{Encoding: wire.CertX509Signature, Data: chain[1]},
		&wire.Auth{Method: wire.AuthRSASignature, Data: bytes.Repeat([]byte{5}, 256)},
		&wire.EAP{Data: []byte{1, 1, 0, 5, 1}},
	}
}

var testChain = sync.OnceValue(func() [][]byte {
	ca := certgen.Must(certgen.SelfSigned(certgen.CA("vpnc-go test CA")))
	leaf := certgen.Server("vpn.example.com")
	for i := range 150 {
		leaf.DNSNames = append(leaf.DNSNames, fmt.Sprintf("vpn%d.example.com", i))
	}
	return certgen.DER(certgen.Must(ca.Issue(leaf)).Cert, ca.Cert)
})

var authHeader = wire.Header{SPIi: 1, SPIr: 2, Exchange: iana.IKE_AUTH, Flags: wire.FlagResponse, MessageID: 1}

func TestSealOpen(t *testing.T) {
	for _, suite := range testSuites {
		i, r := testPair(t, suite)
		msg, err := r.Seal(authHeader, bigAuthResponse())
		if err != nil {
			t.Fatal(err)
		}
		m, err := wire.Decode(msg)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := i.Open(msg, m)
		if err != nil {
			t.Fatalf("%s: %v", suite, err)
		}
		if !reflect.DeepEqual(ps, bigAuthResponse()) {
			t.Fatalf("%s: payloads differ", suite)
		}
		// The sender cannot open its own message: directions use other keys.
		if _, err := r.Open(msg, m); !errors.Is(err, ikecrypto.ErrIntegrity) {
			t.Fatalf("%s: opened with the wrong direction's keys: %v", suite, err)
		}
	}
}

func TestRFC7383RoundTrip(t *testing.T) {
	for _, suite := range testSuites {
		i, r := testPair(t, suite)
		frags, err := r.fragmentMessage(authHeader, bigAuthResponse(), 1280)
		if err != nil {
			t.Fatal(err)
		}
		if len(frags) < 3 {
			t.Fatalf("%s: %d fragments for ~4 KB at 1280", suite, len(frags))
		}
		// Deliver in random order, every fragment twice.
		order := append(append([]int{}, mrand.Perm(len(frags))...), mrand.Perm(len(frags))...)
		var re reassembler
		var got []wire.Payload
		for n, k := range order {
			if len(frags[k]) > 1280 {
				t.Fatalf("fragment of %d bytes exceeds 1280", len(frags[k]))
			}
			m, err := wire.Decode(frags[k])
			if err != nil {
				t.Fatal(err)
			}
			f, plain, err := i.OpenFragment(frags[k], m)
			if err != nil {
				t.Fatal(err)
			}
			done, first, inner, err := re.Add(time.Unix(100, 0), m.Header, f, plain)
			if err != nil {
				t.Fatal(err)
			}
			if done {
				// The first pass completes at its last fragment; the
				// duplicates of the second pass complete once more.
				if n != len(frags)-1 && n != len(order)-1 {
					t.Fatalf("completed at fragment %d of %d", n, len(order))
				}
				if got, err = wire.DecodePayloads(first, inner); err != nil {
					t.Fatal(err)
				}
			}
		}
		if !reflect.DeepEqual(got, bigAuthResponse()) {
			t.Fatalf("%s: reassembled payloads differ", suite)
		}
	}
}

func TestRFC7383Rules(t *testing.T) {
	i, r := testPair(t, testSuites[0])
	open := func(b []byte) (wire.Header, *wire.EncryptedFragment, []byte) {
		m, err := wire.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		f, plain, err := i.OpenFragment(b, m)
		if err != nil {
			t.Fatal(err)
		}
		return m.Header, f, plain
	}
	big, _ := r.fragmentMessage(authHeader, bigAuthResponse(), 1500)
	small, _ := r.fragmentMessage(authHeader, bigAuthResponse(), 600)
	now := time.Unix(100, 0)

	// A retransmission with smaller fragments (a larger total) replaces the
	// partial set; stragglers of the larger fragments are then ignored.
	var re reassembler
	h, f, p := open(big[0])
	re.Add(now, h, f, p)
	for k, b := range small {
		h, f, p := open(b)
		done, _, _, err := re.Add(now, h, f, p)
		if err != nil || done != (k == len(small)-1) {
			t.Fatalf("small fragment %d: done=%v err=%v", k, done, err)
		}
	}

	// Limits: too many fragments.
	re = reassembler{Limits: fragmentLimits{MaxFragments: 3, MaxBytes: 1 << 20, Timeout: time.Minute}}
	h, f, p = open(small[0])
	if _, _, _, err := re.Add(now, h, f, p); !errors.Is(err, errFragmentLimit) {
		t.Fatalf("fragment count limit: %v", err)
	}
	// Limits: bytes.
	re = reassembler{Limits: fragmentLimits{MaxFragments: 64, MaxBytes: 1000, Timeout: time.Minute}}
	var err error
	for _, b := range small[:3] {
		h, f, p := open(b)
		if _, _, _, err = re.Add(now, h, f, p); err != nil {
			break
		}
	}
	if !errors.Is(err, errFragmentLimit) {
		t.Fatalf("byte limit: %v", err)
	}
	// Timeout: a set older than the limit is dropped, so the message
	// never completes from its old pieces.
	re = reassembler{Limits: fragmentLimits{MaxFragments: 64, MaxBytes: 1 << 20, Timeout: time.Second}}
	for k, b := range small {
		h, f, p := open(b)
		at := now
		if k > 0 {
			at = now.Add(2 * time.Second)
		}
		if done, _, _, _ := re.Add(at, h, f, p); done {
			t.Fatal("completed with a fragment that had timed out")
		}
	}

	// A forged fragment fails its own integrity check.
	bad := append([]byte(nil), small[1]...)
	bad[len(bad)-1] ^= 1
	m, _ := wire.Decode(bad)
	if _, _, err := i.OpenFragment(bad, m); !errors.Is(err, ikecrypto.ErrIntegrity) {
		t.Fatalf("forged fragment: %v", err)
	}
}

func TestCiscoFragmentRoundTrip(t *testing.T) {
	i, r := testPair(t, testSuites[1])
	msg, err := r.Seal(authHeader, bigAuthResponse())
	if err != nil {
		t.Fatal(err)
	}
	frags, err := ciscoFragment(msg, 7, 700)
	if err != nil {
		t.Fatal(err)
	}
	if chunk := 700 - wire.HeaderLen - wire.CiscoFragmentHeaderLen; len(frags) != (len(msg)+chunk-1)/chunk {
		t.Fatalf("%d fragments for %d bytes", len(frags), len(msg))
	}
	var re ciscoReassembler
	var whole []byte
	for _, k := range append(mrand.Perm(len(frags)), 0, 3) {
		m, err := wire.Decode(frags[k])
		if err != nil {
			t.Fatal(err)
		}
		if m.Exchange != iana.IKE_AUTH || m.MessageID != 1 || m.NextPayload != iana.PayloadCiscoFragment || len(frags[k]) > 700 {
			t.Fatalf("fragment header %s next %s len %d", &m.Header, m.NextPayload, len(frags[k]))
		}
		out, err := re.Add(time.Unix(0, 0), m.Payloads[0].(*wire.CiscoFragment))
		if err != nil {
			t.Fatal(err)
		}
		if out != nil {
			whole = out
		}
	}
	if !bytes.Equal(whole, msg) {
		t.Fatal("reassembled message differs")
	}
	m, _ := wire.Decode(whole)
	if _, err := i.Open(whole, m); err != nil {
		t.Fatal(err)
	}
}

func TestCiscoReassemblerLimits(t *testing.T) {
	frag := func(id uint16, n uint8, last bool, size int) *wire.CiscoFragment {
		return &wire.CiscoFragment{FragmentID: id, Number: n, Last: last, Data: make([]byte, size)}
	}
	now := time.Unix(0, 0)
	var re ciscoReassembler
	if _, err := re.Add(now, frag(1, 65, false, 10)); !errors.Is(err, errFragmentLimit) {
		t.Fatalf("number above the limit: %v", err)
	}
	for id := uint16(10); id < 10+maxCiscoSets; id++ {
		if _, err := re.Add(now, frag(id, 1, false, 10)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := re.Add(now, frag(99, 1, false, 10)); !errors.Is(err, errFragmentLimit) {
		t.Fatalf("open message limit: %v", err)
	}
	// After the timeout the old sets are gone and a new ID is accepted.
	if _, err := re.Add(now.Add(time.Hour), frag(99, 1, false, 10)); err != nil {
		t.Fatal(err)
	}
	// A second "last" that disagrees is rejected.
	re = ciscoReassembler{}
	re.Add(now, frag(1, 3, true, 10))
	if _, err := re.Add(now, frag(1, 4, false, 10)); !errors.Is(err, errFragmentLimit) {
		t.Fatalf("fragment beyond the last: %v", err)
	}
	re.Add(now, frag(2, 3, false, 10))
	if _, err := re.Add(now, frag(2, 2, true, 10)); err == nil {
		t.Fatal("last fragment below a received one accepted")
	}
	re = ciscoReassembler{Limits: fragmentLimits{MaxFragments: 10, MaxBytes: 100, Timeout: time.Minute}}
	re.Add(now, frag(1, 1, false, 60))
	if _, err := re.Add(now, frag(1, 2, true, 60)); !errors.Is(err, errFragmentLimit) {
		t.Fatalf("byte limit: %v", err)
	}
}
