package wire

import "strconv"

// name formats v with its registered name, or as "PREFIX(v)" when unknown.
func name[T ~uint8 | ~uint16](names map[T]string, prefix string, v T) string {
	if s, ok := names[v]; ok {
		return s
	}
	return prefix + "(" + strconv.Itoa(int(v)) + ")"
}

// ExchangeType is the IKE header's Exchange Type (RFC 7296 section 3.1).
type ExchangeType uint8

const (
	IKE_SA_INIT      ExchangeType = 34
	IKE_AUTH         ExchangeType = 35
	CREATE_CHILD_SA  ExchangeType = 36
	INFORMATIONAL    ExchangeType = 37
	IKE_INTERMEDIATE ExchangeType = 43 // RFC 9242
)

var exchangeNames = map[ExchangeType]string{
	IKE_SA_INIT: "IKE_SA_INIT", IKE_AUTH: "IKE_AUTH", CREATE_CHILD_SA: "CREATE_CHILD_SA",
	INFORMATIONAL: "INFORMATIONAL", IKE_INTERMEDIATE: "IKE_INTERMEDIATE",
}

func (e ExchangeType) String() string { return name(exchangeNames, "EXCHANGE", e) }

// PayloadType is a Next Payload value (RFC 7296 section 3.2).
type PayloadType uint8

const (
	PayloadNone    PayloadType = 0
	PayloadSA      PayloadType = 33
	PayloadKE      PayloadType = 34
	PayloadIDi     PayloadType = 35
	PayloadIDr     PayloadType = 36
	PayloadCERT    PayloadType = 37
	PayloadCERTREQ PayloadType = 38
	PayloadAUTH    PayloadType = 39
	PayloadNonce   PayloadType = 40
	PayloadNotify  PayloadType = 41
	PayloadDelete  PayloadType = 42
	PayloadVendor  PayloadType = 43
	PayloadTSi     PayloadType = 44
	PayloadTSr     PayloadType = 45
	PayloadSK      PayloadType = 46
	PayloadCP      PayloadType = 47
	PayloadEAP     PayloadType = 48
	PayloadSKF     PayloadType = 53 // RFC 7383
	// PayloadCiscoFragment is the IKEv1 fragment payload that Cisco peers
	// wrap around pieces of a whole encrypted IKEv2 message.
	PayloadCiscoFragment PayloadType = 132
)

var payloadNames = map[PayloadType]string{
	PayloadNone: "NONE", PayloadSA: "SA", PayloadKE: "KE", PayloadIDi: "IDi", PayloadIDr: "IDr",
	PayloadCERT: "CERT", PayloadCERTREQ: "CERTREQ", PayloadAUTH: "AUTH", PayloadNonce: "Nonce",
	PayloadNotify: "N", PayloadDelete: "D", PayloadVendor: "V", PayloadTSi: "TSi", PayloadTSr: "TSr",
	PayloadSK: "SK", PayloadCP: "CP", PayloadEAP: "EAP", PayloadSKF: "SKF",
	PayloadCiscoFragment: "CISCO_FRAGMENT",
}

func (p PayloadType) String() string { return name(payloadNames, "PAYLOAD", p) }

// ProtocolID identifies the protocol of a proposal, notify or delete.
type ProtocolID uint8

const (
	ProtoNone ProtocolID = 0
	ProtoIKE  ProtocolID = 1
	ProtoAH   ProtocolID = 2
	ProtoESP  ProtocolID = 3
)

var protocolNames = map[ProtocolID]string{ProtoNone: "NONE", ProtoIKE: "IKE", ProtoAH: "AH", ProtoESP: "ESP"}

func (p ProtocolID) String() string { return name(protocolNames, "PROTO", p) }

// TransformType is the Transform Type of a transform substructure.
type TransformType uint8

const (
	TransformENCR  TransformType = 1
	TransformPRF   TransformType = 2
	TransformINTEG TransformType = 3
	TransformDH    TransformType = 4 // "Key Exchange Method" since RFC 9370
	TransformESN   TransformType = 5
)

var transformTypeNames = map[TransformType]string{
	TransformENCR: "ENCR", TransformPRF: "PRF", TransformINTEG: "INTEG", TransformDH: "DH", TransformESN: "ESN",
}

func (t TransformType) String() string { return name(transformTypeNames, "TRANSFORM", t) }

