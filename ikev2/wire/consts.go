package wire

import "strconv"

// name formats v with its registered name, or as "PREFIX(v)" when unknown.
func name[T ~uint8 | ~uint16](names map[T]string, prefix string, v T) string {
	if s, ok := names[v]; ok {
		return s
	}
	return prefix + "(" + strconv.Itoa(int(v)) + ")"
}

// AttrKeyLength is the only transform attribute RFC 7296 defines (TV format).
const AttrKeyLength uint16 = 14

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
