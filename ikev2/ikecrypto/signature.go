package ikecrypto

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// ecdsaMethods are the RFC 4754 AUTH methods, each bound to a curve and a
// hash.
var ecdsaMethods = map[wire.AuthMethod]struct {
	curve elliptic.Curve
	hash  crypto.Hash
}{
	wire.AuthECDSASHA256P256: {elliptic.P256(), crypto.SHA256},
	wire.AuthECDSASHA384P384: {elliptic.P384(), crypto.SHA384},
	wire.AuthECDSASHA512P521: {elliptic.P521(), crypto.SHA512},
}

// sigAlgorithm is a signature algorithm of RFC 7427 (AUTH method 14).
type sigAlgorithm struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
	rsa  bool // RSASSA-PKCS1-v1_5; otherwise ECDSA with a DER signature
}

// sigAlgorithms are those this package signs and verifies with method 14.
// SHA-1 is left out on purpose; RSASSA-PSS is not implemented.
var sigAlgorithms = []sigAlgorithm{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, crypto.SHA256, true}, // sha256WithRSAEncryption
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, crypto.SHA384, true}, // sha384WithRSAEncryption
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, crypto.SHA512, true}, // sha512WithRSAEncryption
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, crypto.SHA256, false},  // ecdsa-with-SHA256
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, crypto.SHA384, false},  // ecdsa-with-SHA384
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, crypto.SHA512, false},  // ecdsa-with-SHA512
}

// algorithmIdentifier returns the DER AlgorithmIdentifier: with NULL
// parameters for RSA, without parameters for ECDSA (RFC 7427 appendix A,
// RFC 5758 section 3.2).
func (a sigAlgorithm) algorithmIdentifier() []byte {
	ai := pkix.AlgorithmIdentifier{Algorithm: a.oid}
	if a.rsa {
		ai.Parameters = asn1.NullRawValue
	}
	der, err := asn1.Marshal(ai)
	if err != nil {
		panic("ikecrypto: cannot encode AlgorithmIdentifier: " + err.Error()) // fixed inputs
	}
	return der
}

// SignAuth returns the Authentication Data of an AUTH payload with a
// signature method over signedOctets (see InitiatorSignedOctets):
//
//   - wire.AuthRSASignature (1): RSASSA-PKCS1-v1_5 with hash. RFC 7296
//     section 3.8 says SHA-1; Cisco peers expect the negotiated PRF's hash
//     (PRF.Hash). The caller decides.
//   - wire.AuthECDSASHA256P256, ...384P384, ...512P521 (9-11, RFC 4754):
//     r | s, each as long as the curve order; the method fixes curve and
//     hash, so hash must be 0 or that hash.
//   - wire.AuthDigitalSignature (14, RFC 7427): the length of the
//     AlgorithmIdentifier in one octet, the AlgorithmIdentifier, and the
//     signature: RSASSA-PKCS1-v1_5 or DER-encoded ECDSA, with hash SHA-256,
//     SHA-384 or SHA-512 (see ChooseSignatureHash).
//
// key may be any crypto.Signer with an RSA or ECDSA public key, such as a
// hardware token. rand is passed to key.Sign (Go's own keys ignore it).
func SignAuth(rand io.Reader, key crypto.Signer, method wire.AuthMethod, hash crypto.Hash, signedOctets []byte) ([]byte, error) {
	switch method {
	case wire.AuthRSASignature:
		if _, ok := key.Public().(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("ikecrypto: AUTH method %s needs an RSA key, have %T", method, key.Public())
		}
		return signDigest(rand, key, hash, signedOctets)

	case wire.AuthECDSASHA256P256, wire.AuthECDSASHA384P384, wire.AuthECDSASHA512P521:
		m := ecdsaMethods[method]
		if pub, ok := key.Public().(*ecdsa.PublicKey); !ok || pub.Curve != m.curve {
			return nil, fmt.Errorf("ikecrypto: AUTH method %s needs an ECDSA %s key", method, m.curve.Params().Name)
		}
		if hash != 0 && hash != m.hash {
			return nil, fmt.Errorf("ikecrypto: AUTH method %s signs with %v, not %v", method, m.hash, hash)
		}
		der, err := signDigest(rand, key, m.hash, signedOctets)
		if err != nil {
			return nil, err
		}
		return ecdsaDERToFixed(der, orderLen(m.curve))

	case wire.AuthDigitalSignature:
		_, isRSA := key.Public().(*rsa.PublicKey)
		if _, isEC := key.Public().(*ecdsa.PublicKey); !isRSA && !isEC {
			return nil, fmt.Errorf("%w: RFC 7427 signature with a %T key", ErrUnsupported, key.Public())
		}
		for _, a := range sigAlgorithms {
			if a.rsa == isRSA && a.hash == hash {
				sig, err := signDigest(rand, key, hash, signedOctets)
				if err != nil {
					return nil, err
				}
				ai := a.algorithmIdentifier()
				return concat([]byte{byte(len(ai))}, ai, sig), nil
			}
		}
		return nil, fmt.Errorf("%w: RFC 7427 signature with hash %v", ErrUnsupported, hash)
	}
	return nil, fmt.Errorf("%w: AUTH method %s is not a signature method this package implements", ErrUnsupported, method)
}

