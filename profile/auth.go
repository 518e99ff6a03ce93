package profile

import (
	"fmt"
	"strings"
)

// AuthMethods lists every method in the schema's order and spelling.
var AuthMethods = []AuthMethod{AuthEAPAnyConnect, AuthEAPMD5, AuthEAPMSCHAPv2, AuthEAPGTC, AuthIKERSA, AuthIKEECDSA}

// ParseAuthMethod accepts a method name in any letter case, as a profile
// or a command line gives it.
func ParseAuthMethod(s string) (AuthMethod, error) {
	for _, m := range AuthMethods {
		if strings.EqualFold(string(m), strings.TrimSpace(s)) {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown authentication method %q (want one of %s)", s, strings.Join(names(AuthMethods), ", "))
}

// UsesCertificate reports whether the method signs with a client
// certificate instead of EAP.
func (m AuthMethod) UsesCertificate() bool { return m == AuthIKERSA || m == AuthIKEECDSA }
