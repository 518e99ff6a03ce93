package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/profile"
)

// This file implements the AnyConnect profile's
// ClientInitialization/CertificateMatch: KeyUsage/MatchKey,
// ExtendedKeyUsage/ExtendedMatchKey and CustomExtendedMatchKey, and
// DistinguishedName/DistinguishedNameDefinition with its Name, Pattern and
// the attributes Wildcard, Operator and MatchCase.

// The rules are a profile's CertificateMatch (package profile parses and
// documents them). A certificate must satisfy all of them; no rules match
// any currently valid certificate.
//
// A listed key usage or EKU must be present in the certificate's own
// extension. The profile's MatchOnlyCertsWithKU and MatchOnlyCertsWithEKU
// are thus always in effect; whether AnyConnect, with them false, lets a
// certificate without the extension pass is not known publicly.
//
// DistinguishedNameDefinition names: CN, SN (surname), GN, N
// (unstructuredName), I (initials), GENQ, DNQ, C, L, SP or ST (state), O,
// OU, T (title), EA (e-mail address), DC; each also with an "ISSUER-"
// prefix for the issuer's name. DN and ISSUER-DN (the whole name in RFC
// 4514 form) are a vpnc-go extension. A Pattern is plain text; Wildcard
// lets it match anywhere in the value; NotEqual holds when no value of the
// attribute matches (an absent attribute satisfies it).

var keyUsageNames = map[string]x509.KeyUsage{
	"Digital_Signature": x509.KeyUsageDigitalSignature,
	"Non_Repudiation":   x509.KeyUsageContentCommitment,
	"Key_Encipherment":  x509.KeyUsageKeyEncipherment,
	"Data_Encipherment": x509.KeyUsageDataEncipherment,
	"Key_Agreement":     x509.KeyUsageKeyAgreement,
	"Key_Cert_Sign":     x509.KeyUsageCertSign,
	"CRL_Sign":          x509.KeyUsageCRLSign,
	"Encipher_Only":     x509.KeyUsageEncipherOnly,
	"Decipher_Only":     x509.KeyUsageDecipherOnly,
}

var oidExtensionKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}

// dnAttributes maps the DistinguishedNameDefinition names to attribute
// types. SN is the surname (2.5.4.4), not the serial number.
var dnAttributes = map[string]asn1.ObjectIdentifier{
	"CN":   {2, 5, 4, 3},
	"SN":   {2, 5, 4, 4},
	"GN":   {2, 5, 4, 42},
	"N":    {1, 2, 840, 113549, 1, 9, 2},
	"I":    {2, 5, 4, 43},
	"GENQ": {2, 5, 4, 44},
	"DNQ":  {2, 5, 4, 46},
	"C":    {2, 5, 4, 6},
	"L":    {2, 5, 4, 7},
	"SP":   {2, 5, 4, 8},
	"ST":   {2, 5, 4, 8},
	"O":    {2, 5, 4, 10},
	"OU":   {2, 5, 4, 11},
	"T":    {2, 5, 4, 12},
	"EA":   {1, 2, 840, 113549, 1, 9, 1},
	"DC":   {0, 9, 2342, 19200300, 100, 1, 25},
}

// compiled rules, checked once.
type compiledRules struct {
	ku       []string
	kuBits   []x509.KeyUsage
	eku      []asn1.ObjectIdentifier
	ekuNames []string
	dn       []compiledDN
}

type compiledDN struct {
	rule   profile.DNRule
	name   string // canonical upper-case name
	issuer bool
	whole  bool
	oid    asn1.ObjectIdentifier
}

func compile(r profile.CertificateMatch) (*compiledRules, error) {
	var c compiledRules
	for _, n := range r.KeyUsage {
		canon, bit, ok := lookupKU(n)
		if !ok {
			return nil, fmt.Errorf("certs: CertificateMatch KeyUsage %q is not a MatchKey name (want one of Decipher_Only, Encipher_Only, CRL_Sign, Key_Cert_Sign, Key_Agreement, Data_Encipherment, Key_Encipherment, Non_Repudiation, Digital_Signature)", printable(n))
		}
		c.ku = append(c.ku, canon)
		c.kuBits = append(c.kuBits, bit)
	}
	for _, n := range r.ExtendedKeyUsage {
		name, oid, err := lookupEKU(n)
		if err != nil {
			return nil, err
		}
		c.eku = append(c.eku, oid)
		c.ekuNames = append(c.ekuNames, name)
	}
	for _, s := range r.CustomExtendedKeyUsage {
		oid, err := parseOID(s)
		if err != nil {
			return nil, fmt.Errorf("certs: CertificateMatch CustomExtendedMatchKey %q: %w", printable(s), err)
		}
		c.eku = append(c.eku, oid)
		c.ekuNames = append(c.ekuNames, oid.String())
	}
	for i, d := range r.DistinguishedName {
		name := strings.ToUpper(strings.TrimSpace(d.Name))
		cd := compiledDN{rule: d, name: name}
		attr := name
		if rest, ok := strings.CutPrefix(name, "ISSUER-"); ok {
			cd.issuer = true
			attr = rest
		}
		if attr == "DN" {
			cd.whole = true
		} else if oid, ok := dnAttributes[attr]; ok {
			cd.oid = oid
		} else {
			return nil, fmt.Errorf("certs: CertificateMatch DistinguishedNameDefinition %d: unknown Name %q (want CN, SN, GN, N, I, GENQ, DNQ, C, L, SP, ST, O, OU, T, EA, DC, DN, optionally with ISSUER- before it)", i+1, printable(d.Name))
		}
		if d.Pattern == "" {
			return nil, fmt.Errorf("certs: CertificateMatch DistinguishedNameDefinition %d (%s): empty Pattern", i+1, name)
		}
		c.dn = append(c.dn, cd)
	}
	return &c, nil
}

