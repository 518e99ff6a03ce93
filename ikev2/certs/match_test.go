package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"
	"time"
)

// cand makes candidate credentials for spec under the test intermediate.
func cand(t *testing.T, p *testPKI, spec certSpec, source string) *ClientCredentials {
	t.Helper()
	k := testECKey(t)
	c := issue(t, spec, k, p.inter, p.interKey)
	return &ClientCredentials{Chain: []*x509.Certificate{c, p.inter}, Signer: k, Source: source}
}

var (
	oidSmartcard = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}
	oidCustom    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
	oidIKEInter  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 8, 2, 2}
)

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
	c := cand(t, p, certSpec{
		subject:    subject,
		ku:         x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		eku:        []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageIPSECUser},
		unknownEKU: []asn1.ObjectIdentifier{oidSmartcard, oidCustom, oidIKEInter},
	}, "alice.p12")
	leaf := c.Chain[0]

	ci := func(name, pattern string) DNRule { r := NewDNRule(name, pattern); r.MatchCase = false; return r }
	wild := func(name, pattern string) DNRule { r := NewDNRule(name, pattern); r.Wildcard = true; return r }
	not := func(r DNRule) DNRule { r.Operator = NotEqual; return r }

	pass := map[string]MatchRules{
		"empty":         {},
		"KU one":        {KeyUsage: []string{"Digital_Signature"}},
		"KU two":        {KeyUsage: []string{"Digital_Signature", "key_encipherment"}},
		"EKU names":     {ExtendedKeyUsage: []string{"ClientAuth", "IPSecUser", "SmartcardLogon", "IKEIntermediate"}},
		"EKU as OID":    {ExtendedKeyUsage: []string{"1.3.6.1.5.5.7.3.2"}},
		"custom EKU":    {CustomExtendedKeyUsage: []string{"1.3.6.1.4.1.99999.1"}},
		"CN exact":      {DistinguishedName: []DNRule{NewDNRule("CN", "Alice Example")}},
		"CN nocase":     {DistinguishedName: []DNRule{ci("cn", "alice example")}},
		"CN wildcard":   {DistinguishedName: []DNRule{wild("CN", "ice Ex")}},
		"OU second":     {DistinguishedName: []DNRule{NewDNRule("OU", "VPN Users")}},
		"DC one of":     {DistinguishedName: []DNRule{NewDNRule("DC", "example")}},
		"SN surname":    {DistinguishedName: []DNRule{NewDNRule("SN", "Example")}},
		"GN T EA":       {DistinguishedName: []DNRule{NewDNRule("GN", "Alice"), NewDNRule("T", "Engineer"), wild("EA", "@corp.example")}},
		"C L ST SP O":   {DistinguishedName: []DNRule{NewDNRule("C", "DE"), NewDNRule("L", "Munich"), NewDNRule("ST", "Bavaria"), NewDNRule("SP", "Bavaria"), NewDNRule("O", "Example Corp")}},
		"issuer CN":     {DistinguishedName: []DNRule{NewDNRule("ISSUER-CN", "Test Intermediate CA")}},
		"issuer wild":   {DistinguishedName: []DNRule{wild("issuer-cn", "Intermediate")}},
		"whole DN":      {DistinguishedName: []DNRule{wild("DN", "OU=VPN Users")}},
		"not equal":     {DistinguishedName: []DNRule{not(NewDNRule("OU", "Sales"))}},
		"not absent":    {DistinguishedName: []DNRule{not(NewDNRule("I", "AE"))}},
		"not case-sens": {DistinguishedName: []DNRule{not(NewDNRule("CN", "alice example"))}},
		"all kinds": {
			KeyUsage:               []string{"Digital_Signature"},
			ExtendedKeyUsage:       []string{"ClientAuth"},
			CustomExtendedKeyUsage: []string{"1.3.6.1.4.1.99999.1"},
			DistinguishedName:      []DNRule{NewDNRule("CN", "Alice Example"), not(NewDNRule("ISSUER-CN", "Evil CA"))},
		},
	}
	for name, rules := range pass {
		why, err := Check(leaf, rules, testNow)
		if err != nil || why != nil {
			t.Errorf("%s: want a match, got %v %v", name, why, err)
		}
		if got, err := Select([]*ClientCredentials{c}, rules, testNow); err != nil || got != c {
			t.Errorf("%s: Select = %v, %v", name, got, err)
		}
	}

	fail := map[string]struct {
		rules MatchRules
		says  string
	}{
		"KU missing":     {MatchRules{KeyUsage: []string{"Digital_Signature", "Non_Repudiation"}}, "lacks key usage Non_Repudiation"},
		"KU cert sign":   {MatchRules{KeyUsage: []string{"Key_Cert_Sign"}}, "lacks key usage Key_Cert_Sign"},
		"EKU missing":    {MatchRules{ExtendedKeyUsage: []string{"ClientAuth", "ServerAuth"}}, "lacks extended key usage ServerAuth"},
		"EKU DVCS":       {MatchRules{ExtendedKeyUsage: []string{"DVCS"}}, "lacks extended key usage DVCS"},
		"custom missing": {MatchRules{CustomExtendedKeyUsage: []string{"1.2.3.4"}}, "lacks extended key usage 1.2.3.4"},
		"CN differs":     {MatchRules{DistinguishedName: []DNRule{NewDNRule("CN", "Bob")}}, `CN must equal "Bob" (it is "Alice Example")`},
		"CN case":        {MatchRules{DistinguishedName: []DNRule{NewDNRule("CN", "alice example")}}, "CN must equal"},
		"CN partial":     {MatchRules{DistinguishedName: []DNRule{NewDNRule("CN", "Alice")}}, "CN must equal"},
		"wild case":      {MatchRules{DistinguishedName: []DNRule{wild("CN", "ALICE")}}, "CN must contain"},
		"absent attr":    {MatchRules{DistinguishedName: []DNRule{NewDNRule("GENQ", "Jr.")}}, "(it is absent)"},
		"not equal":      {MatchRules{DistinguishedName: []DNRule{not(NewDNRule("OU", "VPN Users"))}}, `OU must not equal "VPN Users"`},
		"not wild":       {MatchRules{DistinguishedName: []DNRule{not(wild("ISSUER-CN", "Test"))}}, "ISSUER-CN must not contain"},
		"issuer O":       {MatchRules{DistinguishedName: []DNRule{NewDNRule("ISSUER-O", "Example Corp")}}, "ISSUER-O must equal"},
	}
	for name, tc := range fail {
		why, err := Check(leaf, tc.rules, testNow)
		if err != nil || len(why) == 0 || !strings.Contains(strings.Join(why, "; "), tc.says) {
			t.Errorf("%s: want refusal saying %q, got %v, %v", name, tc.says, why, err)
		}
		_, err = Select([]*ClientCredentials{c}, tc.rules, testNow)
		var nm *NoMatchError
		if !errors.As(err, &nm) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "alice.p12") {
			t.Errorf("%s: Select error %v", name, err)
		}
	}
}

