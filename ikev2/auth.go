package ikev2

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// Credentials are a certificate chain with the key of its leaf, for
// signature authentication: the client's (IKE-RSA/IKE-ECDSA and
// EAP-AnyConnect's certificate step) or the headend's. Package ikev2/certs
// loads them from files.
type Credentials struct {
	// Chain is the leaf first, then the issuers sent with it.
	Chain []*x509.Certificate
	// Signer is the leaf's private key (RSA, ECDSA or Ed25519).
	Signer crypto.Signer
	// Source says where they came from (a file path), for messages.
	Source string
}

// Leaf returns Chain[0], or nil.
func (c *Credentials) Leaf() *x509.Certificate {
	if c == nil || len(c.Chain) == 0 {
		return nil
	}
	return c.Chain[0]
}

// PeerVerifier decides whether to trust the peer's certificate chain
// (leaf first, as received in CERT payloads) and returns the leaf. The
// state machine stays out of trust policy: the caller plugs in system
// roots, CA files, pins and host-name checks.
type PeerVerifier func(chain [][]byte) (*x509.Certificate, error)

// signAuth builds our AUTH payload with a signature. RFC 7427 (method 14)
// is used when the peer announced hashes we share; otherwise the classic
// methods: RSA (1) with SHA-1, or with the PRF's hash for a Cisco peer
// (see ikecrypto.VerifyAuth), and ECDSA 9-11 by curve.
func signAuth(rand io.Reader, cred *Credentials, prf *ikecrypto.PRF, peerHashes []ikecrypto.HashAlgorithm, cisco bool, octets []byte) (*wire.Auth, error) {
	if h, ok := ikecrypto.ChooseSignatureHash(ikecrypto.DefaultSignatureHashes, peerHashes); ok {
		data, err := ikecrypto.SignAuth(rand, cred.Signer, wire.AuthDigitalSignature, h, octets)
		return &wire.Auth{Method: wire.AuthDigitalSignature, Data: data}, err
	}
	var method wire.AuthMethod
	var hash crypto.Hash
	switch pub := cred.Signer.Public().(type) {
	case *rsa.PublicKey:
		method, hash = wire.AuthRSASignature, crypto.SHA1
		if cisco {
			hash = prf.Hash()
		}
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			method = wire.AuthECDSASHA256P256
		case elliptic.P384():
			method = wire.AuthECDSASHA384P384
		case elliptic.P521():
			method = wire.AuthECDSASHA512P521
		default:
			return nil, fmt.Errorf("ikev2: no AUTH method for ECDSA curve %s", pub.Curve.Params().Name)
		}
	default:
		return nil, fmt.Errorf("ikev2: no AUTH method for a %T key", pub)
	}
	data, err := ikecrypto.SignAuth(rand, cred.Signer, method, hash, octets)
	return &wire.Auth{Method: method, Data: data}, err
}

// certPayloads returns the CERT payloads of a chain.
func certPayloads(chain []*x509.Certificate) []wire.Payload {
	out := make([]wire.Payload, len(chain))
	for i, c := range chain {
		out[i] = &wire.Cert{Encoding: wire.CertX509Signature, Data: c.Raw}
	}
	return out
}

// peerChain collects the X.509 certificates of CERT payloads.
func peerChain(ps []wire.Payload) [][]byte {
	var chain [][]byte
	for _, c := range wire.FindAll[*wire.Cert](ps) {
		if c.Encoding == wire.CertX509Signature {
			chain = append(chain, c.Data)
		}
	}
	return chain
}

// peerHashes reads SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 4).
func peerHashes(ps []wire.Payload) []ikecrypto.HashAlgorithm {
	n, ok := wire.FindNotify(ps, iana.SIGNATURE_HASH_ALGORITHMS)
	if !ok {
		return nil
	}
	hs, _ := ikecrypto.DecodeSignatureHashes(n.Data)
	return hs
}

// verifySignature checks the peer's signature AUTH with the certificate
// chain in ps.
func verifySignature(verify PeerVerifier, ps []wire.Payload, prf *ikecrypto.PRF, octets []byte) (*x509.Certificate, error) {
	auth, ok := wire.Find[*wire.Auth](ps)
	if !ok {
		return nil, fmt.Errorf("%w: the peer sent no AUTH payload", ErrProtocol)
	}
	if auth.Method == wire.AuthSharedKeyMIC {
		return nil, fmt.Errorf("%w: the peer authenticated with a shared key, but no shared key is configured", ErrAuthFailed)
	}
	chain := peerChain(ps)
	if len(chain) == 0 {
		return nil, fmt.Errorf("%w: the peer sent no certificate", ErrAuthFailed)
	}
	if verify == nil {
		return nil, fmt.Errorf("%w: no way to verify the peer's certificate is configured", ErrAuthFailed)
	}
	leaf, err := verify(chain)
	if err != nil {
		return nil, err
	}
	if err := ikecrypto.VerifyAuth(leaf.PublicKey, auth.Method, prf.Hash(), octets, auth.Data); err != nil {
		return nil, fmt.Errorf("%w: the peer's AUTH signature does not verify: %v", ErrAuthFailed, err)
	}
	return leaf, nil
}

// signAnyConnect makes the signature TLV of EAP-AnyConnect's certificate
// path: the initiator's signed octets, hashed with the negotiated PRF's
// hash. The recorded exchange shows RSA PKCS#1 v1.5; for ECDSA keys the
// ASN.1 signature of the same digest is sent, by analogy (unconfirmed
// against a real headend).
func signAnyConnect(rand io.Reader, signer crypto.Signer, hash crypto.Hash, octets []byte) ([]byte, error) {
	h := hash.New()
	h.Write(octets)
	return signer.Sign(rand, h.Sum(nil), hash)
}

// VerifyAnyConnect checks a signature of EAP-AnyConnect's certificate path
// (TLV 1): the client's signature over its initiator octets, hashed with the
// negotiated PRF's hash.
func VerifyAnyConnect(pub crypto.PublicKey, hash crypto.Hash, octets, sig []byte) error {
	h := hash.New()
	h.Write(octets)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, hash, h.Sum(nil), sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, h.Sum(nil), sig) {
			return fmt.Errorf("%w: ECDSA signature does not verify", ErrAuthFailed)
		}
		return nil
	}
	return fmt.Errorf("ikev2: no AnyConnect signature check for a %T key", pub)
}
