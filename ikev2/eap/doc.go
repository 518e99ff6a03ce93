// Package eap implements the Extensible Authentication Protocol as IKEv2
// carries it (RFC 7296 section 2.16): the packet codec of RFC 3748, the
// standard methods an AnyConnect profile can ask for (Identity,
// MD5-Challenge, GTC and MS-CHAPv2), for both the peer and the authenticator
// role, and the forms a method shows the user. Cisco's EAP-AnyConnect, built
// on this package, is in package anyconnect below it.
//
// The package is pure: it opens no sockets, reads no clocks, and takes its
// randomness from an io.Reader supplied by the caller. Malformed input never
// panics; every error says what was wrong and where.
//
// A peer answers each Request with a Peer method; an authenticator drives an
// Authenticator method. Both report the method's Master Session Key through
// MSK, which is nil when the method has none (MD5, GTC, AnyConnect); IKEv2 then
// keys its final AUTH payloads with SK_pi / SK_pr instead.
package eap
