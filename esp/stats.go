package esp

import (
	"strconv"
	"sync/atomic"
)

// DropReason is why a Tunnel dropped a packet or a datagram. It indexes
// TunnelStats.Drops.
type DropReason uint8

const (
	DropNoSA       DropReason = iota // outbound packet with no matching SA (never sent in clear)
	DropNotIP                        // outbound packet that is not IPv4 or IPv6
	DropSeq                          // outbound SA's sequence numbers exhausted
	DropSend                         // datagrams the kernel refused (no route, too big)
	DropInvalid                      // datagram too short to be anything (RFC 3948 demux)
	DropUnknownSPI                   // ESP for no installed SA
	DropAuth                         // ESP failing its ICV
	DropReplay                       // replayed or too old ESP
	DropMalformed                    // bad ESP length or padding
	DropInner                        // decapsulated packet that is not a valid IP packet, or a dummy
	DropPolicy                       // inner source outside the SA's Inner prefixes
	DropTUN                          // packets the TUN refused

	numDropReasons
)

var dropNames = [numDropReasons]string{
	DropNoSA:       "no SA",
	DropNotIP:      "not IP",
	DropSeq:        "sequence numbers exhausted",
	DropSend:       "send refused",
	DropInvalid:    "invalid datagram",
	DropUnknownSPI: "unknown SPI",
	DropAuth:       "authentication failed",
	DropReplay:     "replay",
	DropMalformed:  "malformed ESP",
	DropInner:      "bad inner packet",
	DropPolicy:     "inner source not allowed",
	DropTUN:        "TUN refused",
}

func (r DropReason) String() string {
	if r < numDropReasons {
		return dropNames[r]
	}
	return "DropReason(" + strconv.Itoa(int(r)) + ")"
}

// TunnelStats are the Tunnel's counters. Bytes are inner IP packet bytes.
type TunnelStats struct {
	TxPackets, TxBytes uint64 // sealed and handed to the socket
	RxPackets, RxBytes uint64 // decapsulated and handed to the TUN

	RxIKE        uint64 // IKE messages passed to OnIKE
	RxKeepalives uint64 // NAT keepalives received (and ignored)
	TxKeepalives uint64

	// Drops counts the dropped packets and datagrams by reason.
	Drops [numDropReasons]uint64
}

// tunnelCounters are a Tunnel's live counters.
type tunnelCounters struct {
	txPackets, txBytes, rxPackets, rxBytes atomic.Uint64
	rxIKE, rxKeepalives, txKeepalives      atomic.Uint64
	drops                                  [numDropReasons]atomic.Uint64
}

// dropCounts tallies the drops of one batch on the goroutine handling it;
// flush moves them to the shared counters, once per batch.
type dropCounts [numDropReasons]uint64

func (d *dropCounts) flush(c *tunnelCounters) {
	for r, v := range d {
		if v != 0 {
			c.drops[r].Add(v)
			d[r] = 0
		}
	}
}

// Stats returns the Tunnel's counters.
func (t *Tunnel) Stats() TunnelStats {
	c := &t.cnt
	s := TunnelStats{
		TxPackets: c.txPackets.Load(), TxBytes: c.txBytes.Load(),
		RxPackets: c.rxPackets.Load(), RxBytes: c.rxBytes.Load(),
		RxIKE: c.rxIKE.Load(), RxKeepalives: c.rxKeepalives.Load(), TxKeepalives: c.txKeepalives.Load(),
	}
	for r := range s.Drops {
		s.Drops[r] = c.drops[r].Load()
	}
	return s
}
