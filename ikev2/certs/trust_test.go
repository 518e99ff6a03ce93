package certs

import (
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
)

func mustUntrusted(t *testing.T, err error) *UntrustedError {
	t.Helper()
	if err == nil {
		t.Fatal("chain accepted, want refusal")
	}
	var ue *UntrustedError
	if !errors.As(err, &ue) {
		t.Fatalf("error %T %q is not an *UntrustedError", err, err)
	}
	return ue
}

func TestTrustedViaExtraCAWithIntermediate(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}})
	v, err := Verify(certgen.DER(leaf, p.inter), cfgFor("vpn.example.com", p.root))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Leaf.Equal(leaf) || v.ByPin || len(v.Chain) != 3 || !v.Chain[2].Equal(p.root) {
		t.Fatalf("unexpected result %+v", v)
	}
	got, err := VerifyServer(certgen.DER(leaf, p.inter), cfgFor("VPN.Example.com.", p.root))
	if err != nil || !got.Equal(leaf) {
		t.Fatalf("VerifyServer = %v, %v", got, err)
	}
}

func TestTrustedRSALeafDirectlyUnderRoot(t *testing.T) {
	p := newTestPKI(t)
	leaf := issue(t, p.rootCA, certgen.Spec{Subject: cn("gw"), DNSNames: []string{"gw.example.net"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, Key: testRSAKey(t, 1)}).Cert
	if _, err := VerifyServer(certgen.DER(leaf), cfgFor("gw.example.net", p.root)); err != nil {
		t.Fatal(err)
	}
}

func TestIntermediateMissing(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}})
	ue := mustUntrusted(t, func() error { _, err := VerifyServer(certgen.DER(leaf), cfgFor("vpn.example.com", p.root)); return err }())
	var uae x509.UnknownAuthorityError
	if !errors.As(ue, &uae) {
		t.Fatalf("want UnknownAuthorityError inside, got %v", ue.Err)
	}
}

func TestUnknownAuthorityMessage(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}})
	cfg := NewTrustConfig("vpn.example.com", testNow) // real system roots: the test CA is not there
	_, err := VerifyServer(certgen.DER(leaf, p.inter), cfg)
	ue := mustUntrusted(t, err)
	msg := err.Error()
	pin := PinOf(leaf)
	for _, want := range []string{
		`server certificate for "vpn.example.com" is not trusted`,
		"unknown authority",
		"subject CN=vpn.example.com",
		"issuer CN=Test Intermediate CA",
		pin,
		"to trust it, pass --servercert " + pin,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if ue.PinSHA256 != pin || ue.Subject != "CN=vpn.example.com" || ue.Issuer != "CN=Test Intermediate CA" ||
		!ue.NotAfter.Equal(leaf.NotAfter) || !ue.NotBefore.Equal(leaf.NotBefore) || ue.Host != "vpn.example.com" {
		t.Errorf("fields: %+v", ue)
	}
}

func TestSystemRootsUsed(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}})
	old := systemCertPool
	t.Cleanup(func() { systemCertPool = old })

	systemCertPool = func() (*x509.CertPool, error) {
		pool := x509.NewCertPool()
		pool.AddCert(p.root)
		return pool, nil
	}
	if _, err := VerifyServer(certgen.DER(leaf, p.inter), NewTrustConfig("vpn.example.com", testNow)); err != nil {
		t.Fatalf("with the root in the system pool: %v", err)
	}
	cfg := NewTrustConfig("vpn.example.com", testNow)
	cfg.SystemRoots = false
	mustUntrusted(t, func() error { _, err := VerifyServer(certgen.DER(leaf, p.inter), cfg); return err }())

	systemCertPool = func() (*x509.CertPool, error) { return nil, errors.New("no store") }
	_, err := VerifyServer(certgen.DER(leaf, p.inter), NewTrustConfig("vpn.example.com", testNow))
	if ue := mustUntrusted(t, err); !strings.Contains(ue.Reason, "system roots unavailable: no store") {
		t.Errorf("reason %q does not say the system roots failed", ue.Reason)
	}
}

