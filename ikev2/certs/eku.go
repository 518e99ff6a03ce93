package certs

import (
	"crypto/x509"
	"encoding/asn1"
	"strings"
)

// Extended key usage OIDs this package names.
var (
	oidEKUAny             = asn1.ObjectIdentifier{2, 5, 29, 37, 0}
	oidEKUServerAuth      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	oidEKUClientAuth      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}
	oidEKUCodeSign        = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 3}
	oidEKUEmailProtect    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4}
	oidEKUIPSecEndSystem  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 5}
	oidEKUIPSecTunnel     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 6}
	oidEKUIPSecUser       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 7}
	oidEKUTimeStamp       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidEKUOCSPSign        = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 9}
	oidEKUDVCS            = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 10}
	oidEKUIPSecIKE        = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 17} // RFC 4945 id-kp-ipsecIKE
	oidEKUIKEIntermediate = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 8, 2, 2}  // "IP security IKE intermediate"
	oidEKUSmartcardLogon  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}
	oidEKUMSServerGated   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 3}
	oidEKUNSServerGated   = asn1.ObjectIdentifier{2, 16, 840, 1, 113730, 4, 1}
	oidEKUMSCodeSign      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 22}
	oidEKUMSKernelCode    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 61, 1, 1}
)

// goEKUOIDs maps the EKUs crypto/x509 decodes into ExtKeyUsage back to
// their OIDs; the rest stay in UnknownExtKeyUsage.
var goEKUOIDs = map[x509.ExtKeyUsage]asn1.ObjectIdentifier{
	x509.ExtKeyUsageAny:                            oidEKUAny,
	x509.ExtKeyUsageServerAuth:                     oidEKUServerAuth,
	x509.ExtKeyUsageClientAuth:                     oidEKUClientAuth,
	x509.ExtKeyUsageCodeSigning:                    oidEKUCodeSign,
	x509.ExtKeyUsageEmailProtection:                oidEKUEmailProtect,
	x509.ExtKeyUsageIPSECEndSystem:                 oidEKUIPSecEndSystem,
	x509.ExtKeyUsageIPSECTunnel:                    oidEKUIPSecTunnel,
	x509.ExtKeyUsageIPSECUser:                      oidEKUIPSecUser,
	x509.ExtKeyUsageTimeStamping:                   oidEKUTimeStamp,
	x509.ExtKeyUsageOCSPSigning:                    oidEKUOCSPSign,
	x509.ExtKeyUsageMicrosoftServerGatedCrypto:     oidEKUMSServerGated,
	x509.ExtKeyUsageNetscapeServerGatedCrypto:      oidEKUNSServerGated,
	x509.ExtKeyUsageMicrosoftCommercialCodeSigning: oidEKUMSCodeSign,
	x509.ExtKeyUsageMicrosoftKernelCodeSigning:     oidEKUMSKernelCode,
}

// ekuNames gives the AnyConnect profile names (ExtendedMatchKey) of EKUs.
// SmartcardLogon is not in the public 3.x schema's enumeration; it is
// accepted as a convenience.
var ekuNames = map[string]asn1.ObjectIdentifier{
	"ServerAuth":      oidEKUServerAuth,
	"ClientAuth":      oidEKUClientAuth,
	"CodeSign":        oidEKUCodeSign,
	"EmailProtect":    oidEKUEmailProtect,
	"IPSecEndSystem":  oidEKUIPSecEndSystem,
	"IPSecTunnel":     oidEKUIPSecTunnel,
	"IPSecUser":       oidEKUIPSecUser,
	"TimeStamp":       oidEKUTimeStamp,
	"OCSPSign":        oidEKUOCSPSign,
	"DVCS":            oidEKUDVCS,
	"IKEIntermediate": oidEKUIKEIntermediate,
	"SmartcardLogon":  oidEKUSmartcardLogon,
}

// ServerEKUs returns the extended key usages of which a headend
// certificate chain must allow at least one: serverAuth, id-kp-ipsecIKE
// (RFC 4945) and IP security IKE intermediate (1.3.6.1.5.5.8.2.2). A
// certificate without the EKU extension, or with anyExtendedKeyUsage,
// allows them all. See the package documentation for why.
func ServerEKUs() []asn1.ObjectIdentifier {
	return []asn1.ObjectIdentifier{oidEKUServerAuth, oidEKUIPSecIKE, oidEKUIKEIntermediate}
}

// ekuOIDs lists a certificate's EKUs as OIDs, and reports whether the
// certificate has the EKU extension at all.
func ekuOIDs(c *x509.Certificate) ([]asn1.ObjectIdentifier, bool) {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return nil, false
	}
	out := make([]asn1.ObjectIdentifier, 0, len(c.ExtKeyUsage)+len(c.UnknownExtKeyUsage))
	for _, u := range c.ExtKeyUsage {
		if oid, ok := goEKUOIDs[u]; ok {
			out = append(out, oid)
		}
	}
	out = append(out, c.UnknownExtKeyUsage...)
	return out, true
}

func hasOID(list []asn1.ObjectIdentifier, oid asn1.ObjectIdentifier) bool {
	for _, o := range list {
		if o.Equal(oid) {
			return true
		}
	}
	return false
}

// ekuDisplay names an EKU OID for messages.
func ekuDisplay(oid asn1.ObjectIdentifier) string {
	if oid.Equal(oidEKUAny) {
		return "anyExtendedKeyUsage"
	}
	if oid.Equal(oidEKUIPSecIKE) {
		return "ipsecIKE"
	}
	for name, o := range ekuNames {
		if o.Equal(oid) {
			return name
		}
	}
	return oid.String()
}

func ekuList(list []asn1.ObjectIdentifier) string {
	names := make([]string, len(list))
	for i, o := range list {
		names[i] = ekuDisplay(o)
	}
	return strings.Join(names, ", ")
}

// checkServerEKU walks a verified chain (leaf first) from the root down and
// keeps the server usages every certificate allows. It returns "" when one
// is left, else why not.
func checkServerEKU(chain []*x509.Certificate) string {
	allowed := ServerEKUs()
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		list, present := ekuOIDs(c)
		if !present || hasOID(list, oidEKUAny) {
			continue
		}
		kept := allowed[:0:0]
		for _, want := range allowed {
			if hasOID(list, want) {
				kept = append(kept, want)
			}
		}
		if len(kept) == 0 {
			what := "the server certificate"
			if i > 0 {
				what = "CA certificate " + printable(c.Subject.String())
			}
			return "the extended key usage of " + what + " (" + ekuList(list) +
				") allows none of " + ekuList(ServerEKUs())
		}
		allowed = kept
	}
	return ""
}
