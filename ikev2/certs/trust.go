package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"
)

// ServerCertFlag is the command-line option that UntrustedError suggests
// for trusting a key; the CLI must use this name.
const ServerCertFlag = "--servercert"

// MaxChainCerts bounds how many certificates VerifyServer takes from one
// peer. Real headends send 1 to 4.
const MaxChainCerts = 16

// systemCertPool is x509.SystemCertPool; tests replace it.
var systemCertPool = x509.SystemCertPool

// TrustConfig says what server certificate chains to accept. Make one with
// NewTrustConfig, which turns SystemRoots on.
type TrustConfig struct {
	// SystemRoots adds the operating system's trusted roots.
	SystemRoots bool
	// ExtraCAFile names a PEM (or DER) file of CA certificates to trust
	// besides the system roots. It is read on every verification.
	ExtraCAFile string
	// ExtraCAs are more CA certificates to trust.
	ExtraCAs []*x509.Certificate
	// Pins are "pin-sha256:<base64>" or "sha256:<hex>" strings; see the
	// package documentation for what a pin does.
	Pins []string
	// Host is what the user asked to connect to: a DNS name or an IP
	// address (IPv6 with or without brackets), without a port.
	Host string
	// Now is the time at which certificates must be valid. It must be set.
	Now time.Time
}

// NewTrustConfig returns a TrustConfig for host at time now that trusts the
// system roots.
func NewTrustConfig(host string, now time.Time) TrustConfig {
	return TrustConfig{SystemRoots: true, Host: host, Now: now}
}

// Verified describes an accepted chain.
type Verified struct {
	// Leaf is the server's certificate: its key must sign the AUTH payload.
	Leaf *x509.Certificate
	// Chain is the verified chain, leaf first and trust anchor last; when
	// the chain was accepted by a leaf pin alone, the certificates received.
	Chain []*x509.Certificate
	// ByPin is true when the leaf's key matched a pin, and so the chain was
	// accepted whatever else was wrong with it.
	ByPin bool
	// Overridden lists the problems a leaf pin overrode (empty when the
	// chain would have passed anyway). Callers should log them.
	Overridden []string
	// Ignored lists received certificates other than the leaf that could
	// not be parsed and were left out.
	Ignored []string
}

// UntrustedError says why a server chain was refused, with what a user
// needs to decide whether to trust its key.
type UntrustedError struct {
	Host      string    // as in TrustConfig.Host
	Reason    string    // every problem found, "; "-separated
	Subject   string    // the leaf's subject (RFC 4514 form), "" if no leaf parsed
	Issuer    string    // the leaf's issuer
	PinSHA256 string    // PinOf(leaf): "pin-sha256:..."
	NotBefore time.Time // the leaf's validity
	NotAfter  time.Time
	Err       error // the first underlying error (often an x509 error type), may be nil
}

