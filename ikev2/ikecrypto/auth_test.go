package ikecrypto

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

func TestSignedOctets(t *testing.T) {
	p := mustPRF(t, iana.PRF_HMAC_SHA2_256)
	msg, nonce, sk := []byte("IKE_SA_INIT message"), []byte("peer nonce"), []byte("SK_p")
	id := append([]byte{201, 0, 0, 0}, "*$AnyConnectClient$*"...)
	mac := hmac.New(sha256.New, sk)
	mac.Write(id)
	want := concat(msg, nonce, mac.Sum(nil))
	if got := InitiatorSignedOctets(msg, nonce, p, sk, id); !bytes.Equal(got, want) {
		t.Errorf("InitiatorSignedOctets = %x, want %x", got, want)
	}
	if got := ResponderSignedOctets(msg, nonce, p, sk, id); !bytes.Equal(got, want) {
		t.Errorf("ResponderSignedOctets = %x, want %x", got, want)
	}
}

func TestSharedKeyAuth(t *testing.T) {
	p := mustPRF(t, iana.PRF_HMAC_SHA1)
	secret, octets := []byte("MSK or SK_pi"), []byte("signed octets")
	inner := p.Compute(secret, []byte("Key Pad for IKEv2")) // 17 octets, no NUL
	want := p.Compute(inner, octets)
	got := SharedKeyAuth(p, secret, octets)
	if !bytes.Equal(got, want) || len(got) != 20 {
		t.Fatalf("SharedKeyAuth = %x, want %x", got, want)
	}
	if !VerifySharedKeyAuth(p, secret, octets, got) {
		t.Error("VerifySharedKeyAuth rejects the right AUTH")
	}
	if VerifySharedKeyAuth(p, []byte("other"), octets, got) || VerifySharedKeyAuth(p, secret, octets, got[:19]) {
		t.Error("VerifySharedKeyAuth accepts a wrong AUTH")
	}
}

var testKeys = sync.OnceValue(func() map[string]crypto.Signer {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	keys := map[string]crypto.Signer{"rsa": rsaKey}
	for name, c := range map[string]elliptic.Curve{"p256": elliptic.P256(), "p384": elliptic.P384(), "p521": elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		keys[name] = k
	}
	return keys
})

// A second key of each kind, to check that signatures bind the key.
var otherKeys = sync.OnceValue(func() map[string]crypto.Signer {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	return map[string]crypto.Signer{"rsa": rsaKey, "p256": p256, "p384": p384, "p521": p521}
})