func TestHostMismatchName(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}})
	_, err := VerifyServer(certgen.DER(leaf, p.inter), cfgFor("evil.example.com", p.root))
	ue := mustUntrusted(t, err)
	var he x509.HostnameError
	if !errors.As(ue, &he) || !strings.Contains(ue.Reason, "evil.example.com") {
		t.Fatalf("want a host name error, got %v", err)
	}
}

func TestHostWildcard(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"*.example.com"}})
	if _, err := VerifyServer(certgen.DER(leaf, p.inter), cfgFor("vpn.example.com", p.root)); err != nil {
		t.Fatalf("one-label wildcard: %v", err)
	}
	for _, h := range []string{"a.vpn.example.com", "example.com"} {
		if _, err := VerifyServer(certgen.DER(leaf, p.inter), cfgFor(h, p.root)); err == nil {
			t.Errorf("%s matched *.example.com", h)
		}
	}
}

func TestNoCommonNameFallback(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{Subject: cn("vpn.example.com")}) // CN only, no SAN
	mustUntrusted(t, func() error {
		_, err := VerifyServer(certgen.DER(leaf, p.inter), cfgFor("vpn.example.com", p.root))
		return err
	}())
}

func TestHostIP(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{
		DNSNames:    []string{"vpn.example.com", "192.0.2.20"},
		IPAddresses: []net.IP{net.ParseIP("192.0.2.10"), net.ParseIP("2001:db8::10")},
	})
	chain := certgen.DER(leaf, p.inter)
	for _, h := range []string{"192.0.2.10", "2001:db8::10", "[2001:db8::10]", "::ffff:192.0.2.10"} {
		if _, err := VerifyServer(chain, cfgFor(h, p.root)); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	// Another address, and an address that is only written as a DNS SAN.
	for _, h := range []string{"192.0.2.11", "192.0.2.20", "2001:db8::11"} {
		_, err := VerifyServer(chain, cfgFor(h, p.root))
		ue := mustUntrusted(t, err)
		if !strings.Contains(ue.Reason, "valid for 192.0.2.10, 2001:db8::10, not") {
			t.Errorf("%s: reason %q does not list the IP SANs", h, ue.Reason)
		}
	}
}

func TestExpiredAndNotYetValid(t *testing.T) {
	p := newTestPKI(t)
	expired, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}, NotBefore: testNow.AddDate(-2, 0, 0), NotAfter: testNow.AddDate(-1, 0, 0)})
	_, err := VerifyServer(certgen.DER(expired, p.inter), cfgFor("vpn.example.com", p.root))
	ue := mustUntrusted(t, err)
	var ie x509.CertificateInvalidError
	if !errors.As(ue, &ie) || ie.Reason != x509.Expired || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("want expiry, got %v", err)
	}
	future, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}, NotBefore: testNow.Add(time.Hour)})
	mustUntrusted(t, func() error {
		_, err := VerifyServer(certgen.DER(future, p.inter), cfgFor("vpn.example.com", p.root))
		return err
	}())
	// The same chain is fine once its time has come.
	cfg := cfgFor("vpn.example.com", p.root)
	cfg.Now = testNow.Add(2 * time.Hour)
	if _, err := VerifyServer(certgen.DER(future, p.inter), cfg); err != nil {
		t.Fatal(err)
	}
}

// selfSigned is like an ASA's default certificate: self-signed, CN only.
func selfSigned(t *testing.T) *x509.Certificate {
	return issue(t, nil, certgen.Spec{Subject: cn("ASA Temporary Self Signed Certificate")}).Cert
}

