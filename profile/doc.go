// Package profile reads, validates and discovers AnyConnect XML client
// profiles, including those deployed by MDM into the standard folders, and
// resolves the host a user selects into a Target for the connection code.
//
// # Parsing
//
// Parse and ParseFile read one profile (github.com/beevik/etree, with line
// numbers from a first encoding/xml pass). The root must be
// <AnyConnectProfile> in the namespace http://schemas.xmlsoap.org/encoding/.
// Every real profile declares it; a profile with no namespace at all is
// accepted with a warning (hand-written profiles forget it and nothing is
// ambiguous), while a different namespace is an error. Child elements are
// matched in the root's namespace.
//
// Schema defaults apply where an element is absent or empty. Values are
// matched case-insensitively and surrounding whitespace is ignored. Elements
// the package does not interpret, including those of newer AnyConnect and
// Secure Client versions, are kept in Profile.Ignored and never cause a
// problem; but an unknown value in an element the client acts on is an
// error, since guessing could connect differently from what the
// administrator meant.
//
// Problems carry file, line and element path, for example
//
//	corp.xml:14: /AnyConnectProfile/ServerList/HostEntry[2]/PrimaryProtocol/StandardAuthenticationOnly/AuthMethodDuringIKENegotiation: unknown value "EAP-FOO" (want one of EAP-AnyConnect, EAP-MD5, EAP-MSCHAPv2, EAP-GTC, IKE-RSA, IKE-ECDSA)
//
// and all problems of a file are returned at once. Errors: malformed XML,
// wrong root or namespace, missing or empty ServerList, HostEntry without
// HostName, an address that does not parse, a HostName that appears twice in
// one file (case-insensitively: an ambiguous name could connect the user to
// the wrong headend, so this is an error, not a warning), a repeated
// single-valued element, unknown values and out-of-range numbers
// (AuthenticationTimeout 10 to 120 seconds). Warnings: missing namespace,
// AuthMethodDuringIKENegotiation or IKEIdentity given while
// StandardAuthenticationOnly is false (the method is then EAP-AnyConnect),
// pins that are not a SHA-512 hash in hex or base64, StandardAuthenticationOnly
// in an SSL entry, an SSL entry whose HostName is not an address and which has
// no HostAddress, and a bad backup or load-balancing address in an SSL entry
// (dropped).
//
// CertificatePinList (per HostEntry) and CertificatePinning/CertificatePinList
// (in ClientInitialization) follow the AnyConnect 4.x schema: Pin elements
// whose text is the SHA-512 hash of the pinned certificate's public key, with
// Subject and Issuer attributes. The text encoding is not public; see Pin.
//
// # Discovery and precedence
//
// Discover reads explicit files (--profile), the system (managed) folders,
// the folder of profiles a headend pushed (PushedDir) and the user folders;
// see SystemDirs, PushedDirFor and UserDirs for the tables, and
// EnvSystemDirs, EnvPushedDir and EnvUserDir for the overrides. On a
// HostName clash between files the explicit file wins over the system
// folders, which win over the pushed folder, which wins over the user
// folders, so neither a headend's push nor a user's own profile can
// redirect a managed host name. A file with errors contributes nothing, and never hides the
// other files.
//
// # Host selection
//
// Catalog.Lookup takes a HostName, a HostAddress, or (when
// AllowManualHostInput allows, the schema default) a bare host[:port][/path].
// vpnc-go speaks IKEv2 only. Entries whose PrimaryProtocol is SSL, or absent
// (SSL is the schema default, and most deployed profiles leave it out), are
// usable too: the headend is tried over IKEv2 with EAP-AnyConnect, and
// Target.Note says so; Target.NoIKEv2Hint says what it most likely means
// when the headend does not take up IKEv2. The client profile schema has no
// element that restricts a host to SSL only (RestrictTunnelProtocols belongs
// to the client's local policy file; in a profile it is ignored like any
// element the package does not act on). An entry with no address at all is
// listed but cannot be selected (ErrUnsupported). When a typed address
// matches several entries, an IPsec one wins, then the one whose address is
// exactly what was typed.
//
// The path of an address (https://host/path, host/path) is an SSL group
// URL; it becomes the tunnel group (HostEntry.TunnelGroup) when the entry
// has no UserGroup, since on an ASA it usually equals the tunnel group's
// alias. The port is AnyConnect's TLS port; IKE starts on UDP 500.
package profile
