package ikecrypto

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
)

var dhGroups = []iana.DHGroup{
	iana.DH_MODP1024, iana.DH_MODP1536, iana.DH_MODP2048, iana.DH_MODP3072,
	iana.DH_ECP256, iana.DH_ECP384, iana.DH_ECP521, iana.DH_CURVE25519,
}

func TestDHAgreement(t *testing.T) {
	for _, g := range dhGroups {
		t.Run(g.String(), func(t *testing.T) {
			a, err := NewDH(g, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewDH(g, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := PublicValueLen(g)
			if len(a.PublicValue()) != n {
				t.Fatalf("public value is %d octets, want %d", len(a.PublicValue()), n)
			}
			za, err := a.SharedSecret(b.PublicValue())
			if err != nil {
				t.Fatal(err)
			}
			zb, err := b.SharedSecret(a.PublicValue())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(za, zb) {
				t.Fatal("the two sides disagree")
			}
			want := n // MODP and Curve25519; ECP shares only the x coordinate
			if g == iana.DH_ECP256 || g == iana.DH_ECP384 || g == iana.DH_ECP521 {
				want = n / 2
			}
			if len(za) != want {
				t.Errorf("shared secret is %d octets, want %d", len(za), want)
			}
		})
	}
}

func TestDHDeterministicFromReader(t *testing.T) {
	for _, g := range dhGroups {
		seed := bytes.Repeat([]byte{0x5a, 0x17, 0x42}, 200)
		a, err := NewDH(g, bytes.NewReader(seed))
		if err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		b, _ := NewDH(g, bytes.NewReader(seed))
		if !bytes.Equal(a.PublicValue(), b.PublicValue()) {
			t.Errorf("%s: the same random octets gave different keys", g)
		}
	}
	if _, err := NewDH(iana.DH_ECP256, errReader{}); err == nil {
		t.Error("NewDH succeeded without randomness")
	}
	if _, err := NewDH(iana.DH_MODP768, rand.Reader); !errors.Is(err, ErrUnsupported) {
		t.Errorf("group 1: err = %v, want ErrUnsupported", err)
	}
}

func TestDHRejectsInvalidPublicValues(t *testing.T) {
	for _, g := range dhGroups {
		k, err := NewDH(g, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := PublicValueLen(g)
		bad := map[string][]byte{
			"empty": nil,
			"short": k.PublicValue()[1:],
			"long":  append(bytes.Clone(k.PublicValue()), 0),
			"zero":  make([]byte, n),
		}
		if m := modpGroups[g]; m != nil {
			bad["one"] = big.NewInt(1).FillBytes(make([]byte, n))
			bad["p-1"] = m.pMinus1.FillBytes(make([]byte, n))
			bad["p"] = m.p.FillBytes(make([]byte, n))
			bad["all ones"] = bytes.Repeat([]byte{0xff}, n)
		} else if g != iana.DH_CURVE25519 {
			bad["off curve"] = bytes.Repeat([]byte{1}, n)
		} else {
			// u = 1 has order 4 (RFC 7748 section 6.1): the result is zero.
			bad["low order"] = append([]byte{1}, make([]byte, 31)...)
		}
		for name, v := range bad {
			if _, err := k.SharedSecret(v); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%s %s: err = %v, want ErrInvalidPublicValue", g, name, err)
			}
		}
	}
}

// RFC 7748 section 6.1 (the Curve25519 function of RFC 8031).
func TestX25519KnownAnswer(t *testing.T) {
	alicePriv := unhex(t, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	k, err := NewDH(iana.DH_CURVE25519, bytes.NewReader(alicePriv))
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"); !bytes.Equal(k.PublicValue(), want) {
		t.Errorf("public = %x, want %x", k.PublicValue(), want)
	}
	z, err := k.SharedSecret(unhex(t, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"); !bytes.Equal(z, want) {
		t.Errorf("shared = %x, want %x", z, want)
	}
}

// RFC 5903 section 8.1, the 256-bit random ECP group.
func TestECP256KnownAnswer(t *testing.T) {
	k, err := NewDH(iana.DH_ECP256, bytes.NewReader(unhex(t, "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433")))
	if err != nil {
		t.Fatal(err)
	}
	gi := unhex(t, `DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180
		5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3`)
	if !bytes.Equal(k.PublicValue(), gi) {
		t.Errorf("g^i = %x, want %x", k.PublicValue(), gi)
	}
	gr := unhex(t, `D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63
		56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB`)
	z, err := k.SharedSecret(gr)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE"); !bytes.Equal(z, want) {
		t.Errorf("g^ir = %x, want %x", z, want)
	}
}

// floorPiTimes2 returns [2^m pi], by Machin's formula
// pi = 16 atan(1/5) - 4 atan(1/239) in fixed point with 64 guard bits.
func floorPiTimes2(m uint) *big.Int {
	one := new(big.Int).Lsh(big.NewInt(1), m+64)
	atanInv := func(x int64) *big.Int {
		sum := new(big.Int)
		x2 := big.NewInt(x * x)
		term := new(big.Int).Quo(one, big.NewInt(x)) // 1/x^(2k+1), scaled
		q := new(big.Int)
		for k := int64(0); term.Sign() != 0; k++ {
			q.Quo(term, big.NewInt(2*k+1))
			if k%2 == 0 {
				sum.Add(sum, q)
			} else {
				sum.Sub(sum, q)
			}
			term.Quo(term, x2)
		}
		return sum
	}
	pi := new(big.Int).Mul(atanInv(5), big.NewInt(16))
	pi.Sub(pi, new(big.Int).Mul(atanInv(239), big.NewInt(4)))
	return pi.Rsh(pi, 64)
}

func TestMODPPrimes(t *testing.T) {
	for _, tc := range []struct {
		group iana.DHGroup
		bits  uint
		k     int64
	}{
		{iana.DH_MODP1024, 1024, 129093},
		{iana.DH_MODP1536, 1536, 741804},
		{iana.DH_MODP2048, 2048, 124476},
		{iana.DH_MODP3072, 3072, 1690314},
	} {
		g := modpGroups[tc.group]
		// p = 2^N - 2^(N-64) - 1 + 2^64 * ([2^(N-130) pi] + k)
		want := new(big.Int).Lsh(big.NewInt(1), tc.bits)
		want.Sub(want, new(big.Int).Lsh(big.NewInt(1), tc.bits-64))
		want.Sub(want, big.NewInt(1))
		inner := floorPiTimes2(tc.bits - 130)
		inner.Add(inner, big.NewInt(tc.k))
		want.Add(want, inner.Lsh(inner, 64))
		if g.p.Cmp(want) != 0 {
			t.Errorf("%s: typed prime differs from the RFC formula", tc.group)
		}
		if g.p.BitLen() != int(tc.bits) || g.size != int(tc.bits/8) {
			t.Errorf("%s: %d bits", tc.group, g.p.BitLen())
		}
		q := new(big.Int).Rsh(g.pMinus1, 1)
		if !g.p.ProbablyPrime(20) || !q.ProbablyPrime(20) {
			t.Errorf("%s: p or (p-1)/2 is not prime", tc.group)
		}
	}
}