func TestPinMatchSelfSigned(t *testing.T) {
	leaf := selfSigned(t)
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	whole := sha256.Sum256(leaf.Raw)
	colons := strings.ToUpper(hex.EncodeToString(whole[:]))
	var b strings.Builder
	for i := 0; i < len(colons); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(colons[i : i+2])
	}
	for _, pin := range []string{
		PinOf(leaf),
		" " + strings.TrimRight(PinOf(leaf), "=") + " ",
		"PIN-SHA256:" + PinOf(leaf)[len(PinPrefix):],
		"sha256:" + hex.EncodeToString(spki[:]),
		"sha256:" + hex.EncodeToString(whole[:]),
		"SHA256:" + b.String(),
		FingerprintOf(leaf),
	} {
		cfg := cfgFor("vpn.example.com")
		cfg.SystemRoots = true
		cfg.Pins = []string{"pin-sha256:" + strings.Repeat("A", 43) + "=", pin}
		v, err := Verify(certgen.DER(leaf), cfg)
		if err != nil {
			t.Fatalf("pin %q: %v", pin, err)
		}
		if !v.ByPin || len(v.Overridden) == 0 {
			t.Fatalf("pin %q: want acceptance by pin with overridden problems, got %+v", pin, v)
		}
		joined := strings.Join(v.Overridden, "; ")
		if !strings.Contains(joined, "unknown authority") || !strings.Contains(joined, "vpn.example.com") {
			t.Errorf("overridden problems %q should name the unknown authority and the host mismatch", joined)
		}
	}
}

func TestPinMatchOverridesExpiry(t *testing.T) {
	leaf := issue(t, nil, certgen.Spec{Subject: cn("old"), NotAfter: testNow.AddDate(0, -1, 0), NotBefore: testNow.AddDate(-1, 0, 0)}).Cert
	cfg := cfgFor("192.0.2.1")
	cfg.Pins = []string{PinOf(leaf)}
	v, err := Verify(certgen.DER(leaf), cfg)
	if err != nil || !v.ByPin || !strings.Contains(strings.Join(v.Overridden, ";"), "expired") {
		t.Fatalf("got %+v, %v", v, err)
	}
}

func TestPinMismatch(t *testing.T) {
	leaf := selfSigned(t)
	other := selfSigned(t)
	cfg := cfgFor("vpn.example.com")
	cfg.Pins = []string{PinOf(other)}
	_, err := VerifyServer(certgen.DER(leaf), cfg)
	ue := mustUntrusted(t, err)
	if !strings.Contains(ue.Reason, "not among the 1 pinned key(s)") || ue.PinSHA256 != PinOf(leaf) {
		t.Fatalf("reason %q, pin %q", ue.Reason, ue.PinSHA256)
	}
	if !strings.Contains(err.Error(), PinOf(leaf)) || strings.Contains(err.Error(), PinOf(other)) {
		t.Errorf("message should show the server's pin, not the configured one: %s", err)
	}
}

func TestPinsRestrictTrustedChain(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}})
	chain := certgen.DER(leaf, p.inter)

	cfg := cfgFor("vpn.example.com", p.root)
	cfg.Pins = []string{PinOf(selfSigned(t))}
	_, err := VerifyServer(chain, cfg)
	if ue := mustUntrusted(t, err); !strings.Contains(ue.Reason, "no certificate of the verified chain matches") {
		t.Fatalf("reason %q", ue.Reason)
	}
	// A pin on the root or the intermediate is met.
	for _, c := range []*x509.Certificate{p.root, p.inter} {
		cfg.Pins = []string{PinOf(c)}
		v, err := Verify(chain, cfg)
		if err != nil || v.ByPin {
			t.Fatalf("pin of %s: %+v, %v", c.Subject, v, err)
		}
	}
}

