package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
	"github.com/vpnc-go/vpnc-go/profile"
)

// cand makes candidate credentials for spec under the test intermediate.
func cand(t *testing.T, p *testPKI, spec certgen.Spec, source string) *ikev2.Credentials {
	t.Helper()
	c := issue(t, p.interCA, spec)
	return &ikev2.Credentials{Chain: []*x509.Certificate{c.Cert, p.inter}, Signer: c.Key, Source: source}
}

var (
	oidSmartcard = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}
	oidCustom    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
	oidIKEInter  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 8, 2, 2}
)

// dnRule is a DistinguishedNameDefinition with the schema's defaults:
// no wildcard, Equal, case-sensitive.
func dnRule(name, pattern string) profile.DNRule {
	return profile.DNRule{Name: name, Pattern: pattern, MatchCase: true}
}

func TestMatchRules(t *testing.T) {
	p := newTestPKI(t)
	subject := pkix.Name{
		CommonName:         "Alice Example",
		Organization:       []string{"Example Corp"},
		OrganizationalUnit: []string{"Engineering", "VPN Users"},
		Country:            []string{"DE"},
		Province:           []string{"Bavaria"},
		Locality:           []string{"Munich"},
		ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: asn1.ObjectIdentifier{2, 5, 4, 4}, Value: "Example"},                            // SN surname
			{Type: asn1.ObjectIdentifier{2, 5, 4, 42}, Value: "Alice"},                             // GN
			{Type: asn1.ObjectIdentifier{2, 5, 4, 12}, Value: "Engineer"},                          // T
			{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "alice@corp.example"}, // EA
			{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, Value: "corp"},         // DC
			{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, Value: "example"},      // DC
		},
	}
	c := cand(t, p, certgen.Spec{
		Subject:            subject,
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageIPSECUser},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidSmartcard, oidCustom, oidIKEInter},
	}, "alice.p12")
	leaf := c.Chain[0]

	ci := func(name, pattern string) profile.DNRule { r := dnRule(name, pattern); r.MatchCase = false; return r }
	wild := func(name, pattern string) profile.DNRule { r := dnRule(name, pattern); r.Wildcard = true; return r }
	not := func(r profile.DNRule) profile.DNRule { r.NotEqual = true; return r }

	pass := map[string]profile.CertificateMatch{
		"empty":         {},
		"KU one":        {KeyUsage: []string{"Digital_Signature"}},
		"KU two":        {KeyUsage: []string{"Digital_Signature", "key_encipherment"}},
		"EKU names":     {ExtendedKeyUsage: []string{"ClientAuth", "IPSecUser", "SmartcardLogon", "IKEIntermediate"}},
		"EKU as OID":    {ExtendedKeyUsage: []string{"1.3.6.1.5.5.7.3.2"}},
		"custom EKU":    {CustomExtendedKeyUsage: []string{"1.3.6.1.4.1.99999.1"}},
		"CN exact":      {DistinguishedName: []profile.DNRule{dnRule("CN", "Alice Example")}},
		"CN nocase":     {DistinguishedName: []profile.DNRule{ci("cn", "alice example")}},
		"CN wildcard":   {DistinguishedName: []profile.DNRule{wild("CN", "ice Ex")}},
		"OU second":     {DistinguishedName: []profile.DNRule{dnRule("OU", "VPN Users")}},
		"DC one of":     {DistinguishedName: []profile.DNRule{dnRule("DC", "example")}},
		"SN surname":    {DistinguishedName: []profile.DNRule{dnRule("SN", "Example")}},
		"GN T EA":       {DistinguishedName: []profile.DNRule{dnRule("GN", "Alice"), dnRule("T", "Engineer"), wild("EA", "@corp.example")}},
		"C L ST SP O":   {DistinguishedName: []profile.DNRule{dnRule("C", "DE"), dnRule("L", "Munich"), dnRule("ST", "Bavaria"), dnRule("SP", "Bavaria"), dnRule("O", "Example Corp")}},
		"issuer CN":     {DistinguishedName: []profile.DNRule{dnRule("ISSUER-CN", "Test Intermediate CA")}},
		"issuer wild":   {DistinguishedName: []profile.DNRule{wild("issuer-cn", "Intermediate")}},
		"whole DN":      {DistinguishedName: []profile.DNRule{wild("DN", "OU=VPN Users")}},
		"not equal":     {DistinguishedName: []profile.DNRule{not(dnRule("OU", "Sales"))}},
		"not absent":    {DistinguishedName: []profile.DNRule{not(dnRule("I", "AE"))}},
		"not case-sens": {DistinguishedName: []profile.DNRule{not(dnRule("CN", "alice example"))}},
		"all kinds": {
			KeyUsage:               []string{"Digital_Signature"},
			ExtendedKeyUsage:       []string{"ClientAuth"},
			CustomExtendedKeyUsage: []string{"1.3.6.1.4.1.99999.1"},
			DistinguishedName:      []profile.DNRule{dnRule("CN", "Alice Example"), not(dnRule("ISSUER-CN", "Evil CA"))},
		},
	}
	for name, rules := range pass {
		why, err := Check(leaf, rules, testNow)
		if err != nil || why != nil {
			t.Errorf("%s: want a match, got %v %v", name, why, err)
		}
		if got, err := Select([]*ikev2.Credentials{c}, rules, testNow); err != nil || got != c {
			t.Errorf("%s: Select = %v, %v", name, got, err)
		}
	}

	fail := map[string]struct {
		rules profile.CertificateMatch
		says  string
	}{
		"KU missing":     {profile.CertificateMatch{KeyUsage: []string{"Digital_Signature", "Non_Repudiation"}}, "lacks key usage Non_Repudiation"},
		"KU cert sign":   {profile.CertificateMatch{KeyUsage: []string{"Key_Cert_Sign"}}, "lacks key usage Key_Cert_Sign"},
		"EKU missing":    {profile.CertificateMatch{ExtendedKeyUsage: []string{"ClientAuth", "ServerAuth"}}, "lacks extended key usage ServerAuth"},
		"EKU DVCS":       {profile.CertificateMatch{ExtendedKeyUsage: []string{"DVCS"}}, "lacks extended key usage DVCS"},
		"custom missing": {profile.CertificateMatch{CustomExtendedKeyUsage: []string{"1.2.3.4"}}, "lacks extended key usage 1.2.3.4"},
		"CN differs":     {profile.CertificateMatch{DistinguishedName: []profile.DNRule{dnRule("CN", "Bob")}}, `CN must equal "Bob" (it is "Alice Example")`},
		"CN case":        {profile.CertificateMatch{DistinguishedName: []profile.DNRule{dnRule("CN", "alice example")}}, "CN must equal"},
		"CN partial":     {profile.CertificateMatch{DistinguishedName: []profile.DNRule{dnRule("CN", "Alice")}}, "CN must equal"},
		"wild case":      {profile.CertificateMatch{DistinguishedName: []profile.DNRule{wild("CN", "ALICE")}}, "CN must contain"},
		"absent attr":    {profile.CertificateMatch{DistinguishedName: []profile.DNRule{dnRule("GENQ", "Jr.")}}, "(it is absent)"},
		"not equal":      {profile.CertificateMatch{DistinguishedName: []profile.DNRule{not(dnRule("OU", "VPN Users"))}}, `OU must not equal "VPN Users"`},
		"not wild":       {profile.CertificateMatch{DistinguishedName: []profile.DNRule{not(wild("ISSUER-CN", "Test"))}}, "ISSUER-CN must not contain"},
		"issuer O":       {profile.CertificateMatch{DistinguishedName: []profile.DNRule{dnRule("ISSUER-O", "Example Corp")}}, "ISSUER-O must equal"},
	}
	for name, tc := range fail {
		why, err := Check(leaf, tc.rules, testNow)
		if err != nil || len(why) == 0 || !strings.Contains(strings.Join(why, "; "), tc.says) {
			t.Errorf("%s: want refusal saying %q, got %v, %v", name, tc.says, why, err)
		}
		_, err = Select([]*ikev2.Credentials{c}, tc.rules, testNow)
		var nm *NoMatchError
		if !errors.As(err, &nm) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "alice.p12") {
			t.Errorf("%s: Select error %v", name, err)
		}
	}
}