// Encryption algorithm transform IDs (IANA "Transform Type 1").
const (
	ENCR_DES_IV64           uint16 = 1
	ENCR_DES                uint16 = 2
	ENCR_3DES               uint16 = 3
	ENCR_NULL               uint16 = 11
	ENCR_AES_CBC            uint16 = 12
	ENCR_AES_CTR            uint16 = 13
	ENCR_AES_CCM_8          uint16 = 14
	ENCR_AES_CCM_12         uint16 = 15
	ENCR_AES_CCM_16         uint16 = 16
	ENCR_AES_GCM_8          uint16 = 18
	ENCR_AES_GCM_12         uint16 = 19
	ENCR_AES_GCM_16         uint16 = 20
	ENCR_NULL_AUTH_AES_GMAC uint16 = 21
	ENCR_CHACHA20_POLY1305  uint16 = 28
)

// Pseudorandom function transform IDs (IANA "Transform Type 2").
const (
	PRF_HMAC_MD5      uint16 = 1
	PRF_HMAC_SHA1     uint16 = 2
	PRF_AES128_XCBC   uint16 = 4
	PRF_HMAC_SHA2_256 uint16 = 5
	PRF_HMAC_SHA2_384 uint16 = 6
	PRF_HMAC_SHA2_512 uint16 = 7
	PRF_AES128_CMAC   uint16 = 8
)

// Integrity algorithm transform IDs (IANA "Transform Type 3").
const (
	AUTH_NONE              uint16 = 0
	AUTH_HMAC_MD5_96       uint16 = 1
	AUTH_HMAC_SHA1_96      uint16 = 2
	AUTH_AES_XCBC_96       uint16 = 5
	AUTH_HMAC_SHA1_160     uint16 = 7
	AUTH_AES_CMAC_96       uint16 = 8
	AUTH_HMAC_SHA2_256_128 uint16 = 12
	AUTH_HMAC_SHA2_384_192 uint16 = 13
	AUTH_HMAC_SHA2_512_256 uint16 = 14
)

// Diffie-Hellman group transform IDs (IANA "Transform Type 4").
const (
	DH_NONE       uint16 = 0
	DH_MODP768    uint16 = 1
	DH_MODP1024   uint16 = 2
	DH_MODP1536   uint16 = 5
	DH_MODP2048   uint16 = 14
	DH_MODP3072   uint16 = 15
	DH_MODP4096   uint16 = 16
	DH_MODP6144   uint16 = 17
	DH_MODP8192   uint16 = 18
	DH_ECP256     uint16 = 19
	DH_ECP384     uint16 = 20
	DH_ECP521     uint16 = 21
	DH_CURVE25519 uint16 = 31
	DH_CURVE448   uint16 = 32
)

// Extended Sequence Numbers transform IDs (IANA "Transform Type 5").
const (
	ESN_NO  uint16 = 0
	ESN_YES uint16 = 1
)

// AttrKeyLength is the only transform attribute RFC 7296 defines (TV format).
const AttrKeyLength uint16 = 14