func TestPinnedReceivedIntermediateIsAnchor(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}})
	cfg := cfgFor("vpn.example.com") // no CA at all
	cfg.Pins = []string{PinOf(p.inter)}
	v, err := Verify(certgen.DER(leaf, p.inter), cfg)
	if err != nil || v.ByPin || len(v.Chain) != 2 {
		t.Fatalf("got %+v, %v", v, err)
	}
	// Still checked as PKIX: host and validity.
	cfg.Host = "other.example.com"
	mustUntrusted(t, func() error { _, err := VerifyServer(certgen.DER(leaf, p.inter), cfg); return err }())
}

func TestBadPinFormat(t *testing.T) {
	leaf := selfSigned(t)
	for _, pin := range []string{
		"", "abc", "sha1:0123456789abcdef0123456789abcdef01234567",
		"pin-sha256:abc", "pin-sha256:!!!!", "sha256:zz",
		"sha256:" + strings.Repeat("ab", 31), "pin-sha1:" + PinOf(leaf)[len(PinPrefix):],
		PinOf(leaf)[len(PinPrefix):],
	} {
		cfg := cfgFor("vpn.example.com")
		cfg.Pins = []string{PinOf(leaf), pin}
		_, err := VerifyServer(certgen.DER(leaf), cfg)
		if !errors.Is(err, ErrInvalidPin) {
			t.Errorf("pin %q: want ErrInvalidPin, got %v", pin, err)
			continue
		}
		var ue *UntrustedError
		if errors.As(err, &ue) {
			t.Errorf("pin %q: a bad pin is a configuration error, not an UntrustedError", pin)
		}
		if !strings.Contains(err.Error(), "pin-sha256:<base64") {
			t.Errorf("pin %q: message does not show the accepted form: %v", pin, err)
		}
	}
}

