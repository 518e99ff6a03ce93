package ikev2

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// The receive path, in the order a datagram takes it:
//
//  1. HandleDatagram decodes it once (header and outer payloads) and routes
//     it by SPI to its connection and IKE SA;
//  2. Cisco fragments (payload 132) are joined into the whole message, which
//     is decoded in turn;
//  3. the window (RFC 7296 section 2.3) drops late responses and answers
//     retransmitted requests from the cache, per fragment as RFC 7383
//     section 2.6.1 asks, before anything is decrypted;
//  4. the SK payload is opened, or the SKF fragment opened and reassembled
//     (RFC 7383 section 2.6);
//  5. dispatch hands the message to its reply handler or the request
//     handler and moves the window.

// decodeMessage decodes a datagram's header and outer payloads; every
// received datagram goes through it exactly once.
var decodeMessage = wire.Decode

// received is a datagram as it arrived, decoded.
type received struct {
	from  netip.AddrPort
	encap bool // it came on the NAT-T port (its non-ESP marker removed)
	raw   []byte
	msg   *wire.Message
}

// decodeDatagram decodes b; log names who dropped it when it is malformed.
func decodeDatagram(from netip.AddrPort, encap bool, b []byte, log func(string, ...any)) (received, bool) {
	m, err := decodeMessage(b)
	if err != nil {
		log("dropping datagram from %s: %v", from, err)
		return received{}, false
	}
	return received{from: from, encap: encap, raw: b, msg: m}, true
}

// inbound is a received message after decryption and reassembly.
type inbound struct {
	h   wire.Header
	ps  []wire.Payload
	raw []byte // the whole message, for IKE_SA_INIT (its octets are signed)
}

// receive takes a datagram of this IKE SA through Cisco reassembly, the
// window and decryption. It returns nil when there is nothing for the
// exchange logic: a fragment that does not complete a message, a
// retransmitted request (answered from the cache), or something to drop.
func (sa *ikeSA) receive(now time.Time, d received) *inbound {
	if d.msg.NextPayload == iana.PayloadCiscoFragment {
		whole, ok := sa.joinCisco(now, d)
		if !ok {
			return nil
		}
		d = whole
	}
	if !sa.inWindow(d) {
		return nil
	}
	in := sa.open(now, d)
	if in != nil {
		sa.lastHeard = now
		sa.followPeer(d)
	}
	return in
}

// joinCisco files a Cisco fragment; when it completes its message, the
// message is decoded and returned in its place.
func (sa *ikeSA) joinCisco(now time.Time, d received) (received, bool) {
	f, ok := lastPayload[*wire.CiscoFragment](d.msg)
	if !ok || len(d.msg.Payloads) != 1 {
		sa.logf("dropping Cisco fragment from %s: %d payloads", d.from, len(d.msg.Payloads))
		return received{}, false
	}
	whole, err := sa.cisco.Add(now, f)
	if err != nil {
		sa.logf("Cisco fragment from %s: %v", d.from, err)
	}
	if whole == nil {
		return received{}, false
	}
	w, ok := decodeDatagram(d.from, d.encap, whole, sa.logf)
	if !ok || w.msg.NextPayload == iana.PayloadCiscoFragment {
		return received{}, false // a fragment inside a fragment: drop
	}
	return w, true
}

// inWindow applies the window of one (RFC 7296 section 2.3): a response
// must answer our outstanding request; a request must be the next one, or
// a retransmission of the last, which gets the cached response again.
func (sa *ikeSA) inWindow(d received) bool {
	h := &d.msg.Header
	if h.IsResponse() {
		return sa.pending != nil && h.MessageID == sa.pending.id // else late or unsolicited
	}
	if sa.haveCached && h.MessageID == sa.cachedID {
		// A retransmitted request: resend the response once per whole
		// message; for fragments, on the first one only (RFC 7383
		// section 2.6.1).
		if f, ok := lastPayload[*wire.EncryptedFragment](d.msg); !ok || f.Number == 1 {
			sa.send(sa.cached)
		}
		return false
	}
	if h.MessageID != sa.peerNext {
		sa.logf("dropping request #%d, expecting #%d", h.MessageID, sa.peerNext)
		return false
	}
	return true
}

