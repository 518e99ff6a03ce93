// Package anyconnect implements EAP-AnyConnect, Cisco's "aggregate
// authentication" method, on top of package eap: the TLV framing, the
// config-auth XML documents it carries, the client's side (Peer) and an
// emulation of the headend's side (Authenticator).
//
// Nothing public specifies the method. What this package relies on is
// tagged where it matters:
//
//   - [RE]: seen only in reverse-engineered code whose author ran it against
//     a real ASA, and in the exchange recorded from an implementation built
//     from it (testdata/vectors/eap-anyconnect, the certificate path);
//   - [?]: our own guess, kept in one named constant so it can change.
//
// Framing [RE]. EAP-AnyConnect is the expanded type (RFC 3748 section 5.7)
// with Vendor-Id 9 (Cisco, 00 00 09) and Vendor-Type 0x44425250 ("DBRP"),
// so its header is 12 bytes: Code, Identifier, Length, then FE 00 00 09
// 44 42 52 50. TLVs follow, each Type(2) Length(2, of the value) Value:
// type 0 is the config-auth XML document (UTF-8 with an XML declaration)
// and is in every message; type 1 is the signature and type 3 the client's
// certificate chain of the certificate path below. The headend sends the
// Requests with increasing Identifiers; the client echoes each one.
//
// The method derives no MSK: after EAP-Success both final IKE AUTH
// payloads are keyed with SK_pi / SK_pr, as RFC 7296 section 2.16 says for
// methods without one (also seen in the recording).
//
// Documents [RE]. Each is <config-auth client="vpn" type="T"
// aggregate-auth-version="2">, in this order:
//
//	1 headend  hello         nothing else
//	2 client   init          client header, <group-access>, optional
//	                         <group-select>, <capabilities>
//	3 headend  auth-request  <opaque is-for="sg">, <auth id="main"> with
//	                         <message>, <banner>, <error> and a <form> of
//	                         <input type="text|password|hidden"> and a
//	                         <select name="group_list">; or
//	                         <client-cert-request/>; or <host-scan>
//	4 client   auth-reply    client header, empty <session-id/> and
//	                         <session-token/>, the <opaque> copied as it
//	                         came, <auth> holding every form field as an
//	                         element named after it, <group-select> when a
//	                         group list was shown
//	  (3 and 4 repeat: second factor with second-auth="1" fields, another
//	  group, or an <error> with a new form)
//	5 headend  complete      <session-id>, <session-token>,
//	                         <auth id="success">, <config client="vpn"
//	                         type="private"> with banner, profile manifest
//	                         and <csport>
//	6 client   ack           client header only
//	7 headend  EAP-Success
//
// The client header is <version who="vpn">, <device-id> naming the platform
// (attributes computer-name, device-type, platform-version, unique-id may
// follow) and <mac-address-list>. A document holding an <error> means the
// headend refused: its text is for the user. <csport> is the HTTPS port
// where the headend serves client services such as profile updates. The
// password form of a username/password run is not in the recording: it
// follows the forms of the SSL variant of the protocol [?].
//
// Certificate path [RE, recorded]. An auth-request holding
// <client-cert-request/> is answered with a second init carrying TLV 3,
// TLV 1 and TLV 0, in that order. TLV 3 is a degenerate PKCS#7 SignedData
// with the chain, end-entity certificate first. TLV 1 is an RSA PKCS#1
// v1.5 signature, with the hash of the negotiated PRF, over the initiator's
// signed octets of RFC 7296 section 2.15 computed with the IDi as sent; the
// IKE layer makes it (eap.IKEBinding). The headend checks both, then goes
// on; its next auth-request may say <authentication-complete/>.
//
// Host scan [RE]. An auth-request may carry <host-scan> with a ticket, a
// token and base and wait URIs. A real client then runs Cisco's posture
// check against <csport> and returns <host-scan-token> in its auth-reply.
// Peer runs nothing by default: it calls its HostScan hook, typically a
// user-supplied wrapper program.
package anyconnect
