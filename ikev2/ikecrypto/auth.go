package ikecrypto

import "crypto/hmac"

// InitiatorSignedOctets returns the octets the initiator's AUTH covers
// (RFC 7296 section 2.15):
//
//	RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload)
//
// realMessage1 is the initiator's IKE_SA_INIT request as sent, nonceR the
// body of the responder's Nonce payload, and idPayloadBody the IDi payload
// body from the ID Type octet on (ID Type, 3 reserved octets, data), exactly
// as sent; for EAP-AnyConnect that is the ID type on the wire (201 or 11).
func InitiatorSignedOctets(realMessage1, nonceR []byte, prf *PRF, skPi, idPayloadBody []byte) []byte {
	return signedOctets(realMessage1, nonceR, prf, skPi, idPayloadBody)
}

// ResponderSignedOctets returns the octets the responder's AUTH covers:
// RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload)
// (RFC 7296 section 2.15), the mirror of InitiatorSignedOctets.
func ResponderSignedOctets(realMessage2, nonceI []byte, prf *PRF, skPr, idPayloadBody []byte) []byte {
	return signedOctets(realMessage2, nonceI, prf, skPr, idPayloadBody)
}

func signedOctets(message, peerNonce []byte, prf *PRF, skP, idPayloadBody []byte) []byte {
	return concat(message, peerNonce, prf.Compute(skP, idPayloadBody))
}

// keyPad is the fixed string of RFC 7296 section 2.15, without a
// terminating NUL.
var keyPad = []byte("Key Pad for IKEv2")

// SharedKeyAuth returns the AUTH data of method 2, Shared Key Message
// Integrity Code (RFC 7296 section 2.15):
//
//	prf( prf(Shared Secret, "Key Pad for IKEv2"), <signed octets>)
//
// After EAP the shared secret is the method's MSK, or SK_pi (initiator) /
// SK_pr (responder) for methods that produce none, such as EAP-AnyConnect,
// EAP-GTC and EAP-MD5 (RFC 7296 section 2.16).
func SharedKeyAuth(prf *PRF, secret, signedOctets []byte) []byte {
	return prf.Compute(prf.Compute(secret, keyPad), signedOctets)
}

// VerifySharedKeyAuth reports, in constant time, whether auth is the
// SharedKeyAuth of signedOctets.
func VerifySharedKeyAuth(prf *PRF, secret, signedOctets, auth []byte) bool {
	return hmac.Equal(auth, SharedKeyAuth(prf, secret, signedOctets))
}
