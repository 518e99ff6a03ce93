package iana

import (
	"strconv"
	"strings"
)

// Printed names: stringer -linecomment prints a constant's line comment when
// it has one, its name otherwise. Comments citing RFCs therefore sit on the
// line above a constant, never at its end.

// ExchangeType is the IKE header's Exchange Type (RFC 7296 section 3.1).
type ExchangeType uint8

const (
	IKE_SA_INIT     ExchangeType = 34
	IKE_AUTH        ExchangeType = 35
	CREATE_CHILD_SA ExchangeType = 36
	INFORMATIONAL   ExchangeType = 37
	// RFC 9242.
	IKE_INTERMEDIATE ExchangeType = 43
)

// PayloadType is a Next Payload value (RFC 7296 section 3.2).
type PayloadType uint8

const (
	PayloadNone    PayloadType = 0  // NONE
	PayloadSA      PayloadType = 33 // SA
	PayloadKE      PayloadType = 34 // KE
	PayloadIDi     PayloadType = 35 // IDi
	PayloadIDr     PayloadType = 36 // IDr
	PayloadCERT    PayloadType = 37 // CERT
	PayloadCERTREQ PayloadType = 38 // CERTREQ
	PayloadAUTH    PayloadType = 39 // AUTH
	PayloadNonce   PayloadType = 40 // Nonce
	PayloadNotify  PayloadType = 41 // N
	PayloadDelete  PayloadType = 42 // D
	PayloadVendor  PayloadType = 43 // V
	PayloadTSi     PayloadType = 44 // TSi
	PayloadTSr     PayloadType = 45 // TSr
	PayloadSK      PayloadType = 46 // SK
	PayloadCP      PayloadType = 47 // CP
	PayloadEAP     PayloadType = 48 // EAP
	// PayloadSKF is the Encrypted Fragment payload of RFC 7383.
	PayloadSKF PayloadType = 53 // SKF
	// PayloadCiscoFragment is the IKEv1 fragment payload that Cisco peers
	// wrap around pieces of a whole encrypted IKEv2 message.
	PayloadCiscoFragment PayloadType = 132 // CISCO_FRAGMENT
)

// ProtocolID identifies the protocol of a proposal, notify or delete.
type ProtocolID uint8

const (
	ProtoNone ProtocolID = 0 // NONE
	ProtoIKE  ProtocolID = 1 // IKE
	ProtoAH   ProtocolID = 2 // AH
	ProtoESP  ProtocolID = 3 // ESP
)

// TransformType is the Transform Type of a transform substructure.
type TransformType uint8

const (
	TransformENCR  TransformType = 1 // ENCR
	TransformPRF   TransformType = 2 // PRF
	TransformINTEG TransformType = 3 // INTEG
	// TransformDH is called "Key Exchange Method" since RFC 9370.
	TransformDH  TransformType = 4 // DH
	TransformESN TransformType = 5 // ESN
)

// EncrID is an encryption algorithm transform ID (Transform Type 1).
type EncrID uint16

const (
	ENCR_DES_IV64           EncrID = 1  // DES_IV64
	ENCR_DES                EncrID = 2  // DES
	ENCR_3DES               EncrID = 3  // 3DES
	ENCR_NULL               EncrID = 11 // NULL
	ENCR_AES_CBC            EncrID = 12 // AES_CBC
	ENCR_AES_CTR            EncrID = 13 // AES_CTR
	ENCR_AES_CCM_8          EncrID = 14 // AES_CCM_8
	ENCR_AES_CCM_12         EncrID = 15 // AES_CCM_12
	ENCR_AES_CCM_16         EncrID = 16 // AES_CCM_16
	ENCR_AES_GCM_8          EncrID = 18 // AES_GCM_8
	ENCR_AES_GCM_12         EncrID = 19 // AES_GCM_12
	ENCR_AES_GCM_16         EncrID = 20 // AES_GCM_16
	ENCR_NULL_AUTH_AES_GMAC EncrID = 21 // NULL_AUTH_AES_GMAC
	ENCR_CHACHA20_POLY1305  EncrID = 28 // CHACHA20_POLY1305
)