func TestMatchMissingExtensions(t *testing.T) {
	p := newTestPKI(t)
	bare := issue(t, certSpec{subject: cn("bare")}, testECKey(t), p.inter, p.interKey) // no KU, no EKU
	why, err := Check(bare, MatchRules{KeyUsage: []string{"Digital_Signature"}, ExtendedKeyUsage: []string{"ClientAuth"}}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(why, "; ")
	if !strings.Contains(joined, "no key usage extension") || !strings.Contains(joined, "no extended key usage extension") {
		t.Errorf("got %q", joined)
	}
	// anyExtendedKeyUsage does not stand for a named EKU.
	anyEKU := issue(t, certSpec{subject: cn("any"), eku: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}, testECKey(t), p.inter, p.interKey)
	if why, _ := Check(anyEKU, MatchRules{ExtendedKeyUsage: []string{"ClientAuth"}}, testNow); len(why) == 0 {
		t.Error("anyExtendedKeyUsage matched ClientAuth")
	}
}

func TestMatchBadRules(t *testing.T) {
	for name, rules := range map[string]MatchRules{
		"KU name":      {KeyUsage: []string{"DigitalSignature"}},
		"EKU name":     {ExtendedKeyUsage: []string{"WebServer"}},
		"EKU OID":      {ExtendedKeyUsage: []string{"1.3..6"}},
		"custom OID":   {CustomExtendedKeyUsage: []string{"clientAuth"}},
		"custom arc":   {CustomExtendedKeyUsage: []string{"3.1"}},
		"DN name":      {DistinguishedName: []DNRule{NewDNRule("UID", "x")}},
		"DN pattern":   {DistinguishedName: []DNRule{NewDNRule("CN", "")}},
		"DN operator":  {DistinguishedName: []DNRule{{Name: "CN", Pattern: "x", Operator: 7}}},
		"ISSUER- only": {DistinguishedName: []DNRule{NewDNRule("ISSUER-", "x")}},
	} {
		if err := rules.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := Select(nil, rules, testNow); err == nil {
			t.Errorf("%s: Select accepted", name)
		} else if _, ok := err.(*NoMatchError); ok {
			t.Errorf("%s: a bad rule must not look like no match: %v", name, err)
		}
	}
	if _, err := Select(nil, MatchRules{}, time.Time{}); err == nil {
		t.Error("zero time accepted")
	}
}

func TestParseOperator(t *testing.T) {
	for in, want := range map[string]Operator{"": Equal, "Equal": Equal, "notequal": NotEqual, "NotEqual": NotEqual} {
		if got, err := ParseOperator(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseOperator("Contains"); err == nil {
		t.Error("Contains accepted")
	}
}

func TestSelect(t *testing.T) {
	p := newTestPKI(t)
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	expired := cand(t, p, certSpec{subject: cn("old"), eku: client, notBefore: testNow.AddDate(-2, 0, 0), notAfter: testNow.AddDate(-1, 0, 0)}, "old.pem")
	future := cand(t, p, certSpec{subject: cn("future"), eku: client, notBefore: testNow.Add(time.Hour), notAfter: testNow.AddDate(5, 0, 0)}, "future.pem")
	short := cand(t, p, certSpec{subject: cn("short"), eku: client, notAfter: testNow.AddDate(0, 1, 0)}, "short.pem")
	long := cand(t, p, certSpec{subject: cn("long"), eku: client, notAfter: testNow.AddDate(2, 0, 0)}, "long.pem")
	long2 := cand(t, p, certSpec{subject: cn("long2"), eku: client, notAfter: testNow.AddDate(2, 0, 0)}, "long2.pem")
	server := cand(t, p, certSpec{subject: cn("server"), eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, notAfter: testNow.AddDate(9, 0, 0)}, "server.pem")
	rules := MatchRules{ExtendedKeyUsage: []string{"ClientAuth"}}

	got, err := Select([]*ClientCredentials{expired, short, server, long, future, long2}, rules, testNow)
	if err != nil || got != long {
		t.Fatalf("want the longest valid match (long), got %v, %v", got, err)
	}

	noKey := &ClientCredentials{Chain: long.Chain, Source: "nokey.pem"}
	_, err = Select([]*ClientCredentials{expired, future, server, nil, {Source: "empty"}, noKey}, rules, testNow)
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
