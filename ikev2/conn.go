package ikev2

import (
	"slices"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// conn is one peer relationship: the current IKE SA, those being retired
// after a rekey, and the CHILD SAs, which outlive IKE SA rekeys
// (RFC 7296 section 2.18).
type conn struct {
	c        *Common
	sas      []*ikeSA // the current one first
	children []*ChildSA
	out      []Action
	done     bool

	// onSA is told of every IKE SA the connection gains, so a dispatcher
	// can route its SPIs; onEstablished of the moment setup completes.
	onSA func(*ikeSA)
}

func (c *conn) current() *ikeSA {
	if len(c.sas) == 0 {
		return nil
	}
	return c.sas[0]
}

func (c *conn) flush() []Action {
	out := c.out
	c.out = nil
	return out
}

// addSA adds an IKE SA to the connection: as the current one, which
// retires the others, or as a retired one (the loser of a rekey
// collision, until the settlement).
func (c *conn) addSA(sa *ikeSA, now time.Time, current bool) {
	sa.conn = c
	c.sas = append(c.sas, sa)
	if current {
		c.promote(sa, now)
	} else {
		sa.retire(now)
	}
	if c.onSA != nil {
		c.onSA(sa)
	}
}

// promote makes sa the current IKE SA and retires the others.
func (c *conn) promote(sa *ikeSA, now time.Time) {
	i := slices.Index(c.sas, sa)
	c.sas = append([]*ikeSA{sa}, slices.Delete(c.sas, i, i+1)...)
	sa.promote()
	for _, old := range c.sas[1:] {
		old.retire(now)
	}
}

// find returns the IKE SA a datagram belongs to. In IKE_SA_INIT one SPI
// is still unknown: the response to ours brings SPIr, and a retransmitted
// request to us still has SPIr zero.
func (c *conn) find(h wire.Header) *ikeSA {
	for _, sa := range c.sas {
		if sa.spiI == h.SPIi && (sa.spiR == h.SPIr || (h.Exchange == wire.IKE_SA_INIT && (sa.spiR == 0 || h.SPIr == 0))) {
			return sa
		}
	}
	return nil
}

// receive processes one decoded datagram for this connection.
func (c *conn) receive(now time.Time, d received) {
	if c.done {
		return
	}
	sa := c.find(d.msg.Header)
	if sa == nil {
		return
	}
	if in := sa.receive(now, d); in != nil {
		sa.dispatch(now, in)
	}
}

// dropSA removes a closed IKE SA. Losing the current one ends the
// connection.
func (c *conn) dropSA(sa *ikeSA, retired bool, err error) {
	i := slices.Index(c.sas, sa)
	if i < 0 {
		return
	}
	c.sas = slices.Delete(c.sas, i, i+1)
	if i > 0 || retired {
		return
	}
	if len(c.sas) > 0 && c.sas[0].state != stateClosed {
		// A successor exists (a rekey collision's loser went away).
		return
	}
	c.finish(err)
}

// finish ends the connection: every CHILD SA leaves the data plane and
// Closed is the last action.
func (c *conn) finish(err error) {
	if c.done {
		return
	}
	c.done = true
	for _, ch := range c.children {
		c.out = append(c.out, RemoveChild{SA: ch})
	}
	c.children = nil
	for _, sa := range c.sas {
		sa.state = stateClosed
	}
	c.sas = nil
	c.out = append(c.out, Closed{Err: err})
}

func (c *conn) removeChild(ch *ChildSA) {
	if i := slices.Index(c.children, ch); i >= 0 {
		c.children = slices.Delete(c.children, i, i+1)
		c.out = append(c.out, RemoveChild{SA: ch})
	}
}

// deadline is the earliest deadline of the connection's IKE SAs.
func (c *conn) deadline() time.Time {
	var d time.Time
	for _, sa := range c.sas {
		if t := sa.deadline(); !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	return d
}

func (c *conn) timeout(now time.Time) {
	for _, sa := range slices.Clone(c.sas) {
		sa.timeout(now)
	}
}

// close deletes the connection: its current IKE SA, which takes the CHILD
// SAs with it.
func (c *conn) close(now time.Time) {
	if sa := c.current(); sa != nil {
		sa.close(now)
		return
	}
	c.finish(nil)
}
