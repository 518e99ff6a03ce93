package ikecrypto

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

type skSuite struct {
	name  string
	encr  iana.EncrID
	bits  int
	integ iana.IntegID
}

var skSuites = []skSuite{
	{"aes128-cbc-sha1", iana.ENCR_AES_CBC, 128, iana.AUTH_HMAC_SHA1_96},
	{"aes192-cbc-sha1", iana.ENCR_AES_CBC, 192, iana.AUTH_HMAC_SHA1_96},
	{"aes256-cbc-sha256", iana.ENCR_AES_CBC, 256, iana.AUTH_HMAC_SHA2_256_128},
	{"aes256-cbc-sha384", iana.ENCR_AES_CBC, 256, iana.AUTH_HMAC_SHA2_384_192},
	{"aes256-cbc-sha512", iana.ENCR_AES_CBC, 256, iana.AUTH_HMAC_SHA2_512_256},
	{"3des-cbc-sha1", iana.ENCR_3DES, 0, iana.AUTH_HMAC_SHA1_96},
	{"aes128-gcm16", iana.ENCR_AES_GCM_16, 128, iana.AUTH_NONE},
	{"aes256-gcm16", iana.ENCR_AES_GCM_16, 256, iana.AUTH_NONE},
	{"aes256-gcm12", iana.ENCR_AES_GCM_12, 256, iana.AUTH_NONE},
}

