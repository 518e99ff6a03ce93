package anyconnect

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
)

// TLV 3 of EAP-AnyConnect carries the client's certificate chain as a
// "degenerate" PKCS#7 SignedData (RFC 2315 section 9.1, RFC 5652 section
// 5): no signers, no content, only certificates, end-entity first. The
// layout below is the one of the recorded run (vector 04): version 1, empty
// digestAlgorithms, content type data with an empty OCTET STRING, the
// certificates in the order given, empty signerInfos.

var (
	oidPKCS7Data       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidPKCS7SignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
)

// maxPKCS7Certs bounds the number of certificates decoded from TLV 3.
const maxPKCS7Certs = 16

func asn1Wrap(class, tag int, parts ...[]byte) ([]byte, error) {
	return asn1.Marshal(asn1.RawValue{Class: class, Tag: tag, IsCompound: true, Bytes: bytes.Join(parts, nil)})
}

// EncodeCertChainPKCS7 returns the degenerate SignedData carrying certs, in
// the order given (leaf first). The SET OF certificates is deliberately not
// sorted as DER would want: the order is what tells the leaf.
func EncodeCertChainPKCS7(certs []*x509.Certificate) ([]byte, error) {
	if len(certs) == 0 {
		return nil, fmt.Errorf("eap: PKCS#7 chain: no certificates")
	}
	var raw [][]byte
	for i, c := range certs {
		if c == nil || len(c.Raw) == 0 {
			return nil, fmt.Errorf("eap: PKCS#7 chain: certificate #%d has no DER encoding", i)
		}
		raw = append(raw, c.Raw)
	}
	version, _ := asn1.Marshal(1)
	emptySet, _ := asn1Wrap(asn1.ClassUniversal, asn1.TagSet)
	dataOID, _ := asn1.Marshal(oidPKCS7Data)
	emptyOctets, _ := asn1.Marshal([]byte{})
	content, err := asn1Wrap(asn1.ClassContextSpecific, 0, emptyOctets)
	if err != nil {
		return nil, err
	}
	contentInfo, err := asn1Wrap(asn1.ClassUniversal, asn1.TagSequence, dataOID, content)
	if err != nil {
		return nil, err
	}
	certSet, err := asn1Wrap(asn1.ClassContextSpecific, 0, raw...)
	if err != nil {
		return nil, err
	}
	signed, err := asn1Wrap(asn1.ClassUniversal, asn1.TagSequence, version, emptySet, contentInfo, certSet, emptySet)
	if err != nil {
		return nil, err
	}
	explicit, err := asn1Wrap(asn1.ClassContextSpecific, 0, signed)
	if err != nil {
		return nil, err
	}
	sdOID, _ := asn1.Marshal(oidPKCS7SignedData)
	return asn1Wrap(asn1.ClassUniversal, asn1.TagSequence, sdOID, explicit)
}

// DecodeCertChainPKCS7 returns the certificates of a PKCS#7 SignedData in
// their order, leaf first. Signers, if any, are ignored: the chain is what
// TLV 3 is for.
func DecodeCertChainPKCS7(b []byte) ([]*x509.Certificate, error) {
	fail := func(format string, args ...any) ([]*x509.Certificate, error) {
		return nil, fmt.Errorf("eap: PKCS#7 chain: "+format, args...)
	}
	var outer asn1.RawValue
	rest, err := asn1.Unmarshal(b, &outer)
	if err != nil {
		return fail("ContentInfo: %v", err)
	}
	if len(rest) != 0 {
		return fail("%d bytes after the ContentInfo", len(rest))
	}
	if outer.Class != asn1.ClassUniversal || outer.Tag != asn1.TagSequence || !outer.IsCompound {
		return fail("ContentInfo is not a SEQUENCE")
	}
	var oid asn1.ObjectIdentifier
	rest, err = asn1.Unmarshal(outer.Bytes, &oid)
	if err != nil {
		return fail("content type: %v", err)
	}
	if !oid.Equal(oidPKCS7SignedData) {
		return fail("content type %v, want signedData %v", oid, oidPKCS7SignedData)
	}
	var explicit asn1.RawValue
	if _, err = asn1.Unmarshal(rest, &explicit); err != nil {
		return fail("content: %v", err)
	}
	if explicit.Class != asn1.ClassContextSpecific || explicit.Tag != 0 || !explicit.IsCompound {
		return fail("content is not [0] EXPLICIT")
	}
	var sd asn1.RawValue
	if _, err = asn1.Unmarshal(explicit.Bytes, &sd); err != nil {
		return fail("SignedData: %v", err)
	}
	if sd.Tag != asn1.TagSequence || !sd.IsCompound {
		return fail("SignedData is not a SEQUENCE")
	}
	var version int
	rest, err = asn1.Unmarshal(sd.Bytes, &version)
	if err != nil {
		return fail("SignedData version: %v", err)
	}
	// digestAlgorithms, contentInfo, then the optional [0] certificates.
	var certs []*x509.Certificate
	for i := 0; len(rest) > 0; i++ {
		var field asn1.RawValue
		if rest, err = asn1.Unmarshal(rest, &field); err != nil {
			return fail("SignedData field #%d: %v", i+2, err)
		}
		if field.Class != asn1.ClassContextSpecific || field.Tag != 0 {
			continue
		}
		if certs != nil {
			return fail("two certificate sets")
		}
		certs = []*x509.Certificate{}
		for inner := field.Bytes; len(inner) > 0; {
			if len(certs) == maxPKCS7Certs {
				return fail("more than %d certificates", maxPKCS7Certs)
			}
			var c asn1.RawValue
			if inner, err = asn1.Unmarshal(inner, &c); err != nil {
				return fail("certificate #%d: %v", len(certs), err)
			}
			cert, err := x509.ParseCertificate(c.FullBytes)
			if err != nil {
				return fail("certificate #%d: %v", len(certs), err)
			}
			certs = append(certs, cert)
		}
	}
	if len(certs) == 0 {
		return fail("no certificates")
	}
	return certs, nil
}