func TestSignVerifyRoundTrips(t *testing.T) {
	octets := []byte("RealMessage1 | NonceRData | prf(SK_pi, IDi')")
	for _, tc := range []struct {
		name   string
		key    string
		method wire.AuthMethod
		hash   crypto.Hash
		sigLen int // 0: variable (DER)
	}{
		{"rsa-sha1", "rsa", wire.AuthRSASignature, crypto.SHA1, 256},
		{"rsa-sha256", "rsa", wire.AuthRSASignature, crypto.SHA256, 256},
		{"ecdsa-p256", "p256", wire.AuthECDSASHA256P256, 0, 64},
		{"ecdsa-p384", "p384", wire.AuthECDSASHA384P384, crypto.SHA384, 96},
		{"ecdsa-p521", "p521", wire.AuthECDSASHA512P521, 0, 132},
		{"ds-rsa-sha256", "rsa", wire.AuthDigitalSignature, crypto.SHA256, 1 + 15 + 256},
		{"ds-rsa-sha384", "rsa", wire.AuthDigitalSignature, crypto.SHA384, 1 + 15 + 256},
		{"ds-rsa-sha512", "rsa", wire.AuthDigitalSignature, crypto.SHA512, 1 + 15 + 256},
		{"ds-ecdsa-sha256", "p256", wire.AuthDigitalSignature, crypto.SHA256, 0},
		{"ds-ecdsa-sha384", "p384", wire.AuthDigitalSignature, crypto.SHA384, 0},
		{"ds-ecdsa-p256-sha512", "p256", wire.AuthDigitalSignature, crypto.SHA512, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := testKeys()[tc.key]
			auth, err := SignAuth(rand.Reader, key, tc.method, tc.hash, octets)
			if err != nil {
				t.Fatal(err)
			}
			if tc.sigLen != 0 && len(auth) != tc.sigLen {
				t.Errorf("AUTH data is %d octets, want %d", len(auth), tc.sigLen)
			}
			// The PRF hash only matters to method 1; pass SHA-256 as a
			// Cisco peer with PRF_HMAC_SHA2_256 would.
			if err := VerifyAuth(key.Public(), tc.method, crypto.SHA256, octets, auth); err != nil {
				t.Fatalf("does not verify: %v", err)
			}
			if err := VerifyAuth(key.Public(), tc.method, crypto.SHA256, append(bytes.Clone(octets), 0), auth); !errors.Is(err, ErrSignature) {
				t.Errorf("other octets: err = %v, want ErrSignature", err)
			}
			if err := VerifyAuth(otherKeys()[tc.key].Public(), tc.method, crypto.SHA256, octets, auth); !errors.Is(err, ErrSignature) {
				t.Errorf("other key: err = %v, want ErrSignature", err)
			}
			bad := bytes.Clone(auth)
			bad[len(bad)-1] ^= 1
			if err := VerifyAuth(key.Public(), tc.method, crypto.SHA256, octets, bad); !errors.Is(err, ErrSignature) {
				t.Errorf("flipped bit: err = %v, want ErrSignature", err)
			}
			// No prefix of the data may verify, or panic.
			for n := range len(auth) {
				if err := VerifyAuth(key.Public(), tc.method, crypto.SHA256, octets, auth[:n]); err == nil {
					t.Fatalf("%d-octet prefix verifies", n)
				}
			}
		})
	}
}

// Method 1: a Cisco peer signs with the PRF's hash, a standard one with
// SHA-1; both must verify, and nothing else.
func TestRSAMethodHashFallback(t *testing.T) {
	key := testKeys()["rsa"]
	octets := []byte("signed octets")
	for _, tc := range []struct {
		signHash, prfHash crypto.Hash
		ok                bool
	}{
		{crypto.SHA256, crypto.SHA256, true}, // Cisco, PRF_HMAC_SHA2_256
		{crypto.SHA512, crypto.SHA512, true}, // Cisco, PRF_HMAC_SHA2_512
		{crypto.SHA1, crypto.SHA256, true},   // RFC 7296 peer
		{crypto.SHA1, crypto.SHA1, true},
		{crypto.SHA384, crypto.SHA256, false},
	} {
		auth, err := SignAuth(rand.Reader, key, wire.AuthRSASignature, tc.signHash, octets)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyAuth(key.Public(), wire.AuthRSASignature, tc.prfHash, octets, auth); (err == nil) != tc.ok {
			t.Errorf("signed with %v, PRF hash %v: err = %v, want ok=%v", tc.signHash, tc.prfHash, err, tc.ok)
		}
	}
}

func TestSignAuthRejectsMismatches(t *testing.T) {
	k := testKeys()
	octets := []byte("x")
	for _, tc := range []struct {
		name   string
		key    crypto.Signer
		method wire.AuthMethod
		hash   crypto.Hash
	}{
		{"rsa method with ecdsa key", k["p256"], wire.AuthRSASignature, crypto.SHA256},
		{"p256 method with p384 key", k["p384"], wire.AuthECDSASHA256P256, 0},
		{"p256 method with sha384", k["p256"], wire.AuthECDSASHA256P256, crypto.SHA384},
		{"ecdsa method with rsa key", k["rsa"], wire.AuthECDSASHA384P384, 0},
		{"rfc7427 with sha1", k["rsa"], wire.AuthDigitalSignature, crypto.SHA1},
		{"shared key is no signature", k["rsa"], wire.AuthSharedKeyMIC, crypto.SHA256},
		{"rsa method without hash", k["rsa"], wire.AuthRSASignature, 0},
	} {
		if _, err := SignAuth(rand.Reader, tc.key, tc.method, tc.hash, octets); err == nil {
			t.Errorf("%s: SignAuth succeeded", tc.name)
		}
	}
	// Verification with the wrong kind of key fails cleanly.
	auth, _ := SignAuth(rand.Reader, k["p256"], wire.AuthDigitalSignature, crypto.SHA256, octets)
	if err := VerifyAuth(k["rsa"].Public(), wire.AuthDigitalSignature, 0, octets, auth); err == nil {
		t.Error("an ECDSA method 14 signature verified with an RSA key")
	}
	if err := VerifyAuth(k["p384"].Public(), wire.AuthECDSASHA256P256, 0, octets, make([]byte, 64)); err == nil {
		t.Error("method 9 verified with a P-384 key")
	}
}