func lookupKU(n string) (string, x509.KeyUsage, bool) {
	n = strings.TrimSpace(n)
	for name, bit := range keyUsageNames {
		if strings.EqualFold(name, n) {
			return name, bit, true
		}
	}
	return "", 0, false
}

func lookupEKU(n string) (string, asn1.ObjectIdentifier, error) {
	t := strings.TrimSpace(n)
	for name, oid := range ekuNames {
		if strings.EqualFold(name, t) {
			return name, oid, nil
		}
	}
	if t != "" && t[0] >= '0' && t[0] <= '9' {
		oid, err := parseOID(t)
		if err != nil {
			return "", nil, fmt.Errorf("certs: CertificateMatch ExtendedKeyUsage %q: %w", printable(n), err)
		}
		return oid.String(), oid, nil
	}
	return "", nil, fmt.Errorf("certs: CertificateMatch ExtendedKeyUsage %q is not an ExtendedMatchKey name (want one of ServerAuth, ClientAuth, CodeSign, EmailProtect, IPSecEndSystem, IPSecTunnel, IPSecUser, TimeStamp, OCSPSign, DVCS, IKEIntermediate, SmartcardLogon) or a dotted OID", printable(n))
}

func parseOID(s string) (asn1.ObjectIdentifier, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 2 {
		return nil, errors.New("not a dotted OID such as 1.3.6.1.5.5.7.3.2")
	}
	oid := make(asn1.ObjectIdentifier, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 31)
		if err != nil || p == "" || (len(p) > 1 && p[0] == '0') {
			return nil, errors.New("not a dotted OID such as 1.3.6.1.5.5.7.3.2")
		}
		oid[i] = int(v)
	}
	if oid[0] > 2 || (oid[0] < 2 && oid[1] > 39) {
		return nil, errors.New("not a valid OID (first arcs out of range)")
	}
	return oid, nil
}

// Check tells why cert does not satisfy rules at time now: nil means it
// does. An error is about rules themselves or a zero now.
func Check(cert *x509.Certificate, rules profile.CertificateMatch, now time.Time) ([]string, error) {
	if now.IsZero() {
		return nil, errors.New("certs: the time to check certificates at is not set")
	}
	c, err := compile(rules)
	if err != nil {
		return nil, err
	}
	return c.check(cert, now), nil
}