var transformNames = map[TransformType]map[uint16]string{
	TransformENCR: {
		ENCR_DES_IV64: "DES_IV64", ENCR_DES: "DES", ENCR_3DES: "3DES", ENCR_NULL: "NULL",
		ENCR_AES_CBC: "AES_CBC", ENCR_AES_CTR: "AES_CTR", ENCR_AES_CCM_8: "AES_CCM_8",
		ENCR_AES_CCM_12: "AES_CCM_12", ENCR_AES_CCM_16: "AES_CCM_16", ENCR_AES_GCM_8: "AES_GCM_8",
		ENCR_AES_GCM_12: "AES_GCM_12", ENCR_AES_GCM_16: "AES_GCM_16",
		ENCR_NULL_AUTH_AES_GMAC: "NULL_AUTH_AES_GMAC", ENCR_CHACHA20_POLY1305: "CHACHA20_POLY1305",
	},
	TransformPRF: {
		PRF_HMAC_MD5: "HMAC_MD5", PRF_HMAC_SHA1: "HMAC_SHA1", PRF_AES128_XCBC: "AES128_XCBC",
		PRF_HMAC_SHA2_256: "HMAC_SHA2_256", PRF_HMAC_SHA2_384: "HMAC_SHA2_384",
		PRF_HMAC_SHA2_512: "HMAC_SHA2_512", PRF_AES128_CMAC: "AES128_CMAC",
	},
	TransformINTEG: {
		AUTH_NONE: "NONE", AUTH_HMAC_MD5_96: "HMAC_MD5_96", AUTH_HMAC_SHA1_96: "HMAC_SHA1_96",
		AUTH_AES_XCBC_96: "AES_XCBC_96", AUTH_HMAC_SHA1_160: "HMAC_SHA1_160", AUTH_AES_CMAC_96: "AES_CMAC_96",
		AUTH_HMAC_SHA2_256_128: "HMAC_SHA2_256_128", AUTH_HMAC_SHA2_384_192: "HMAC_SHA2_384_192",
		AUTH_HMAC_SHA2_512_256: "HMAC_SHA2_512_256",
	},
	TransformDH: {
		DH_NONE: "NONE", DH_MODP768: "MODP_768", DH_MODP1024: "MODP_1024", DH_MODP1536: "MODP_1536",
		DH_MODP2048: "MODP_2048", DH_MODP3072: "MODP_3072", DH_MODP4096: "MODP_4096",
		DH_MODP6144: "MODP_6144", DH_MODP8192: "MODP_8192", DH_ECP256: "ECP_256", DH_ECP384: "ECP_384",
		DH_ECP521: "ECP_521", DH_CURVE25519: "CURVE25519", DH_CURVE448: "CURVE448",
	},
	TransformESN: {ESN_NO: "NO_ESN", ESN_YES: "ESN"},
}

// TransformName names transform id of type t, e.g. "AES_GCM_16".
func TransformName(t TransformType, id uint16) string {
	return name(transformNames[t], t.String(), id)
}

// IDType is the ID Type of an IDi/IDr payload (RFC 7296 section 3.5).
type IDType uint8

const (
	ID_IPV4_ADDR   IDType = 1
	ID_FQDN        IDType = 2
	ID_RFC822_ADDR IDType = 3
	ID_IPV6_ADDR   IDType = 5
	ID_DER_ASN1_DN IDType = 9
	ID_DER_ASN1_GN IDType = 10
	ID_KEY_ID      IDType = 11
	ID_FC_NAME     IDType = 12 // RFC 4595
	ID_NULL        IDType = 13 // RFC 7619
)

var idNames = map[IDType]string{
	ID_IPV4_ADDR: "ID_IPV4_ADDR", ID_FQDN: "ID_FQDN", ID_RFC822_ADDR: "ID_RFC822_ADDR",
	ID_IPV6_ADDR: "ID_IPV6_ADDR", ID_DER_ASN1_DN: "ID_DER_ASN1_DN", ID_DER_ASN1_GN: "ID_DER_ASN1_GN",
	ID_KEY_ID: "ID_KEY_ID", ID_FC_NAME: "ID_FC_NAME", ID_NULL: "ID_NULL",
}

func (t IDType) String() string { return name(idNames, "ID", t) }

// CertEncoding is the Cert Encoding of CERT and CERTREQ (RFC 7296 section 3.6).
type CertEncoding uint8

const (
	CertPKCS7         CertEncoding = 1
	CertPGP           CertEncoding = 2
	CertDNSSignedKey  CertEncoding = 3
	CertX509Signature CertEncoding = 4
	CertKerberos      CertEncoding = 6
	CertCRL           CertEncoding = 7
	CertARL           CertEncoding = 8
	CertSPKI          CertEncoding = 9
	CertX509Attribute CertEncoding = 10
	CertRawRSA        CertEncoding = 11
	CertHashURLX509   CertEncoding = 12
	CertHashURLBundle CertEncoding = 13
	CertOCSPContent   CertEncoding = 14 // RFC 4806
	CertRawPublicKey  CertEncoding = 15 // RFC 7670
)

var certNames = map[CertEncoding]string{
	CertPKCS7: "PKCS7_WRAPPED_X509", CertPGP: "PGP", CertDNSSignedKey: "DNS_SIGNED_KEY",
	CertX509Signature: "X509_SIGNATURE", CertKerberos: "KERBEROS_TOKEN", CertCRL: "CRL", CertARL: "ARL",
	CertSPKI: "SPKI", CertX509Attribute: "X509_ATTRIBUTE", CertRawRSA: "RAW_RSA_KEY",
	CertHashURLX509: "HASH_URL_X509", CertHashURLBundle: "HASH_URL_BUNDLE",
	CertOCSPContent: "OCSP_CONTENT", CertRawPublicKey: "RAW_PUBLIC_KEY",
}

