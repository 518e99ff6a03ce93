// Package ikev2 is vpnc-go's IKEv2 (RFC 7296) for both roles: the client's
// Initiator and the headend emulator's Server, on top of the codec
// (ikev2/wire), the cryptography (ikev2/ikecrypto) and EAP (ikev2/eap).
// Trust in the peer's certificate is the caller's: a PeerVerifier it plugs
// in (package ikev2/certs has the client's and the headend's).
//
// The state machines are sans-IO: they take events (a datagram, the time,
// a form answer) and return Actions (Send these bytes, InstallChild keys,
// NeedInput, Established, Closed, ...); NextDeadline says when to call
// HandleTimeout. They touch no socket, clock or goroutine, so tests run a
// client against a headend in one process over a simulated network that
// loses, duplicates and reorders datagrams, with a fake clock.
//
// Layers, bottom up:
//   - proposal.go: proposal strings, selection (3.3.6), suites;
//   - protect.go, fragment.go: SK protection of one IKE SA, RFC 7383 and
//     Cisco-style fragmentation with bounded reassembly;
//   - sa.go, lineage.go: one IKE SA (its life as a state, message IDs with a
//     window of one, retransmission, the cached response, liveness) and the
//     lineage of IKE SAs of one peer across rekeys, which owns the CHILD SAs;
//   - receive.go: a received datagram, decoded once, through Cisco
//     reassembly, the window, decryption and RFC 7383 reassembly, to
//     dispatch;
//   - child.go, rekey.go, info.go: CHILD SAs, rekeys of both kinds with
//     the collision rules of 2.8.1/2.8.2, INFORMATIONAL (Delete, DPD);
//   - initiator.go, responder.go, responder_auth.go: IKE_SA_INIT and
//     IKE_AUTH of each role, with EAP (2.16) and certificates.
package ikev2
