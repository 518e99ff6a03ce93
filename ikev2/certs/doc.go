// Package certs decides whether to trust the certificate chain a headend
// sends in its CERT payloads, loads the client's own certificate and key
// (PEM or PKCS#12), and picks a client certificate by the AnyConnect
// profile's CertificateMatch rules.
//
// The package is pure: it does no network I/O and reads no clock. Callers
// pass the current time (TrustConfig.Now, the now argument of Select). It
// reads files only where a function takes a path (LoadCredentials,
// LoadCAFile, TrustConfig.ExtraCAFile) and, when TrustConfig.SystemRoots is
// set, the operating system's root store.
//
// # Server trust rules
//
// There is no accept-any mode. VerifyServer accepts a chain only in one of
// these two ways.
//
// 1. PKIX. The leaf (the first certificate received) chains, through the
// other received certificates, to a trust anchor: the system roots (when
// SystemRoots is set), the extra CAs, or a received certificate whose key is
// pinned (see below). Every certificate on the chain must be valid at Now.
// The leaf must match Host: a DNS name is compared with the DNS SANs
// (wildcards as crypto/x509 allows them: one leftmost label), an IP address
// with the IP SANs only. The subject CN is never used for the match. The
// chain must allow one of the extended key usages in ServerEKUs: a
// certificate with no EKU extension, or with anyExtendedKeyUsage, allows
// all. If Pins is not empty, a certificate of the verified chain (leaf,
// intermediate or root) must also match one of the pins: pins then restrict,
// never widen, what the CAs allow, except as in 2.
//
// 2. Leaf pin. If the leaf itself matches one of the Pins, the user has said
// "this is the server's key" (OpenConnect's --servercert), and the chain is
// accepted whatever else is wrong with it: unknown or self-signed issuer,
// expiry, EKU, and host mismatch. The host mismatch is overridden on
// purpose: the certificates that need pinning are mostly self-signed
// headend certificates (an ASA's default one has a CN and no SAN), which
// would never match a host name without a CN fallback. Verified.Overridden
// tells what the pin overrode so that the caller can log it.
//
// A pin on a CA key that the server sends (an intermediate, or its own
// root) makes that certificate a trust anchor for this one verification:
// the chain is then checked as in 1, host, validity and EKU included.
//
// # Pins
//
// Two forms are accepted (the prefix case-insensitively, white space around
// the value ignored):
//
//   - "pin-sha256:" + the standard base64 (padded or not) of the SHA-256 of
//     the certificate's DER SubjectPublicKeyInfo. This is what PinOf returns
//     and what error messages print; the same form as OpenConnect's
//     --servercert and HPKP.
//   - "sha256:" + 64 hex digits, colons allowed between them ("AB:CD:..."),
//     either case. It matches either the SHA-256 of the whole DER
//     certificate (its fingerprint, as "openssl x509 -noout -fingerprint
//     -sha256" prints it and as OpenConnect reads "sha256:") or the SHA-256
//     of the SubjectPublicKeyInfo written in hex. Both are SHA-256 images of
//     parts of the same certificate, so accepting either adds no way to
//     forge a match.
//
// SHA-1 fingerprints and prefixes of a hash (which OpenConnect accepts) are
// refused: a pin must be the full SHA-256.
//
// # Extended key usage of the server certificate
//
// Real headends use: ASA and IOS, a TLS server certificate with serverAuth
// (Cisco's IKEv2 remote access guides require it), or a self-signed one with
// no EKU; Windows and macOS IKEv2 clients want serverAuth and/or "IP
// security IKE intermediate" (1.3.6.1.5.5.8.2.2) on the server; RFC 4945
// names id-kp-ipsecIKE (1.3.6.1.5.5.7.3.17); strongSwan test certificates
// often have no EKU. ServerEKUs accepts exactly those. A certificate whose
// EKUs are only, say, clientAuth is refused: in a company whose CA issues
// both client and headend certificates, a user's certificate must not pass
// as a headend.
package certs