func (c CertEncoding) String() string { return name(certNames, "CERT", c) }

// AuthMethod is the Auth Method of an AUTH payload (RFC 7296 section 3.8).
type AuthMethod uint8

const (
	AuthRSASignature     AuthMethod = 1
	AuthSharedKeyMIC     AuthMethod = 2
	AuthDSSSignature     AuthMethod = 3
	AuthECDSASHA256P256  AuthMethod = 9  // RFC 4754
	AuthECDSASHA384P384  AuthMethod = 10 // RFC 4754
	AuthECDSASHA512P521  AuthMethod = 11 // RFC 4754
	AuthGenericPassword  AuthMethod = 12 // RFC 6467
	AuthNULL             AuthMethod = 13 // RFC 7619
	AuthDigitalSignature AuthMethod = 14 // RFC 7427
)

var authNames = map[AuthMethod]string{
	AuthRSASignature: "RSA_SIGNATURE", AuthSharedKeyMIC: "SHARED_KEY_MIC", AuthDSSSignature: "DSS_SIGNATURE",
	AuthECDSASHA256P256: "ECDSA_SHA256_P256", AuthECDSASHA384P384: "ECDSA_SHA384_P384",
	AuthECDSASHA512P521: "ECDSA_SHA512_P521", AuthGenericPassword: "GENERIC_SECURE_PASSWORD",
	AuthNULL: "NULL_AUTH", AuthDigitalSignature: "DIGITAL_SIGNATURE",
}

func (a AuthMethod) String() string { return name(authNames, "AUTH", a) }

// TSType is a Traffic Selector type (RFC 7296 section 3.13.1).
type TSType uint8

const (
	TS_IPV4_ADDR_RANGE TSType = 7
	TS_IPV6_ADDR_RANGE TSType = 8
)

var tsNames = map[TSType]string{TS_IPV4_ADDR_RANGE: "TS_IPV4_ADDR_RANGE", TS_IPV6_ADDR_RANGE: "TS_IPV6_ADDR_RANGE"}

func (t TSType) String() string { return name(tsNames, "TS", t) }

// CfgType is the CFG Type of a Configuration payload (RFC 7296 section 3.15).
type CfgType uint8

const (
	CFG_REQUEST CfgType = 1
	CFG_REPLY   CfgType = 2
	CFG_SET     CfgType = 3
	CFG_ACK     CfgType = 4
)

var cfgNames = map[CfgType]string{CFG_REQUEST: "CFG_REQUEST", CFG_REPLY: "CFG_REPLY", CFG_SET: "CFG_SET", CFG_ACK: "CFG_ACK"}

func (c CfgType) String() string { return name(cfgNames, "CFG", c) }

// CPAttrType is a Configuration Attribute type (RFC 7296 section 3.15.1 and
// the IANA registry), including the Cisco Unity range.
type CPAttrType uint16

const (
	INTERNAL_IP4_ADDRESS              CPAttrType = 1
	INTERNAL_IP4_NETMASK              CPAttrType = 2
	INTERNAL_IP4_DNS                  CPAttrType = 3
	INTERNAL_IP4_NBNS                 CPAttrType = 4
	INTERNAL_IP4_DHCP                 CPAttrType = 6
	APPLICATION_VERSION               CPAttrType = 7
	INTERNAL_IP6_ADDRESS              CPAttrType = 8
	INTERNAL_IP6_DNS                  CPAttrType = 10
	INTERNAL_IP6_DHCP                 CPAttrType = 12
	INTERNAL_IP4_SUBNET               CPAttrType = 13
	SUPPORTED_ATTRIBUTES              CPAttrType = 14
	INTERNAL_IP6_SUBNET               CPAttrType = 15
	MIP6_HOME_PREFIX                  CPAttrType = 16
	INTERNAL_IP6_LINK                 CPAttrType = 17
	INTERNAL_IP6_PREFIX               CPAttrType = 18
	HOME_AGENT_ADDRESS                CPAttrType = 19
	P_CSCF_IP4_ADDRESS                CPAttrType = 20
	P_CSCF_IP6_ADDRESS                CPAttrType = 21
	FTT_KAT                           CPAttrType = 22
	EXTERNAL_SOURCE_IP4_NAT_INFO      CPAttrType = 23
	TIMEOUT_PERIOD_FOR_LIVENESS_CHECK CPAttrType = 24
	INTERNAL_DNS_DOMAIN               CPAttrType = 25 // RFC 8598
	INTERNAL_DNSSEC_TA                CPAttrType = 26 // RFC 8598

	// Cisco Unity attributes (numbers from IKEv1 mode config). Whether a
	// Cisco headend sends them in an IKEv2 CFG_REPLY is unconfirmed; they are
	// parsed when present.
	UNITY_BANNER         CPAttrType = 28672
	UNITY_SAVE_PASSWD    CPAttrType = 28673
	UNITY_DEF_DOMAIN     CPAttrType = 28674
	UNITY_SPLITDNS_NAME  CPAttrType = 28675
	UNITY_SPLIT_INCLUDE  CPAttrType = 28676
	UNITY_NATT_PORT      CPAttrType = 28677
	UNITY_LOCAL_LAN      CPAttrType = 28678
	UNITY_PFS            CPAttrType = 28679
	UNITY_FW_TYPE        CPAttrType = 28680
	UNITY_BACKUP_SERVERS CPAttrType = 28681
	UNITY_DDNS_HOSTNAME  CPAttrType = 28682
)