// newTestSK builds a cipher for s with keys of a fixed pattern.
func newTestSK(t testing.TB, s skSuite) *SKCipher {
	t.Helper()
	lens, err := SuiteKeyLens(s.encr, s.bits, s.integ)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewSKCipher(s.encr, s.bits, s.integ, bytes.Repeat([]byte{0x11}, lens.Encr), bytes.Repeat([]byte{0x22}, lens.Integ))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testPrefix stands for an IKE header plus SK payload header.
var testPrefix = []byte("IKE header 28 octets........SKhd")

func TestSKRoundTrip(t *testing.T) {
	for _, s := range skSuites {
		t.Run(s.name, func(t *testing.T) {
			c := newTestSK(t, s)
			for n := range 70 {
				pt := bytes.Repeat([]byte{byte(n)}, n)
				msg, err := c.Seal(bytes.Clone(testPrefix), testPrefix, pt, rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				body := msg[len(testPrefix):]
				if !bytes.Equal(msg[:len(testPrefix)], testPrefix) {
					t.Fatal("Seal changed the prefix")
				}
				if len(body) != c.SealedLen(n) {
					t.Fatalf("n=%d: body %d octets, SealedLen says %d", n, len(body), c.SealedLen(n))
				}
				got, err := c.Open(testPrefix, body)
				if err != nil {
					t.Fatalf("n=%d: %v", n, err)
				}
				if !bytes.Equal(got, pt) {
					t.Fatalf("n=%d: got %x, want %x", n, got, pt)
				}
			}
		})
	}
}

func TestSKTamper(t *testing.T) {
	for _, s := range skSuites {
		t.Run(s.name, func(t *testing.T) {
			c := newTestSK(t, s)
			body, err := c.Seal(nil, testPrefix, []byte("inner payloads"), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			// Flip every bit of the body, and a bit of the prefix: all must
			// fail the integrity check, none may be reported as malformed.
			for i := range len(body) * 8 {
				b := bytes.Clone(body)
				b[i/8] ^= 1 << (i % 8)
				if _, err := c.Open(testPrefix, b); !errors.Is(err, ErrIntegrity) {
					t.Fatalf("bit %d flipped: err = %v, want ErrIntegrity", i, err)
				}
			}
			p := bytes.Clone(testPrefix)
			p[3] ^= 0x80
			if _, err := c.Open(p, body); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("prefix altered: err = %v, want ErrIntegrity", err)
			}
			// A cipher for the other direction (other keys) must reject it.
			lens, _ := SuiteKeyLens(s.encr, s.bits, s.integ)
			other, _ := NewSKCipher(s.encr, s.bits, s.integ, bytes.Repeat([]byte{0x33}, lens.Encr), bytes.Repeat([]byte{0x44}, lens.Integ))
			if _, err := other.Open(testPrefix, body); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("other key: err = %v, want ErrIntegrity", err)
			}
		})
	}
}

func TestSKMalformed(t *testing.T) {
	for _, s := range skSuites {
		t.Run(s.name, func(t *testing.T) {
			c := newTestSK(t, s)
			body, _ := c.Seal(nil, testPrefix, nil, rand.Reader)
			for _, n := range []int{0, 1, len(body) - 1} {
				if _, err := c.Open(testPrefix, body[:n]); !errors.Is(err, ErrMalformed) {
					t.Errorf("%d-octet body: err = %v, want ErrMalformed", n, err)
				}
			}
		})
	}
}

// sealRaw builds a valid body whose decrypted octets are exactly inner,
// Pad Length included, to test what Open does with odd Pad Lengths.
func sealRaw(c *SKCipher, inner []byte) []byte {
	iv := bytes.Repeat([]byte{7}, c.ivLen)
	if c.aead != nil {
		nonce := c.gcmNonce(iv)
		return c.aead.Seal(iv, nonce[:], inner, testPrefix)
	}
	ct := make([]byte, len(inner))
	cipher.NewCBCEncrypter(c.cbc, iv).CryptBlocks(ct, inner)
	out := append(iv, ct...)
	return c.mac.Sum(out, testPrefix, out)
}

func TestSKBadPadLength(t *testing.T) {
	for _, s := range skSuites {
		t.Run(s.name, func(t *testing.T) {
			c := newTestSK(t, s)
			n := c.block
			if n == 1 {
				n = 16
			}
			inner := make([]byte, n)
			inner[n-1] = byte(n) // Pad Length claims more than there is
			if _, err := c.Open(testPrefix, sealRaw(c, inner)); !errors.Is(err, ErrMalformed) {
				t.Errorf("Pad Length %d in %d octets: err = %v, want ErrMalformed", n, n, err)
			}
			inner[n-1] = byte(n - 1) // all padding: an empty payload list
			got, err := c.Open(testPrefix, sealRaw(c, inner))
			if err != nil || len(got) != 0 {
				t.Errorf("Pad Length %d in %d octets: got %x, %v; want empty", n-1, n, got, err)
			}
		})
	}
}

func TestSKGCMIVsDiffer(t *testing.T) {
	c := newTestSK(t, skSuites[len(skSuites)-2])
	a, _ := c.Seal(nil, testPrefix, []byte("x"), rand.Reader)
	b, _ := c.Seal(nil, testPrefix, []byte("x"), rand.Reader)
	if bytes.Equal(a[:gcmIVLen], b[:gcmIVLen]) {
		t.Fatal("two Seals used the same GCM IV")
	}
}

func TestSKSealAppendsInPlace(t *testing.T) {
	c := newTestSK(t, skSuites[2])
	buf := make([]byte, len(testPrefix), 512)
	copy(buf, testPrefix)
	msg, err := c.Seal(buf, buf, []byte("hello"), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if &msg[0] != &buf[0] {
		t.Error("Seal reallocated although dst had capacity")
	}
	if _, err := c.Open(msg[:len(testPrefix)], msg[len(testPrefix):]); err != nil {
		t.Fatal(err)
	}
}

func TestNewSKCipherKeyErrors(t *testing.T) {
	if _, err := NewSKCipher(iana.ENCR_AES_GCM_16, 256, iana.AUTH_NONE, make([]byte, 32), nil); !errors.Is(err, ErrKeyLength) {
		t.Errorf("GCM key without salt: err = %v, want ErrKeyLength", err)
	}
	if _, err := NewSKCipher(iana.ENCR_AES_CBC, 128, iana.AUTH_HMAC_SHA1_96, make([]byte, 16), make([]byte, 16)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("short integrity key: err = %v, want ErrKeyLength", err)
	}
	if _, err := NewSKCipher(iana.ENCR_AES_GCM_8, 128, iana.AUTH_NONE, make([]byte, 20), nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("GCM_8: err = %v, want ErrUnsupported", err)
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestSKSealRandomFailure(t *testing.T) {
	for _, s := range []skSuite{skSuites[0], skSuites[7]} {
		if _, err := newTestSK(t, s).Seal(nil, testPrefix, []byte("x"), errReader{}); err == nil {
			t.Errorf("%s: Seal succeeded without randomness", s.name)
		}
	}
}

func FuzzSKOpen(f *testing.F) {
	cbc := newTestSK(f, skSuites[2])
	gcm := newTestSK(f, skSuites[7])
	for _, c := range []*SKCipher{cbc, gcm} {
		body, _ := c.Seal(nil, testPrefix, []byte("seed plaintext"), rand.Reader)
		f.Add(testPrefix, body)
	}
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, prefix, body []byte) {
		for _, c := range []*SKCipher{cbc, gcm} {
			pt, err := c.Open(prefix, body)
			if err == nil && len(pt) >= len(body) {
				t.Fatalf("plaintext of %d octets from a %d-octet body", len(pt), len(body))
			}
		}
	})
}

func benchmarkSK(b *testing.B, s skSuite) {
	c := newTestSK(b, s)
	pt := make([]byte, 1024)
	buf := make([]byte, 0, len(testPrefix)+c.SealedLen(len(pt)))
	b.Run("Seal", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Seal(buf[:0], testPrefix, pt, rand.Reader); err != nil {
				b.Fatal(err)
			}
		}
	})
	body, _ := c.Seal(nil, testPrefix, pt, rand.Reader)
	b.Run("Open", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Open(testPrefix, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSKAES256GCM16(b *testing.B)         { benchmarkSK(b, skSuites[7]) }
func BenchmarkSKAES256CBCHMACSHA256(b *testing.B) { benchmarkSK(b, skSuites[2]) }