// VerifyAuth checks the Authentication Data of an AUTH payload with a
// signature method (see SignAuth) against the peer's public key. For
// method 1 it tries prfHash, then SHA-1 as RFC 7296 says. That Cisco peers
// sign with the negotiated PRF's hash (SHA-256 with PRF_HMAC_SHA2_256, and
// so on) is known only from reverse-engineered code run against an ASA, not
// from Cisco's documentation; the signature TLV of EAP-AnyConnect in
// testdata/vectors/eap-anyconnect is made the same way.
// A signature that does not verify gives an error wrapping ErrSignature.
func VerifyAuth(pub crypto.PublicKey, method wire.AuthMethod, prfHash crypto.Hash, signedOctets, authData []byte) error {
	switch method {
	case wire.AuthRSASignature:
		rsaPub, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("ikecrypto: AUTH method %s needs an RSA key, have %T", method, pub)
		}
		for _, h := range []crypto.Hash{prfHash, crypto.SHA1} {
			if !h.Available() {
				continue
			}
			if rsa.VerifyPKCS1v15(rsaPub, h, digest(h, signedOctets), authData) == nil {
				return nil
			}
		}
		return fmt.Errorf("%w: RSA signature matches neither %v nor SHA-1", ErrSignature, prfHash)

	case wire.AuthECDSASHA256P256, wire.AuthECDSASHA384P384, wire.AuthECDSASHA512P521:
		m := ecdsaMethods[method]
		ecPub, ok := pub.(*ecdsa.PublicKey)
		if !ok || ecPub.Curve != m.curve {
			return fmt.Errorf("ikecrypto: AUTH method %s needs an ECDSA %s key", method, m.curve.Params().Name)
		}
		n := orderLen(m.curve)
		if len(authData) != 2*n {
			return fmt.Errorf("%w: %s signature is %d octets, want %d", ErrSignature, method, len(authData), 2*n)
		}
		r, s := new(big.Int).SetBytes(authData[:n]), new(big.Int).SetBytes(authData[n:])
		if !ecdsa.Verify(ecPub, digest(m.hash, signedOctets), r, s) {
			return fmt.Errorf("%w: %s", ErrSignature, method)
		}
		return nil

	case wire.AuthDigitalSignature:
		a, sig, err := parseDigitalSignature(authData)
		if err != nil {
			return err
		}
		d := digest(a.hash, signedOctets)
		switch pub := pub.(type) {
		case *rsa.PublicKey:
			if a.rsa && rsa.VerifyPKCS1v15(pub, a.hash, d, sig) == nil {
				return nil
			}
		case *ecdsa.PublicKey:
			if !a.rsa && ecdsa.VerifyASN1(pub, d, sig) {
				return nil
			}
		default:
			return fmt.Errorf("%w: RFC 7427 signature with a %T key", ErrUnsupported, pub)
		}
		return fmt.Errorf("%w: RFC 7427 signature (algorithm %v)", ErrSignature, a.oid)
	}
	return fmt.Errorf("%w: AUTH method %s is not a signature method this package implements", ErrUnsupported, method)
}

// parseDigitalSignature splits RFC 7427 Authentication Data (section 3)
// into its algorithm and signature value.
func parseDigitalSignature(data []byte) (sigAlgorithm, []byte, error) {
	if len(data) < 1 || len(data) < 1+int(data[0]) {
		return sigAlgorithm{}, nil, fmt.Errorf("%w: RFC 7427 data of %d octets is shorter than its AlgorithmIdentifier", ErrSignature, len(data))
	}
	aiDER, sig := data[1:1+int(data[0])], data[1+int(data[0]):]
	var ai pkix.AlgorithmIdentifier
	if rest, err := asn1.Unmarshal(aiDER, &ai); err != nil || len(rest) != 0 {
		return sigAlgorithm{}, nil, fmt.Errorf("%w: RFC 7427 AlgorithmIdentifier is not valid DER", ErrSignature)
	}
	for _, a := range sigAlgorithms {
		if !a.oid.Equal(ai.Algorithm) {
			continue
		}
		// RSA: NULL parameters, which some encoders omit; ECDSA: none.
		absent := len(ai.Parameters.FullBytes) == 0
		if absent || (a.rsa && ai.Parameters.Tag == asn1.TagNull && len(ai.Parameters.Bytes) == 0) {
			return a, sig, nil
		}
		return sigAlgorithm{}, nil, fmt.Errorf("%w: RFC 7427 algorithm %v has unexpected parameters", ErrSignature, a.oid)
	}
	return sigAlgorithm{}, nil, fmt.Errorf("%w: RFC 7427 signature algorithm %v", ErrUnsupported, ai.Algorithm)
}

func signDigest(rand io.Reader, key crypto.Signer, h crypto.Hash, msg []byte) ([]byte, error) {
	if !h.Available() {
		return nil, fmt.Errorf("%w: signature hash %v", ErrUnsupported, h)
	}
	sig, err := key.Sign(rand, digest(h, msg), h)
	if err != nil {
		return nil, fmt.Errorf("ikecrypto: signing AUTH: %w", err)
	}
	return sig, nil
}

func digest(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

func orderLen(c elliptic.Curve) int { return (c.Params().N.BitLen() + 7) / 8 }

// ecdsaDERToFixed converts an ASN.1 ECDSA-Sig-Value, as crypto.Signer
// returns it, to the r | s form of RFC 4754 section 7.
func ecdsaDERToFixed(der []byte, n int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) != 0 {
		return nil, errors.New("ikecrypto: signer returned a malformed ECDSA signature")
	}
	if sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 8*n || sig.S.BitLen() > 8*n {
		return nil, errors.New("ikecrypto: signer returned an out-of-range ECDSA signature")
	}
	out := make([]byte, 2*n)
	sig.R.FillBytes(out[:n])
	sig.S.FillBytes(out[n:])
	return out, nil
}
