package ikecrypto

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

// unhex decodes hex, ignoring spaces and newlines so vectors can be typed
// as the RFCs print them.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

func mustPRF(t testing.TB, id iana.PRFID) *PRF {
	t.Helper()
	p, err := NewPRF(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type prfVector struct {
	name, prf      string
	key, salt, out []byte
}

// readPRFVectors parses testdata/vectors/ikev2-prf.txt: "[name] prf=ID"
// section headers followed by key=, salt= and out= lines in hex.
func readPRFVectors(t *testing.T) []prfVector {
	f, err := os.Open("../../testdata/vectors/ikev2-prf.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []prfVector
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#':
		case line[0] == '[':
			name, prf, ok := strings.Cut(line[1:], "] prf=")
			if !ok {
				t.Fatalf("bad section header %q", line)
			}
			vs = append(vs, prfVector{name: name, prf: prf})
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || len(vs) == 0 {
				t.Fatalf("bad line %q", line)
			}
			cur := &vs[len(vs)-1]
			switch k {
			case "key":
				cur.key = unhex(t, v)
			case "salt":
				cur.salt = unhex(t, v)
			case "out":
				cur.out = unhex(t, v)
			default:
				t.Fatalf("unknown field %q", k)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestPRFVectorFile(t *testing.T) {
	ids := map[string]iana.PRFID{
		"PRF_HMAC_SHA1": iana.PRF_HMAC_SHA1, "PRF_HMAC_SHA2_256": iana.PRF_HMAC_SHA2_256,
		"PRF_HMAC_SHA2_384": iana.PRF_HMAC_SHA2_384, "PRF_HMAC_SHA2_512": iana.PRF_HMAC_SHA2_512,
	}
	vs := readPRFVectors(t)
	if len(vs) < 12 {
		t.Fatalf("parsed only %d vectors", len(vs))
	}
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			id, ok := ids[v.prf]
			if !ok {
				t.Fatalf("unknown prf %q", v.prf)
			}
			p := mustPRF(t, id)
			switch {
			case strings.HasPrefix(v.name, "prf_plus_"):
				got, err := p.Plus(v.key, v.salt, len(v.out))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, v.out) {
					t.Errorf("prf+ = %x\nwant   %x", got, v.out)
				}
			case strings.HasPrefix(v.name, "prf_"):
				// key = g^ir, salt = Ni | Nr: SKEYSEED = prf(Ni | Nr, g^ir).
				half := len(v.salt) / 2
				if got := SKEYSEED(p, v.salt[:half], v.salt[half:], v.key); !bytes.Equal(got, v.out) {
					t.Errorf("SKEYSEED = %x\nwant       %x", got, v.out)
				}
			default:
				t.Fatalf("unknown vector kind %q", v.name)
			}
		})
	}
}

// RFC 4868 section 2.7.1 (PRF) and 2.7.2 (truncated authenticator) cases.
// Keys for the PRF cases are those of RFC 4231; the AUTH cases use keys of
// the full hash length as RFC 4868 requires for integrity.
var rfc4868Data = map[string]string{
	"hi":   "4869205468657265", // "Hi There"
	"jefe": "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	"dd":   strings.Repeat("dd", 50),
	"cd":   strings.Repeat("cd", 50),
}

func TestRFC4868PRF(t *testing.T) {
	for _, tc := range []struct {
		name      string
		id        iana.PRFID
		key, data string
		out       string
	}{
		{"SHA256 PRF-1", iana.PRF_HMAC_SHA2_256, strings.Repeat("0b", 20), "hi",
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"SHA384 PRF-1", iana.PRF_HMAC_SHA2_384, strings.Repeat("0b", 20), "hi",
			"afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
		{"SHA384 PRF-2", iana.PRF_HMAC_SHA2_384, "4a656665", "jefe",
			"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
		{"SHA384 PRF-3", iana.PRF_HMAC_SHA2_384, strings.Repeat("aa", 20), "dd",
			"88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27"},
		{"SHA384 PRF-4", iana.PRF_HMAC_SHA2_384, "0102030405060708090a0b0c0d0e0f10111213141516171819", "cd",
			"3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb"},
		// The AUTH cases also give the untruncated output.
		{"SHA256 AUTH256-1", iana.PRF_HMAC_SHA2_256, strings.Repeat("0b", 32), "hi",
			"198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7"},
		{"SHA256 AUTH256-2", iana.PRF_HMAC_SHA2_256, strings.Repeat("4a656665", 8), "jefe",
			"167f928588c5cc2eef8e3093caa0e87c9ff566a14794aa61648d81621a2a40c6"},
		{"SHA256 AUTH256-3", iana.PRF_HMAC_SHA2_256, strings.Repeat("aa", 32), "dd",
			"cdcb1220d1ecccea91e53aba3092f962e549fe6ce9ed7fdc43191fbde45c30b0"},
		{"SHA256 AUTH256-4", iana.PRF_HMAC_SHA2_256, "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", "cd",
			"372efcf9b40b35c2115b1346903d2ef42fced46f0846e7257bb156d3d7b30d3f"},
		{"SHA512 AUTH512-1", iana.PRF_HMAC_SHA2_512, strings.Repeat("0b", 64), "hi",
			"637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8" +
				"ac2878ebd5803f6f0b61dbce5e251ff8789a4722c1be65aea45fd464e89f8f5b"},
	} {
		p := mustPRF(t, tc.id)
		got := p.Compute(unhex(t, tc.key), unhex(t, rfc4868Data[tc.data]))
		if want := unhex(t, tc.out); !bytes.Equal(got, want) {
			t.Errorf("%s: prf = %x, want %x", tc.name, got, want)
		}
		if len(got) != p.Size() {
			t.Errorf("%s: %d octets, Size says %d", tc.name, len(got), p.Size())
		}
	}
}

func TestRFC4868Integ(t *testing.T) {
	for _, tc := range []struct {
		name      string
		id        iana.IntegID
		key, data string
		icv       string
	}{
		{"AUTH256-1", iana.AUTH_HMAC_SHA2_256_128, strings.Repeat("0b", 32), "hi", "198a607eb44bfbc69903a0f1cf2bbdc5"},
		{"AUTH256-2", iana.AUTH_HMAC_SHA2_256_128, strings.Repeat("4a656665", 8), "jefe", "167f928588c5cc2eef8e3093caa0e87c"},
		{"AUTH256-3", iana.AUTH_HMAC_SHA2_256_128, strings.Repeat("aa", 32), "dd", "cdcb1220d1ecccea91e53aba3092f962"},
		{"AUTH256-4", iana.AUTH_HMAC_SHA2_256_128, "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", "cd",
			"372efcf9b40b35c2115b1346903d2ef4"},
		{"AUTH384-1", iana.AUTH_HMAC_SHA2_384_192, strings.Repeat("0b", 48), "hi", "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973"},
		{"AUTH384-2", iana.AUTH_HMAC_SHA2_384_192, strings.Repeat("4a656665", 12), "jefe", "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d"},
		{"AUTH384-3", iana.AUTH_HMAC_SHA2_384_192, strings.Repeat("aa", 48), "dd", "809f439be00274321d4a538652164b53554a508184a0c316"},
		{"AUTH384-4", iana.AUTH_HMAC_SHA2_384_192,
			"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f200a0b0c0d0e0f10111213141516171819", "cd",
			"5b540085c6e6358096532b2493609ed1cb298f774f87bb5c"},
		{"AUTH512-1", iana.AUTH_HMAC_SHA2_512_256, strings.Repeat("0b", 64), "hi",
			"637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"},
		// RFC 2202 test case 5, whose digest-96 is HMAC-SHA1-96 (RFC 2404).
		{"RFC2202-5", iana.AUTH_HMAC_SHA1_96, strings.Repeat("0c", 20), "546573742057697468205472756e636174696f6e",
			"4c1a03424b55e07fe7f27be1"},
	} {
		integ, err := NewInteg(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		mac, err := integ.Key(unhex(t, tc.key))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		data, ok := rfc4868Data[tc.data]
		if !ok {
			data = tc.data
		}
		want := unhex(t, tc.icv)
		if got := mac.Sum(nil, unhex(t, data)); !bytes.Equal(got, want) {
			t.Errorf("%s: ICV = %x, want %x", tc.name, got, want)
		}
		if integ.ICVLen() != len(want) {
			t.Errorf("%s: ICVLen = %d, want %d", tc.name, integ.ICVLen(), len(want))
		}
		// Split input must give the same ICV; a flipped bit must not verify.
		d := unhex(t, data)
		if !mac.Verify(want, d[:3], d[3:]) {
			t.Errorf("%s: Verify rejects the right ICV", tc.name)
		}
		want[len(want)-1] ^= 1
		if mac.Verify(want, d) {
			t.Errorf("%s: Verify accepts a wrong ICV", tc.name)
		}
	}
}

func TestIntegKeyLength(t *testing.T) {
	integ, _ := NewInteg(iana.AUTH_HMAC_SHA2_256_128)
	if _, err := integ.Key(make([]byte, 20)); err == nil {
		t.Error("Key accepted a 20-octet key for HMAC_SHA2_256_128")
	}
	if _, err := NewInteg(iana.AUTH_AES_XCBC_96); err == nil {
		t.Error("NewInteg accepted AES_XCBC_96")
	}
}

func TestPRFPlusLimits(t *testing.T) {
	p := mustPRF(t, iana.PRF_HMAC_SHA1)
	if _, err := p.Plus([]byte("k"), []byte("s"), 255*20+1); err == nil {
		t.Error("prf+ produced more than 255 blocks")
	}
	if _, err := p.Plus([]byte("k"), []byte("s"), -1); err == nil {
		t.Error("prf+ accepted a negative length")
	}
	full, err := p.Plus([]byte("k"), []byte("s"), 255*20)
	if err != nil {
		t.Fatal(err)
	}
	// Any shorter request is a prefix; T1 = prf(K, S | 0x01).
	short, _ := p.Plus([]byte("k"), []byte("s"), 7)
	if !bytes.Equal(short, full[:7]) || cap(short) != 7 {
		t.Errorf("short prf+ %x is not a capped prefix of %x", short, full[:7])
	}
	if t1 := p.Compute([]byte("k"), []byte("s"), []byte{1}); !bytes.Equal(t1, full[:20]) {
		t.Errorf("T1 = %x, want %x", full[:20], t1)
	}
	if _, err := NewPRF(iana.PRF_AES128_XCBC); err == nil {
		t.Error("NewPRF accepted AES128_XCBC")
	}
}