func (e *UntrustedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server certificate for %q is not trusted: %s", printable(e.Host), e.Reason)
	if e.PinSHA256 != "" {
		fmt.Fprintf(&b, " (subject %s, issuer %s, valid %s to %s, %s); to trust it, pass %s %s",
			orNone(e.Subject), orNone(e.Issuer),
			e.NotBefore.UTC().Format(time.RFC3339), e.NotAfter.UTC().Format(time.RFC3339),
			e.PinSHA256, ServerCertFlag, e.PinSHA256)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *UntrustedError) Unwrap() error { return e.Err }

func orNone(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// VerifyServer decides whether to trust the chain of DER certificates that
// a headend sent (leaf first) under cfg, and returns the leaf. A refused
// chain gives an *UntrustedError; a mistake in cfg gives another error.
func VerifyServer(chain [][]byte, cfg TrustConfig) (*x509.Certificate, error) {
	v, err := Verify(chain, cfg)
	if err != nil {
		return nil, err
	}
	return v.Leaf, nil
}

// Verify is VerifyServer with the details of the decision.
func Verify(chain [][]byte, cfg TrustConfig) (*Verified, error) {
	if cfg.Now.IsZero() {
		return nil, errors.New("certs: TrustConfig.Now is not set: pass the current time")
	}
	host, err := normalizeHost(cfg.Host)
	if err != nil {
		return nil, err
	}
	pins, err := ParsePins(cfg.Pins)
	if err != nil {
		return nil, err
	}
	extra := make([]*x509.Certificate, 0, len(cfg.ExtraCAs))
	for _, c := range cfg.ExtraCAs {
		if c != nil {
			extra = append(extra, c)
		}
	}
	if cfg.ExtraCAFile != "" {
		fromFile, err := LoadCAFile(cfg.ExtraCAFile)
		if err != nil {
			return nil, err
		}
		extra = append(extra, fromFile...)
	}

	untrusted := func(reason string, cause error) *UntrustedError {
		return &UntrustedError{Host: cfg.Host, Reason: printable(reason), Err: cause}
	}
	if len(chain) == 0 {
		return nil, untrusted("the server sent no certificate", nil)
	}
	if len(chain) > MaxChainCerts {
		return nil, untrusted(fmt.Sprintf("the server sent %d certificates, more than the %d accepted", len(chain), MaxChainCerts), nil)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, untrusted("cannot parse the server certificate: "+err.Error(), err)
	}
	v := &Verified{Leaf: leaf}
	received := []*x509.Certificate{leaf}
	for i, der := range chain[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			// A broken extra certificate can only make verification
			// fail; leaving it out keeps a good leaf usable.
			v.Ignored = append(v.Ignored, fmt.Sprintf("certificate %d of the chain: %v", i+2, err))
			continue
		}
		received = append(received, c)
	}

	var problems []string
	var cause error
	problem := func(s string, err error) {
		problems = append(problems, s)
		if cause == nil {
			cause = err
		}
	}

	// PKIX path.
	roots := x509.NewCertPool()
	var sysErr error
	if cfg.SystemRoots {
		sys, err := systemCertPool()
		switch {
		case err != nil:
			sysErr = err
		case sys == nil:
			sysErr = errors.New("none found")
		default:
			roots = sys
		}
	}
	for _, c := range extra {
		roots.AddCert(c)
	}
	intermediates := x509.NewCertPool()
	for _, c := range received[1:] {
		intermediates.AddCert(c)
		if anyPinMatches(pins, c) {
			roots.AddCert(c)
		}
	}
	chains, verr := leaf.Verify(x509.VerifyOptions{
		Intermediates: intermediates,
		Roots:         roots,
		CurrentTime:   cfg.Now,
		// EKUs are checked below, against ServerEKUs, which crypto/x509
		// cannot express.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if verr != nil {
		problem(verr.Error(), verr)
	}
	if err := leaf.VerifyHostname(host); err != nil {
		problem(err.Error(), err)
	}
	if verr == nil && len(problems) == 0 {
		var ekuWhy, pinWhy string
		for _, ch := range chains {
			if why := checkServerEKU(ch); why != "" {
				ekuWhy = why
				continue
			}
			if len(pins) > 0 && !chainPinned(ch, pins) {
				pinWhy = fmt.Sprintf("no certificate of the verified chain matches the %d pinned key(s)", len(pins))
				continue
			}
			v.Chain = ch
			break
		}
		switch {
		case v.Chain != nil:
		case ekuWhy != "":
			problem(ekuWhy, nil)
		default:
			problem(pinWhy, nil)
		}
	} else if why := checkServerEKU([]*x509.Certificate{leaf}); why != "" {
		problem(why, nil)
	}

	if len(problems) == 0 {
		return v, nil
	}
	if anyPinMatches(pins, leaf) {
		v.ByPin = true
		v.Chain = received
		for _, p := range problems {
			v.Overridden = append(v.Overridden, printable(p))
		}
		return v, nil
	}
	if len(pins) > 0 && verr != nil {
		problem(fmt.Sprintf("the server's key is not among the %d pinned key(s)", len(pins)), nil)
	}
	if sysErr != nil {
		problems = append(problems, fmt.Sprintf("system roots unavailable: %v", sysErr))
	}
	for _, s := range v.Ignored {
		problems = append(problems, "ignored "+s)
	}
	e := untrusted(strings.Join(problems, "; "), cause)
	e.Subject = printable(leaf.Subject.String())
	e.Issuer = printable(leaf.Issuer.String())
	e.PinSHA256 = PinOf(leaf)
	e.NotBefore = leaf.NotBefore
	e.NotAfter = leaf.NotAfter
	return nil, e
}

func chainPinned(chain []*x509.Certificate, pins []Pin) bool {
	for _, c := range chain {
		if anyPinMatches(pins, c) {
			return true
		}
	}
	return false
}

// normalizeHost checks TrustConfig.Host and returns it as VerifyHostname
// wants it: an IP address in its canonical text, or the DNS name.
func normalizeHost(h string) (string, error) {
	t := strings.TrimSpace(h)
	if t == "" {
		return "", errors.New("certs: TrustConfig.Host is empty: name the server (DNS name or IP address) the user asked for")
	}
	if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
		t = t[1 : len(t)-1]
	}
	if a, err := netip.ParseAddr(t); err == nil {
		return a.WithZone("").Unmap().String(), nil
	}
	if _, _, err := net.SplitHostPort(t); err == nil {
		return "", fmt.Errorf("certs: TrustConfig.Host %q has a port: give the name or address alone", printable(h))
	}
	for _, r := range t {
		if r <= ' ' || r == '/' || r == '[' || r == ']' || r == ':' || r == 0x7f {
			return "", fmt.Errorf("certs: TrustConfig.Host %q is neither a DNS name nor an IP address", printable(h))
		}
	}
	return t, nil
}

// LoadCAFile reads CA certificates from a PEM file (every CERTIFICATE
// block) or a file holding DER certificates.
func LoadCAFile(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("certs: CA file: %w", err)
	}
	certs, err := parseCertsAnyEncoding(data)
	if err != nil {
		return nil, fmt.Errorf("certs: CA file %s: %w", path, err)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("certs: CA file %s holds no certificate", path)
	}
	return certs, nil
}

// parseCertsAnyEncoding reads every CERTIFICATE block of PEM data, or DER
// certificates when the data is not PEM.
func parseCertsAnyEncoding(data []byte) ([]*x509.Certificate, error) {
	if !isPEM(data) {
		certs, err := x509.ParseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("neither PEM nor DER certificates: %w", err)
		}
		return certs, nil
	}
	var out []*x509.Certificate
	rest := data
	for n := 1; ; n++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (%s): %w", n, b.Type, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func isPEM(data []byte) bool {
	return bytes.Contains(data, []byte("-----BEGIN "))
}
