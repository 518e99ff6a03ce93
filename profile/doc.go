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
// pins that are not a SHA-512 hash in hex or base64, and a bad address in an
// SSL entry (which vpnc-go does not use).
//
// CertificatePinList (per HostEntry) and CertificatePinning/CertificatePinList
// (in ClientInitialization) follow the AnyConnect 4.x schema: Pin elements
// whose text is the SHA-512 hash of the pinned certificate's public key, with
// Subject and Issuer attributes. The text encoding is not public; see Pin.
//
// # Discovery and precedence
//
// Discover reads explicit files (--profile), the system (managed) folders and
// the user folders; see SystemDirs and UserDirs for the tables, and
// EnvSystemDirs and EnvUserDir for the overrides. On a HostName clash
// between files the explicit file wins over the system folders, which win
// over the user folders, so a user's own profile cannot redirect a managed
// host name. A file with errors contributes nothing, and never hides the
// other files.
//
// # Host selection
//
// Catalog.Lookup takes a HostName, a HostAddress, or (when
// AllowManualHostInput allows, the schema default) a bare host[:port].
// Entries whose PrimaryProtocol is SSL (the schema default!) are listed but
// cannot be selected: vpnc-go speaks IPsec/IKEv2 only.
package profile
