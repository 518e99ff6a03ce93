package esp

import "sync/atomic"

// TunnelStats are the Tunnel's counters. Bytes are inner IP packet bytes.
type TunnelStats struct {
	TxPackets, TxBytes uint64 // sealed and handed to the socket
	RxPackets, RxBytes uint64 // decapsulated and handed to the TUN

	RxIKE        uint64 // IKE messages passed to OnIKE
	RxKeepalives uint64 // NAT keepalives received (and ignored)
	TxKeepalives uint64

	DropNoSA       uint64 // outbound packet with no matching SA (never sent in clear)
	DropNotIP      uint64 // outbound packet that is not IPv4 or IPv6
	DropSeq        uint64 // outbound SA's sequence numbers exhausted
	DropSend       uint64 // datagrams the kernel refused (no route, too big)
	DropInvalid    uint64 // datagram too short to be anything (RFC 3948 demux)
	DropUnknownSPI uint64 // ESP for no installed SA
	DropAuth       uint64 // ESP failing its ICV
	DropReplay     uint64 // replayed or too old ESP
	DropMalformed  uint64 // bad ESP length or padding
	DropInner      uint64 // decapsulated packet that is not a valid IP packet, or a dummy
	DropPolicy     uint64 // inner source outside the SA's Inner prefixes
	DropTUN        uint64 // packets the TUN refused
}

type tunnelCounters struct {
	txPackets, txBytes, rxPackets, rxBytes          atomic.Uint64
	rxIKE, rxKeepalives, txKeepalives               atomic.Uint64
	noSA, notIP, seq, send, invalid, unknownSPI     atomic.Uint64
	auth, replay, malformed, inner, policy, tunDrop atomic.Uint64
}

// Stats returns the Tunnel's counters.
func (t *Tunnel) Stats() TunnelStats {
	c := &t.cnt
	return TunnelStats{
		TxPackets: c.txPackets.Load(), TxBytes: c.txBytes.Load(),
		RxPackets: c.rxPackets.Load(), RxBytes: c.rxBytes.Load(),
		RxIKE: c.rxIKE.Load(), RxKeepalives: c.rxKeepalives.Load(), TxKeepalives: c.txKeepalives.Load(),
		DropNoSA: c.noSA.Load(), DropNotIP: c.notIP.Load(), DropSeq: c.seq.Load(),
		DropSend: c.send.Load(), DropInvalid: c.invalid.Load(), DropUnknownSPI: c.unknownSPI.Load(),
		DropAuth: c.auth.Load(), DropReplay: c.replay.Load(), DropMalformed: c.malformed.Load(),
		DropInner: c.inner.Load(), DropPolicy: c.policy.Load(), DropTUN: c.tunDrop.Load(),
	}
}

// SendIKE sends IKE messages to a peer: with encap, behind the Non-ESP
// Marker from the ESP socket (to the peer's NAT-T port); otherwise as they
// are, from the RawIKE socket if there is one (a headend's 500), else from