var cpAttrNames = map[CPAttrType]string{
	INTERNAL_IP4_ADDRESS: "INTERNAL_IP4_ADDRESS", INTERNAL_IP4_NETMASK: "INTERNAL_IP4_NETMASK",
	INTERNAL_IP4_DNS: "INTERNAL_IP4_DNS", INTERNAL_IP4_NBNS: "INTERNAL_IP4_NBNS",
	INTERNAL_IP4_DHCP: "INTERNAL_IP4_DHCP", APPLICATION_VERSION: "APPLICATION_VERSION",
	INTERNAL_IP6_ADDRESS: "INTERNAL_IP6_ADDRESS", INTERNAL_IP6_DNS: "INTERNAL_IP6_DNS",
	INTERNAL_IP6_DHCP: "INTERNAL_IP6_DHCP", INTERNAL_IP4_SUBNET: "INTERNAL_IP4_SUBNET",
	SUPPORTED_ATTRIBUTES: "SUPPORTED_ATTRIBUTES", INTERNAL_IP6_SUBNET: "INTERNAL_IP6_SUBNET",
	MIP6_HOME_PREFIX: "MIP6_HOME_PREFIX", INTERNAL_IP6_LINK: "INTERNAL_IP6_LINK",
	INTERNAL_IP6_PREFIX: "INTERNAL_IP6_PREFIX", HOME_AGENT_ADDRESS: "HOME_AGENT_ADDRESS",
	P_CSCF_IP4_ADDRESS: "P_CSCF_IP4_ADDRESS", P_CSCF_IP6_ADDRESS: "P_CSCF_IP6_ADDRESS",
	FTT_KAT: "FTT_KAT", EXTERNAL_SOURCE_IP4_NAT_INFO: "EXTERNAL_SOURCE_IP4_NAT_INFO",
	TIMEOUT_PERIOD_FOR_LIVENESS_CHECK: "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK",
	INTERNAL_DNS_DOMAIN:               "INTERNAL_DNS_DOMAIN", INTERNAL_DNSSEC_TA: "INTERNAL_DNSSEC_TA",
	UNITY_BANNER: "UNITY_BANNER", UNITY_SAVE_PASSWD: "UNITY_SAVE_PASSWD", UNITY_DEF_DOMAIN: "UNITY_DEF_DOMAIN",
	UNITY_SPLITDNS_NAME: "UNITY_SPLITDNS_NAME", UNITY_SPLIT_INCLUDE: "UNITY_SPLIT_INCLUDE",
	UNITY_NATT_PORT: "UNITY_NATT_PORT", UNITY_LOCAL_LAN: "UNITY_LOCAL_LAN", UNITY_PFS: "UNITY_PFS",
	UNITY_FW_TYPE: "UNITY_FW_TYPE", UNITY_BACKUP_SERVERS: "UNITY_BACKUP_SERVERS",
	UNITY_DDNS_HOSTNAME: "UNITY_DDNS_HOSTNAME",
}

func (a CPAttrType) String() string { return name(cpAttrNames, "CP_ATTR", a) }