func TestServerEKU(t *testing.T) {
	p := newTestPKI(t)
	ipsecIKE := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 17}
	ikeInter := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 8, 2, 2}
	good := map[string]certgen.Spec{
		"no EKU":           {ExtKeyUsage: []x509.ExtKeyUsage{}},
		"any":              {ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}},
		"serverAuth":       {ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		"ipsecIKE":         {UnknownExtKeyUsage: []asn1.ObjectIdentifier{ipsecIKE}},
		"IKE intermediate": {UnknownExtKeyUsage: []asn1.ObjectIdentifier{ikeInter}},
	}
	for name, spec := range good {
		spec.DNSNames = []string{"vpn.example.com"}
		leaf, _ := p.leaf(t, spec)
		if _, err := VerifyServer(certgen.DER(leaf, p.inter), cfgFor("vpn.example.com", p.root)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	_, err := VerifyServer(certgen.DER(bad, p.inter), cfgFor("vpn.example.com", p.root))
	if ue := mustUntrusted(t, err); !strings.Contains(ue.Reason, "ClientAuth") || !strings.Contains(ue.Reason, "allows none of ServerAuth") {
		t.Errorf("reason %q", ue.Reason)
	}

	// An intermediate restricted to clientAuth cannot issue headend certificates.
	clientCA := issue(t, p.rootCA, certgen.Spec{Subject: cn("Client CA"), CA: true, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	leaf := issue(t, clientCA, certgen.Spec{Subject: cn("vpn"), DNSNames: []string{"vpn.example.com"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}).Cert
	_, err = VerifyServer(certgen.DER(leaf, clientCA.Cert), cfgFor("vpn.example.com", p.root))
	if ue := mustUntrusted(t, err); !strings.Contains(ue.Reason, "CA certificate CN=Client CA") {
		t.Errorf("reason %q", ue.Reason)
	}
}

func TestConfigErrors(t *testing.T) {
	leaf := selfSigned(t)
	for name, cfg := range map[string]TrustConfig{
		"zero time":  {Host: "vpn.example.com", Pins: []string{PinOf(leaf)}},
		"no host":    {Now: testNow, Pins: []string{PinOf(leaf)}},
		"port":       {Now: testNow, Host: "vpn.example.com:443", Pins: []string{PinOf(leaf)}},
		"url":        {Now: testNow, Host: "https://vpn.example.com", Pins: []string{PinOf(leaf)}},
		"missing CA": {Now: testNow, Host: "vpn.example.com", ExtraCAFile: filepath.Join(t.TempDir(), "none.pem")},
	} {
		_, err := VerifyServer(certgen.DER(leaf), cfg)
		var ue *UntrustedError
		if err == nil || errors.As(err, &ue) {
			t.Errorf("%s: want a configuration error, got %v", name, err)
		}
	}
}

func TestMalformedChains(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}})
	cfg := cfgFor("vpn.example.com", p.root)

	ue := mustUntrusted(t, func() error { _, err := VerifyServer(nil, cfg); return err }())
	if !strings.Contains(ue.Reason, "no certificate") {
		t.Errorf("empty chain: %q", ue.Reason)
	}
	mustUntrusted(t, func() error { _, err := VerifyServer([][]byte{{0x30, 0x03, 0x02, 0x01}}, cfg); return err }())
	long := make([][]byte, MaxChainCerts+1)
	for i := range long {
		long[i] = leaf.Raw
	}
	mustUntrusted(t, func() error { _, err := VerifyServer(long, cfg); return err }())

	// A broken extra certificate is left out; the chain still verifies.
	v, err := Verify([][]byte{leaf.Raw, []byte("junk"), p.inter.Raw}, cfg)
	if err != nil || len(v.Ignored) != 1 || !strings.Contains(v.Ignored[0], "certificate 2") {
		t.Fatalf("got %+v, %v", v, err)
	}
}

func TestMessageSanitized(t *testing.T) {
	leaf := issue(t, nil, certgen.Spec{Subject: pkix.Name{CommonName: "evil\x1b[31m\nFAKE LOG LINE"}}).Cert
	_, err := VerifyServer(certgen.DER(leaf), cfgFor("vpn.example.com"))
	if err == nil {
		t.Fatal("accepted")
	}
	if strings.ContainsAny(err.Error(), "\x1b\n") {
		t.Fatalf("control characters reach the message: %q", err.Error())
	}
	if !strings.Contains(err.Error(), `evil\u001b[31m\u000aFAKE`) {
		t.Errorf("escaped subject missing: %s", err)
	}
}

func TestExtraCAFile(t *testing.T) {
	p := newTestPKI(t)
	leaf, _ := p.leaf(t, certgen.Spec{DNSNames: []string{"vpn.example.com"}})
	dir := t.TempDir()
	pemFile := filepath.Join(dir, "ca.pem")
	data := append([]byte("junk before\n"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.root.Raw})...)
	if err := os.WriteFile(pemFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	derFile := filepath.Join(dir, "ca.der")
	if err := os.WriteFile(derFile, p.root.Raw, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{pemFile, derFile} {
		cfg := TrustConfig{Host: "vpn.example.com", Now: testNow, ExtraCAFile: f}
		if _, err := VerifyServer(certgen.DER(leaf, p.inter), cfg); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("-----BEGIN NOTHING-----\n-----END NOTHING-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCAFile(empty); err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty CA file: %v", err)
	}
}

func TestPinOf(t *testing.T) {
	if PinOf(nil) != "" || FingerprintOf(nil) != "" {
		t.Error("nil certificate")
	}
	leaf := selfSigned(t)
	p, err := ParsePin(PinOf(leaf))
	if err != nil || !p.Matches(leaf) || p.Matches(selfSigned(t)) || p.String() != PinOf(leaf) {
		t.Fatalf("round trip: %v", err)
	}
	if (Pin{}).Matches(leaf) {
		t.Error("zero Pin matched")
	}
	// A pin-sha256 value does not match the whole-certificate hash.
	whole := sha256.Sum256(leaf.Raw)
	wp, err := ParsePin("pin-sha256:" + encodeStd(whole[:]))
	if err != nil || wp.Matches(leaf) {
		t.Errorf("pin-sha256 of the whole certificate must not match: %v", err)
	}
}

func encodeStd(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