// open decrypts a message of the window (reassembling RFC 7383 fragments)
// and returns it, or nil when there is nothing (yet) to dispatch. Errors
// are handled as section 2.21 says.
func (sa *ikeSA) open(now time.Time, d received) *inbound {
	h, m := d.msg.Header, d.msg
	if h.Exchange == iana.IKE_SA_INIT {
		if sa.prot != nil {
			return nil // a late IKE_SA_INIT retransmission
		}
		return &inbound{h: h, ps: m.Payloads, raw: d.raw}
	}
	var ps []wire.Payload
	var err error
	_, sk := lastPayload[*wire.Encrypted](m)
	_, skf := lastPayload[*wire.EncryptedFragment](m)
	switch {
	case sk:
		ps, err = sa.prot.Open(d.raw, m)
	case skf:
		f, plain, ferr := sa.prot.OpenFragment(d.raw, m)
		if ferr != nil {
			sa.logf("dropping fragment: %v", ferr)
			return nil
		}
		done, first, inner, rerr := sa.reasm.Add(now, h, f, plain)
		if rerr != nil {
			sa.logf("fragment of %s: %v", &h, rerr)
		}
		if !done {
			return nil
		}
		ps, err = wire.DecodePayloads(first, inner)
	default:
		if _, ok := wire.FindNotify(m.Payloads, iana.INVALID_IKE_SPI); ok {
			// The peer does not know this SA: it may have restarted
			// (section 2.21.4). Unprotected, so only a reason to check
			// (section 2.4).
			sa.checkLiveness(now, "the peer answered INVALID_IKE_SPI")
			return nil
		}
		sa.logf("dropping unprotected %s", &h)
		return nil
	}
	var uc *wire.UnsupportedCriticalPayloadError
	switch {
	case errors.As(err, &uc) && !h.IsResponse():
		sa.peerNext++
		sa.respond(h, []wire.Payload{&wire.Notify{NotifyType: iana.UNSUPPORTED_CRITICAL_PAYLOAD, Data: []byte{byte(uc.Type)}}})
		return nil
	case errors.Is(err, ikecrypto.ErrIntegrity), errors.Is(err, ikecrypto.ErrMalformed):
		sa.logf("dropping %s: %v", &h, err) // section 2.21.2: drop silently
		return nil
	case err != nil && !h.IsResponse():
		sa.peerNext++
		sa.respond(h, []wire.Payload{&wire.Notify{NotifyType: iana.INVALID_SYNTAX}})
		return nil
	case err != nil:
		sa.fail(fmt.Errorf("%w: malformed %s: %v", ErrProtocol, &h, err))
		return nil
	}
	return &inbound{h: h, ps: ps}
}

// followPeer moves the SA to where an authenticated message came from, on
// the side that follows (RFC 7296 section 2.23): the side not behind a NAT
// follows the peer's address and port as the NAT changes them, and moves
// to UDP encapsulation when the peer does (never back).
func (sa *ikeSA) followPeer(d received) {
	if !sa.follow || d.msg.Exchange == iana.IKE_SA_INIT || !(d.encap || !sa.natt) || (d.from == sa.remote && d.encap == sa.natt) {
		return
	}
	sa.logf("peer moved from %s to %s (NAT-T %v)", sa.remote, d.from, d.encap)
	sa.remote, sa.natt = d.from, sa.natt || d.encap
	if len(sa.lineage.children) > 0 {
		for _, c := range sa.lineage.children {
			c.Remote = sa.remote
		}
		sa.emit(PeerMoved{Children: slices.Clone(sa.lineage.children)})
	}
}

// dispatch hands a received message to its reply handler or to the role's
// request handler, and keeps the window moving.
func (sa *ikeSA) dispatch(now time.Time, in *inbound) {
	if in.h.IsResponse() {
		r := sa.pending
		sa.pending = nil
		if r.exchange == iana.IKE_SA_INIT && sa.rtt == 0 {
			// The round trip, from our latest send: with a retransmitted
			// request it may be an earlier send's answer, which only
			// makes the estimate short; backoff corrects that.
			sa.rtt = max(now.Sub(r.last), time.Microsecond)
			sa.logf("round trip %s", sa.rtt)
		}
		if r.onReply != nil {
			sa.lastReply = in
			r.onReply(now, in.h, in.ps)
		}
		if sa.pending == nil && len(sa.queue) > 0 && sa.state != stateClosed {
			next := sa.queue[0]
			sa.queue = sa.queue[1:]
			sa.transmit(now, next)
		}
		return
	}
	sa.peerNext++
	var resp []wire.Payload
	var end error
	switch {
	case sa.state.up():
		resp, end = sa.answer(now, in.h, in.ps)
	case sa.handleSetup != nil:
		resp, end = sa.handleSetup(now, in.h, in.ps)
	default:
		sa.logf("dropping %s request before establishment", in.h.Exchange)
		return
	}
	sa.respond(in.h, resp)
	if end != nil {
		// The peer deleted the SA, or failed to authenticate: the
		// answer goes out, then the SA ends (sections 1.4.1, 2.21.2).
		sa.fail(end)
	}
}
