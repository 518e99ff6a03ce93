package ikev2

import (
	"slices"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// lineage is everything shared with one peer over time: the current IKE
// SA, those being retired after a rekey (its predecessors, RFC 7296 section
// 2.18), and the CHILD SAs, which outlive IKE SA rekeys.
type lineage struct {
	sas      []*ikeSA // the current one first
	children []*ChildSA
	out      []Action
	done     bool

	// onSA is told of every IKE SA the lineage gains, so a dispatcher can
	// route its SPIs.
	onSA func(*ikeSA)
}

func (l *lineage) current() *ikeSA {
	if len(l.sas) == 0 {
		return nil
	}
	return l.sas[0]
}

func (l *lineage) flush() []Action {
	out := l.out
	l.out = nil
	return out
}

// addSA adds an IKE SA to the connection: as the current one, which
// retires the others, or as a retired one (the loser of a rekey
// collision, until the settlement).
func (l *lineage) addSA(sa *ikeSA, now time.Time, current bool) {
	sa.lineage = l
	l.sas = append(l.sas, sa)
	if current {
		l.promote(sa, now)
	} else {
		sa.retire(now)
	}
	if l.onSA != nil {
		l.onSA(sa)
	}
}

// promote makes sa the current IKE SA and retires the others.
func (l *lineage) promote(sa *ikeSA, now time.Time) {
	i := slices.Index(l.sas, sa)
	l.sas = append([]*ikeSA{sa}, slices.Delete(l.sas, i, i+1)...)
	sa.promote()
	for _, old := range l.sas[1:] {
		old.retire(now)
	}
}

// find returns the IKE SA a datagram belongs to. In IKE_SA_INIT one SPI
// is still unknown: the response to ours brings SPIr, and a retransmitted
// request to us still has SPIr zero.
func (l *lineage) find(h wire.Header) *ikeSA {
	for _, sa := range l.sas {
		if sa.spiI == h.SPIi && (sa.spiR == h.SPIr || (h.Exchange == iana.IKE_SA_INIT && (sa.spiR == 0 || h.SPIr == 0))) {
			return sa
		}
	}
	return nil
}

// receive processes one decoded datagram for this connection.
func (l *lineage) receive(now time.Time, d received) {
	if l.done {
		return
	}
	sa := l.find(d.msg.Header)
	if sa == nil {
		return
	}
	if in := sa.receive(now, d); in != nil {
		sa.dispatch(now, in)
	}
}

// dropSA removes a closed IKE SA. Losing the current one ends the
// connection.
func (l *lineage) dropSA(sa *ikeSA, retired bool, err error) {
	i := slices.Index(l.sas, sa)
	if i < 0 {
		return
	}
	l.sas = slices.Delete(l.sas, i, i+1)
	if i > 0 || retired {
		return
	}
	if len(l.sas) > 0 && l.sas[0].state != stateClosed {
		// A successor exists (a rekey collision's loser went away).
		return
	}
	l.finish(err)
}

// finish ends the connection: every CHILD SA leaves the data plane and
// Closed is the last action.
func (l *lineage) finish(err error) {
	if l.done {
		return
	}
	l.done = true
	for _, ch := range l.children {
		l.out = append(l.out, RemoveChild{SA: ch})
	}
	l.children = nil
	for _, sa := range l.sas {
		sa.state = stateClosed
	}
	l.sas = nil
	l.out = append(l.out, Closed{Err: err})
}

func (l *lineage) removeChild(ch *ChildSA) {
	if i := slices.Index(l.children, ch); i >= 0 {
		l.children = slices.Delete(l.children, i, i+1)
		l.out = append(l.out, RemoveChild{SA: ch})
	}
}

// deadline is the earliest deadline of the connection's IKE SAs.
func (l *lineage) deadline() time.Time {
	var d time.Time
	for _, sa := range l.sas {
		if t := sa.deadline(); !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	return d
}

func (l *lineage) timeout(now time.Time) {
	for _, sa := range slices.Clone(l.sas) {
		sa.timeout(now)
	}
}

// close deletes the connection: its current IKE SA, which takes the CHILD
// SAs with it.
func (l *lineage) close(now time.Time) {
	if sa := l.current(); sa != nil {
		sa.close(now)
		return
	}
	l.finish(nil)
}