// RFC 7427 appendix A gives these encodings.
func TestAlgorithmIdentifierEncodings(t *testing.T) {
	want := map[string]string{
		"1.2.840.113549.1.1.11": "300d06092a864886f70d01010b0500",
		"1.2.840.10045.4.3.2":   "300a06082a8648ce3d040302",
	}
	for _, a := range sigAlgorithms {
		if w, ok := want[a.oid.String()]; ok {
			if got := a.algorithmIdentifier(); !bytes.Equal(got, unhex(t, w)) {
				t.Errorf("%v: %x, want %s", a.oid, got, w)
			}
		}
	}
	// An RSA AlgorithmIdentifier with absent parameters is accepted too.
	absent := unhex(t, "300b06092a864886f70d01010b")
	if a, _, err := parseDigitalSignature(append([]byte{byte(len(absent))}, absent...)); err != nil || a.hash != crypto.SHA256 {
		t.Errorf("absent RSA parameters: %v, %v", a, err)
	}
	// Unknown OIDs and garbage are errors, not panics.
	for _, data := range [][]byte{{}, {0}, {5, 1, 2}, {3, 0x30, 0x01, 0x00}, append([]byte{12}, unhex(t, "300a06082a8648ce3d040301")...)} {
		if _, _, err := parseDigitalSignature(data); err == nil {
			t.Errorf("parseDigitalSignature(%x) succeeded", data)
		}
	}
}

func TestSignatureHashesNotify(t *testing.T) {
	data := EncodeSignatureHashes([]HashAlgorithm{HashSHA1, HashSHA2_256, HashSHA2_384, HashSHA2_512, HashIdentity})
	if want := unhex(t, "00010002000300040005"); !bytes.Equal(data, want) {
		t.Errorf("encoded %x, want %x", data, want)
	}
	got, err := DecodeSignatureHashes(append(data, 0x12, 0x34))
	if err != nil || len(got) != 6 || got[1] != HashSHA2_256 || got[5] != 0x1234 {
		t.Errorf("decoded %v, %v", got, err)
	}
	if got[5].String() != "HASH(4660)" || got[3].String() != "SHA2_512" {
		t.Errorf("names: %v", got)
	}
	if _, err := DecodeSignatureHashes([]byte{0, 2, 0}); err == nil {
		t.Error("odd-length data decoded")
	}
	for _, tc := range []struct {
		ours, peer []HashAlgorithm
		want       crypto.Hash
		ok         bool
	}{
		{DefaultSignatureHashes, []HashAlgorithm{HashSHA2_512, HashSHA2_256}, crypto.SHA256, true},
		{DefaultSignatureHashes, []HashAlgorithm{HashSHA1, HashSHA2_384}, crypto.SHA384, true},
		{[]HashAlgorithm{HashSHA2_512, HashSHA2_256}, []HashAlgorithm{HashSHA2_256, HashSHA2_512}, crypto.SHA512, true},
		{DefaultSignatureHashes, []HashAlgorithm{HashSHA1, HashIdentity}, 0, false},
		{[]HashAlgorithm{HashSHA1}, []HashAlgorithm{HashSHA1}, 0, false}, // no method 14 with SHA-1
		{DefaultSignatureHashes, nil, 0, false},
	} {
		if got, ok := ChooseSignatureHash(tc.ours, tc.peer); got != tc.want || ok != tc.ok {
			t.Errorf("ChooseSignatureHash(%v, %v) = %v, %v; want %v, %v", tc.ours, tc.peer, got, ok, tc.want, tc.ok)
		}
	}
}
