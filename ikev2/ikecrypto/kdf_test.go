package ikecrypto

import (
	"bytes"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// The NIST CAVP IKEv2 vectors chain: prf_sha256_1 gives SKEYSEED from
// g^ir and Ni | Nr, and prf_plus_sha256_1 expands it with
// Ni | Nr | SPIi | SPIr. DeriveIKEKeys must cut that stream in RFC 7296
// order.
func TestDeriveIKEKeysSplitsPRFPlus(t *testing.T) {
	var seed, plus prfVector
	for _, v := range readPRFVectors(t) {
		switch v.name {
		case "prf_sha256_1":
			seed = v
		case "prf_plus_sha256_1":
			plus = v
		}
	}
	p := mustPRF(t, iana.PRF_HMAC_SHA2_256)
	ni, nr := seed.salt[:8], seed.salt[8:16]
	skeyseed := SKEYSEED(p, ni, nr, seed.key)
	if !bytes.Equal(skeyseed, plus.key) {
		t.Fatalf("SKEYSEED %x does not chain into the prf+ vector's key %x", skeyseed, plus.key)
	}
	if !bytes.Equal(plus.salt[:16], seed.salt) {
		t.Fatal("vector salts do not chain")
	}
	spiI, spiR := plus.salt[16:24], plus.salt[24:32]

	// The vector has 132 octets, less than any real suite needs beyond the
	// 3*32 octets of SK_d, SK_pi and SK_pr; odd sizes still check the split.
	lens := KeyLens{Encr: 8, Integ: 10}
	k, err := DeriveIKEKeys(p, skeyseed, ni, nr, spiI, spiR, lens)
	if err != nil {
		t.Fatal(err)
	}
	got := concat(k.D, k.Ai, k.Ar, k.Ei, k.Er, k.Pi, k.Pr)
	if !bytes.Equal(got, plus.out[:len(got)]) {
		t.Errorf("keys %x\nare not the prf+ stream %x", got, plus.out)
	}
	if len(k.D) != 32 || len(k.Pi) != 32 || len(k.Ei) != lens.Encr || len(k.Ai) != lens.Integ {
		t.Errorf("key sizes D=%d Pi=%d Ei=%d Ai=%d", len(k.D), len(k.Pi), len(k.Ei), len(k.Ai))
	}
	// Capped slices: appending to one key must not clobber the next.
	_ = append(k.D, 0xff)
	if k.Ai[0] != plus.out[32] {
		t.Error("append to SK_d overwrote SK_ai")
	}
	if _, err := DeriveIKEKeys(p, skeyseed, ni, nr, spiI[:4], spiR, lens); err == nil {
		t.Error("DeriveIKEKeys accepted a 4-octet SPI")
	}
}

func TestDeriveChildKeys(t *testing.T) {
	p := mustPRF(t, iana.PRF_HMAC_SHA1)
	skd, ni, nr, gir := []byte("SK_d key"), []byte("Ni nonce"), []byte("Nr nonce"), []byte("g^ir new")
	lens, err := SuiteKeyLens(iana.ENCR_AES_CBC, 256, iana.AUTH_HMAC_SHA1_96)
	if err != nil {
		t.Fatal(err)
	}
	for _, pfs := range [][]byte{nil, gir} {
		k, err := DeriveChildKeys(p, skd, pfs, ni, nr, lens)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := p.Plus(skd, concat(pfs, ni, nr), 2*(32+20))
		got := concat(k.InitiatorToResponder.Encr, k.InitiatorToResponder.Integ,
			k.ResponderToInitiator.Encr, k.ResponderToInitiator.Integ)
		if !bytes.Equal(got, want) {
			t.Errorf("pfs=%v: KEYMAT split wrong:\n%x\n%x", pfs != nil, got, want)
		}
		if len(k.ResponderToInitiator.Integ) != 20 || len(k.InitiatorToResponder.Encr) != 32 {
			t.Errorf("pfs=%v: wrong key sizes", pfs != nil)
		}
	}
}

func TestRekeySKEYSEED(t *testing.T) {
	p := mustPRF(t, iana.PRF_HMAC_SHA2_256)
	old, gir, ni, nr := []byte("old SK_d"), []byte("gir"), []byte("ni"), []byte("nr")
	want := p.Compute(old, concat(gir, ni, nr))
	if got := RekeySKEYSEED(p, old, gir, ni, nr); !bytes.Equal(got, want) {
		t.Errorf("RekeySKEYSEED = %x, want prf(SK_d, g^ir | Ni | Nr) = %x", got, want)
	}
}

func TestSuiteKeyLens(t *testing.T) {
	for _, tc := range []struct {
		encr  iana.EncrID
		bits  int
		integ iana.IntegID
		want  KeyLens
		ok    bool
	}{
		{iana.ENCR_AES_CBC, 192, iana.AUTH_HMAC_SHA1_96, KeyLens{24, 20}, true},
		{iana.ENCR_AES_CBC, 256, iana.AUTH_HMAC_SHA2_256_128, KeyLens{32, 32}, true},
		{iana.ENCR_AES_GCM_16, 256, iana.AUTH_NONE, KeyLens{36, 0}, true},
		{iana.ENCR_AES_GCM_16, 128, iana.AUTH_NONE, KeyLens{20, 0}, true},
		{iana.ENCR_3DES, 0, iana.AUTH_HMAC_SHA2_512_256, KeyLens{24, 64}, true},
		{iana.ENCR_AES_CBC, 0, iana.AUTH_HMAC_SHA1_96, KeyLens{}, false},      // AES needs a key length
		{iana.ENCR_AES_CBC, 256, iana.AUTH_NONE, KeyLens{}, false},            // CBC needs integrity
		{iana.ENCR_AES_GCM_16, 256, iana.AUTH_HMAC_SHA1_96, KeyLens{}, false}, // GCM forbids it
		{iana.ENCR_3DES, 128, iana.AUTH_HMAC_SHA1_96, KeyLens{}, false},       // fixed-length 3DES
		{iana.ENCR_CHACHA20_POLY1305, 256, iana.AUTH_NONE, KeyLens{}, false},  // unsupported
		{iana.ENCR_AES_CBC, 256, iana.AUTH_AES_XCBC_96, KeyLens{}, false},     // unsupported
	} {
		got, err := SuiteKeyLens(tc.encr, tc.bits, tc.integ)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("SuiteKeyLens(%s, %d, %s) = %v, %v; want %v ok=%v",
				tc.encr, tc.bits,
				tc.integ, got, err, tc.want, tc.ok)
		}
	}
}