// PRFID is a pseudorandom function transform ID (Transform Type 2).
type PRFID uint16

const (
	PRF_HMAC_MD5      PRFID = 1 // HMAC_MD5
	PRF_HMAC_SHA1     PRFID = 2 // HMAC_SHA1
	PRF_AES128_XCBC   PRFID = 4 // AES128_XCBC
	PRF_HMAC_SHA2_256 PRFID = 5 // HMAC_SHA2_256
	PRF_HMAC_SHA2_384 PRFID = 6 // HMAC_SHA2_384
	PRF_HMAC_SHA2_512 PRFID = 7 // HMAC_SHA2_512
	PRF_AES128_CMAC   PRFID = 8 // AES128_CMAC
)

// IntegID is an integrity algorithm transform ID (Transform Type 3).
type IntegID uint16

const (
	AUTH_NONE              IntegID = 0  // NONE
	AUTH_HMAC_MD5_96       IntegID = 1  // HMAC_MD5_96
	AUTH_HMAC_SHA1_96      IntegID = 2  // HMAC_SHA1_96
	AUTH_AES_XCBC_96       IntegID = 5  // AES_XCBC_96
	AUTH_HMAC_SHA1_160     IntegID = 7  // HMAC_SHA1_160
	AUTH_AES_CMAC_96       IntegID = 8  // AES_CMAC_96
	AUTH_HMAC_SHA2_256_128 IntegID = 12 // HMAC_SHA2_256_128
	AUTH_HMAC_SHA2_384_192 IntegID = 13 // HMAC_SHA2_384_192
	AUTH_HMAC_SHA2_512_256 IntegID = 14 // HMAC_SHA2_512_256
)

// DHGroup is a Key Exchange Method transform ID (Transform Type 4), a
// Diffie-Hellman group.
type DHGroup uint16

const (
	DH_NONE       DHGroup = 0  // NONE
	DH_MODP768    DHGroup = 1  // MODP_768
	DH_MODP1024   DHGroup = 2  // MODP_1024
	DH_MODP1536   DHGroup = 5  // MODP_1536
	DH_MODP2048   DHGroup = 14 // MODP_2048
	DH_MODP3072   DHGroup = 15 // MODP_3072
	DH_MODP4096   DHGroup = 16 // MODP_4096
	DH_MODP6144   DHGroup = 17 // MODP_6144
	DH_MODP8192   DHGroup = 18 // MODP_8192
	DH_ECP256     DHGroup = 19 // ECP_256
	DH_ECP384     DHGroup = 20 // ECP_384
	DH_ECP521     DHGroup = 21 // ECP_521
	DH_CURVE25519 DHGroup = 31 // CURVE25519
	DH_CURVE448   DHGroup = 32 // CURVE448
)

// ESNID is an Extended Sequence Numbers transform ID (Transform Type 5).
type ESNID uint16

const (
	ESN_NO  ESNID = 0 // NO_ESN
	ESN_YES ESNID = 1 // ESN
)

// TransformName names transform id of type t, e.g. "AES_GCM_16", or prints
// it as "TYPE(id)", e.g. "PRF(99)", when the registry has no name for it.
func TransformName(t TransformType, id uint16) string {
	var s string
	switch t {
	case TransformENCR:
		s = EncrID(id).String()
	case TransformPRF:
		s = PRFID(id).String()
	case TransformINTEG:
		s = IntegID(id).String()
	case TransformDH:
		s = DHGroup(id).String()
	case TransformESN:
		s = ESNID(id).String()
	}
	// stringer prints an unregistered value as "EncrID(99)"; no registered
	// name contains a parenthesis.
	if s == "" || strings.HasSuffix(s, ")") {
		return t.String() + "(" + strconv.Itoa(int(id)) + ")"
	}
	return s
}