func (c *compiledRules) check(cert *x509.Certificate, now time.Time) []string {
	if cert == nil {
		return []string{"no certificate"}
	}
	var why []string
	if now.Before(cert.NotBefore) {
		why = append(why, "not valid before "+cert.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(cert.NotAfter) {
		why = append(why, "expired on "+cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if len(c.ku) > 0 {
		if !hasExtension(cert, oidExtensionKeyUsage) {
			why = append(why, "has no key usage extension (wanted "+strings.Join(c.ku, ", ")+")")
		} else {
			var missing []string
			for i, bit := range c.kuBits {
				if cert.KeyUsage&bit == 0 {
					missing = append(missing, c.ku[i])
				}
			}
			if len(missing) > 0 {
				why = append(why, "lacks key usage "+strings.Join(missing, ", "))
			}
		}
	}
	if len(c.eku) > 0 {
		have, present := ekuOIDs(cert)
		if !present {
			why = append(why, "has no extended key usage extension (wanted "+strings.Join(c.ekuNames, ", ")+")")
		} else {
			var missing []string
			for i, oid := range c.eku {
				if !hasOID(have, oid) {
					missing = append(missing, c.ekuNames[i])
				}
			}
			if len(missing) > 0 {
				why = append(why, "lacks extended key usage "+strings.Join(missing, ", ")+" (has "+ekuList(have)+")")
			}
		}
	}
	for _, d := range c.dn {
		if s := d.check(cert); s != "" {
			why = append(why, s)
		}
	}
	return why
}

func hasExtension(cert *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, e := range cert.Extensions {
		if e.Id.Equal(oid) {
			return true
		}
	}
	return false
}

func (d compiledDN) values(cert *x509.Certificate) []string {
	name := cert.Subject
	if d.issuer {
		name = cert.Issuer
	}
	if d.whole {
		return []string{name.String()}
	}
	return attrValues(name, d.oid)
}

func attrValues(name pkix.Name, oid asn1.ObjectIdentifier) []string {
	var out []string
	for _, atv := range name.Names {
		if !atv.Type.Equal(oid) {
			continue
		}
		if s, ok := atv.Value.(string); ok {
			out = append(out, s)
		} else {
			out = append(out, fmt.Sprint(atv.Value))
		}
	}
	return out
}

func (d compiledDN) check(cert *x509.Certificate) string {
	vals := d.values(cert)
	matched := false
	for _, v := range vals {
		if matchDNValue(v, d.rule.Pattern, d.rule.Wildcard, d.rule.MatchCase) {
			matched = true
			break
		}
	}
	holds := matched
	if d.rule.NotEqual {
		holds = !matched
	}
	if holds {
		return ""
	}
	how := "equal"
	if d.rule.Wildcard {
		how = "contain"
	}
	if !d.rule.MatchCase {
		how += " (ignoring case)"
	}
	got := "absent"
	if len(vals) > 0 {
		q := make([]string, len(vals))
		for i, v := range vals {
			q[i] = strconv.Quote(printable(v))
		}
		got = strings.Join(q, ", ")
	}
	if d.rule.NotEqual {
		return fmt.Sprintf("%s must not %s %q (it is %s)", d.name, how, printable(d.rule.Pattern), got)
	}
	return fmt.Sprintf("%s must %s %q (it is %s)", d.name, how, printable(d.rule.Pattern), got)
}

func matchDNValue(value, pattern string, wildcard, matchCase bool) bool {
	if !matchCase {
		value, pattern = strings.ToLower(value), strings.ToLower(pattern)
	}
	if wildcard {
		return strings.Contains(value, pattern)
	}
	return value == pattern
}

// Rejection says why one candidate of Select was not chosen.
type Rejection struct {
	Index   int    // 0-based position in the candidates
	Source  string // Credentials.Source
	Subject string // the leaf's subject, "" if none
	Reasons []string
}

// NoMatchError is Select's error when no candidate fits.
type NoMatchError struct {
	Rejections []Rejection
}

func (e *NoMatchError) Error() string {
	if len(e.Rejections) == 0 {
		return "certs: no client certificate to choose from"
	}
	var b strings.Builder
	b.WriteString("certs: no client certificate matches the CertificateMatch rules:")
	for _, r := range e.Rejections {
		fmt.Fprintf(&b, " candidate %d", r.Index+1)
		var what []string
		if r.Source != "" {
			what = append(what, printable(r.Source))
		}
		if r.Subject != "" {
			what = append(what, r.Subject)
		}
		if len(what) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(what, ", "))
		}
		b.WriteString(": ")
		b.WriteString(strings.Join(r.Reasons, "; "))
		b.WriteString(".")
	}
	return b.String()
}

// Select returns the candidate whose leaf satisfies all rules and is valid
// at now; of several, the one valid longest (latest NotAfter), the first of
// equals. When none fits the error is a *NoMatchError listing why each was
// refused; a bad rule or a zero now gives another error.
func Select(candidates []*ikev2.Credentials, rules profile.CertificateMatch, now time.Time) (*ikev2.Credentials, error) {
	if now.IsZero() {
		return nil, errors.New("certs: the time to check certificates at is not set")
	}
	c, err := compile(rules)
	if err != nil {
		return nil, err
	}
	var best *ikev2.Credentials
	nm := &NoMatchError{}
	for i, cand := range candidates {
		rej := Rejection{Index: i}
		var why []string
		switch {
		case cand == nil:
			why = []string{"no credentials"}
		case len(cand.Chain) == 0 || cand.Chain[0] == nil:
			rej.Source = cand.Source
			why = []string{"no certificate"}
		case cand.Signer == nil:
			rej.Source = cand.Source
			rej.Subject = printable(cand.Chain[0].Subject.String())
			why = []string{"no private key"}
		default:
			rej.Source = cand.Source
			rej.Subject = printable(cand.Chain[0].Subject.String())
			why = c.check(cand.Chain[0], now)
		}
		if len(why) > 0 {
			rej.Reasons = why
			nm.Rejections = append(nm.Rejections, rej)
			continue
		}
		if best == nil || cand.Chain[0].NotAfter.After(best.Chain[0].NotAfter) {
			best = cand
		}
	}
	if best == nil {
		return nil, nm
	}
	return best, nil
}