func TestMatchMissingExtensions(t *testing.T) {
	p := newTestPKI(t)
	bare := issue(t, p.interCA, certgen.Spec{Subject: cn("bare")}).Cert // no KU, no EKU
	why, err := Check(bare, profile.CertificateMatch{KeyUsage: []string{"Digital_Signature"}, ExtendedKeyUsage: []string{"ClientAuth"}}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(why, "; ")
	if !strings.Contains(joined, "no key usage extension") || !strings.Contains(joined, "no extended key usage extension") {
		t.Errorf("got %q", joined)
	}
	// anyExtendedKeyUsage does not stand for a named EKU.
	anyEKU := issue(t, p.interCA, certgen.Spec{Subject: cn("any"), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}).Cert
	if why, _ := Check(anyEKU, profile.CertificateMatch{ExtendedKeyUsage: []string{"ClientAuth"}}, testNow); len(why) == 0 {
		t.Error("anyExtendedKeyUsage matched ClientAuth")
	}
}

func TestMatchBadRules(t *testing.T) {
	for name, rules := range map[string]profile.CertificateMatch{
		"KU name":      {KeyUsage: []string{"DigitalSignature"}},
		"EKU name":     {ExtendedKeyUsage: []string{"WebServer"}},
		"EKU OID":      {ExtendedKeyUsage: []string{"1.3..6"}},
		"custom OID":   {CustomExtendedKeyUsage: []string{"clientAuth"}},
		"custom arc":   {CustomExtendedKeyUsage: []string{"3.1"}},
		"DN name":      {DistinguishedName: []profile.DNRule{dnRule("UID", "x")}},
		"DN pattern":   {DistinguishedName: []profile.DNRule{dnRule("CN", "")}},
		"ISSUER- only": {DistinguishedName: []profile.DNRule{dnRule("ISSUER-", "x")}},
	} {
		if _, err := Check(&x509.Certificate{}, rules, testNow); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := Select(nil, rules, testNow); err == nil {
			t.Errorf("%s: Select accepted", name)
		} else if _, ok := err.(*NoMatchError); ok {
			t.Errorf("%s: a bad rule must not look like no match: %v", name, err)
		}
	}
	if _, err := Select(nil, profile.CertificateMatch{}, time.Time{}); err == nil {
		t.Error("zero time accepted")
	}
}

func TestSelect(t *testing.T) {
	p := newTestPKI(t)
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	expired := cand(t, p, certgen.Spec{Subject: cn("old"), ExtKeyUsage: client, NotBefore: testNow.AddDate(-2, 0, 0), NotAfter: testNow.AddDate(-1, 0, 0)}, "old.pem")
	future := cand(t, p, certgen.Spec{Subject: cn("future"), ExtKeyUsage: client, NotBefore: testNow.Add(time.Hour), NotAfter: testNow.AddDate(5, 0, 0)}, "future.pem")
	short := cand(t, p, certgen.Spec{Subject: cn("short"), ExtKeyUsage: client, NotAfter: testNow.AddDate(0, 1, 0)}, "short.pem")
	long := cand(t, p, certgen.Spec{Subject: cn("long"), ExtKeyUsage: client, NotAfter: testNow.AddDate(2, 0, 0)}, "long.pem")
	long2 := cand(t, p, certgen.Spec{Subject: cn("long2"), ExtKeyUsage: client, NotAfter: testNow.AddDate(2, 0, 0)}, "long2.pem")
	server := cand(t, p, certgen.Spec{Subject: cn("server"), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, NotAfter: testNow.AddDate(9, 0, 0)}, "server.pem")
	rules := profile.CertificateMatch{ExtendedKeyUsage: []string{"ClientAuth"}}

	got, err := Select([]*ikev2.Credentials{expired, short, server, long, future, long2}, rules, testNow)
	if err != nil || got != long {
		t.Fatalf("want the longest valid match (long), got %v, %v", got, err)
	}

	noKey := &ikev2.Credentials{Chain: long.Chain, Source: "nokey.pem"}
	_, err = Select([]*ikev2.Credentials{expired, future, server, nil, {Source: "empty"}, noKey}, rules, testNow)
	var nm *NoMatchError
	if !errors.As(err, &nm) || len(nm.Rejections) != 6 {
		t.Fatalf("want 6 rejections, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"candidate 1 (old.pem, CN=old): expired on",
		"candidate 2 (future.pem, CN=future): not valid before",
		"candidate 3 (server.pem, CN=server): lacks extended key usage ClientAuth (has ServerAuth)",
		"candidate 4: no credentials",
		"candidate 5 (empty): no certificate",
		"candidate 6 (nokey.pem, CN=long): no private key",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if _, err := Select(nil, rules, testNow); err == nil || !strings.Contains(err.Error(), "no client certificate to choose from") {
		t.Errorf("no candidates: %v", err)
	}
}
