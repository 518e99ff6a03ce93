package ikev2

import (
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// Errors that end an IKE SA.
var (
	ErrPeerDead     = errors.New("ikev2: the peer stopped answering (retransmissions exhausted)")
	ErrSetupTimeout = errors.New("ikev2: connection setup took too long")
	ErrClosedByPeer = errors.New("ikev2: the peer deleted the IKE SA")
	ErrAuthFailed   = errors.New("ikev2: authentication failed")
	ErrProtocol     = errors.New("ikev2: protocol error")
)

// PeerError reports an error notification the peer sent.
type PeerError struct {
	Exchange iana.ExchangeType
	Type     iana.NotifyType
	Data     []byte
}

func (e *PeerError) Error() string {
	msg := fmt.Sprintf("ikev2: the peer answered %s with %s", e.Exchange, e.Type)
	if e.Type == iana.AUTHENTICATION_FAILED {
		msg += " (wrong credentials, or the peer does not accept our identity or certificate)"
	}
	return msg
}

func (e *PeerError) Is(target error) bool {
	return target == ErrAuthFailed && (e.Type == iana.AUTHENTICATION_FAILED || e.Type == iana.AUTHORIZATION_FAILED)
}

// ikeSA is the part of an IKE SA both roles share: keys, message IDs with a
// window of one (RFC 7296 section 2.3), retransmission (section 2.1), the
// cached last response, fragmentation, liveness checks, CHILD SAs and the
// informational and rekey exchanges once established.
type ikeSA struct {
	c         *Config
	timers    Timers
	initiator bool // the original initiator of this IKE SA
	spiI      uint64
	spiR      uint64
	local     netip.AddrPort
	remote    netip.AddrPort
	natt      bool // talk on port 4500 with the non-ESP marker
	behindNAT bool // the peer saw our address translated
	// follow makes the SA track the peer's address and NAT-T port as
	// authenticated messages show them: the headend's side, which is not
	// behind the NAT (RFC 7296 section 2.23).
	follow bool

	suite Suite
	prf   *ikecrypto.PRF
	keys  *ikecrypto.IKEKeys
	prot  *protector

	rfcFrag   bool // both sent IKEV2_FRAGMENTATION_SUPPORTED
	ciscoFrag bool // the peer sent the Cisco FRAGMENTATION vendor ID
	reasm     reassembler
	cisco     ciscoReassembler
	fragID    uint16
	ciscoPeer bool

	nextID  uint32 // our next request's message ID
	pending *request
	queue   []*request

	peerNext   uint32 // the peer's next request ID
	cachedID   uint32
	cached     [][]byte
	haveCached bool

	state     saState  // see saState; retiredAt is when it became retired
	collision [][]byte // nonces of the peer's simultaneous IKE SA rekey
	peerNew   *ikeSA   // the SA the peer's simultaneous rekey made
	retiredAt time.Time
	created   time.Time
	lastHeard time.Time
	rekeyAt   time.Time

	lastReply *inbound // the reply being handled, for its raw octets
	// rtt is the round trip measured on IKE_SA_INIT; zero until then.
	rtt time.Duration

	// lineage owns this IKE SA, its successors and the CHILD SAs.
	lineage *lineage
	// handleSetup answers the peer's requests before establishment; set
	// by the responder role. A non-nil error ends the SA once the answer
	// is sent.
	handleSetup func(now time.Time, h wire.Header, ps []wire.Payload) ([]wire.Payload, error)
}

// saState is where an IKE SA is in its life. Only the lineage's current SA
// starts exchanges of its own; the others wait for their Delete.
//
//	halfOpen ──IKE_AUTH done──▶ established ◀──our IKE SA rekey──▶ rekeying
//	established, rekeying ──a successor takes over──▶ retired
//	retired ──promoted: it won a rekey collision (2.8.2)──▶ established
//	established, rekeying, retired ──our Delete sent──▶ closing
//	any ──Delete answered either way, failure, timeout──▶ closed
type saState uint8

const (
	// stateHalfOpen: IKE_SA_INIT and IKE_AUTH are under way (sections
	// 1.2, 2.16); the setup timer runs.
	stateHalfOpen saState = iota
	// stateEstablished: the SA is up and may start exchanges: rekeys,
	// liveness checks (section 2.4).
	stateEstablished
	// stateRekeying: our CREATE_CHILD_SA rekeying this IKE SA is in
	// flight (section 1.3.2); a rekey by the peer meanwhile is a collision
	// (section 2.8.2).
	stateRekeying
	// stateRetired: a rekey replaced the SA (section 2.18); it starts
	// nothing and answers until the Delete of it, which the side that
	// initiated the rekey sends, or which we send after HalfOpen.
	stateRetired
	// stateClosing: our Delete of the SA is in flight (section 1.4.1);
	// its answer or the end of retransmissions closes it.
	stateClosing
	// stateClosed: gone; nothing is sent or received any more.
	stateClosed
)

// up reports whether the SA finished IKE_AUTH and is not closed.
func (s saState) up() bool { return s != stateHalfOpen && s != stateClosed }

// request is one of our requests, sent or queued.
type request struct {
	exchange  iana.ExchangeType
	payloads  []wire.Payload
	onReply   func(now time.Time, h wire.Header, ps []wire.Payload)
	id        uint32
	datagrams [][]byte
	sent      int
	first     time.Time // the first send
	last      time.Time // the latest send
	deadline  time.Time
	// probe marks a liveness check (section 2.4): it is retransmitted
	// on the DPD schedule, short and bounded.
	probe bool
}

func (sa *ikeSA) emit(a ...Action) { sa.lineage.out = append(sa.lineage.out, a...) }

func (sa *ikeSA) logf(format string, args ...any) {
	sa.c.Log("IKE SA %016x/%016x: "+format, append([]any{sa.spiI, sa.spiR}, args...)...)
}

// header returns the header of a message we send.
func (sa *ikeSA) header(ex iana.ExchangeType, id uint32, response bool) wire.Header {
	h := wire.Header{SPIi: sa.spiI, SPIr: sa.spiR, Version: wire.Version2, Exchange: ex, MessageID: id}
	if sa.initiator {
		h.Flags |= wire.FlagInitiator
	}
	if response {
		h.Flags |= wire.FlagResponse
	}
	return h
}

// encode builds the datagrams of a message: plain for IKE_SA_INIT,
// protected otherwise, and fragmented when too large and the peer can
// reassemble (RFC 7383 preferred over the Cisco kind).
func (sa *ikeSA) encode(h wire.Header, ps []wire.Payload) ([][]byte, error) {
	if h.Exchange == iana.IKE_SA_INIT {
		b, err := (&wire.Message{Header: h, Payloads: ps}).Encode()
		return [][]byte{b}, err
	}
	msg, err := sa.prot.Seal(h, ps)
	if err != nil {
		return nil, err
	}
	if len(msg) <= sa.c.FragmentSize {
		return [][]byte{msg}, nil
	}
	switch {
	case sa.rfcFrag:
		return sa.prot.fragmentMessage(h, ps, sa.c.FragmentSize)
	case sa.ciscoFrag:
		sa.fragID++
		return ciscoFragment(msg, sa.fragID, sa.c.FragmentSize)
	}
	return [][]byte{msg}, nil
}

func (sa *ikeSA) send(datagrams [][]byte) {
	sa.emit(Send{To: sa.remote, Encap: sa.natt, Datagrams: datagrams})
}

// request sends a request, or queues it behind the outstanding one.
func (sa *ikeSA) request(now time.Time, ex iana.ExchangeType, ps []wire.Payload, onReply func(time.Time, wire.Header, []wire.Payload)) {
	r := &request{exchange: ex, payloads: ps, onReply: onReply}
	if sa.pending != nil {
		sa.queue = append(sa.queue, r)
		return
	}
	sa.transmit(now, r)
}

func (sa *ikeSA) transmit(now time.Time, r *request) {
	r.id = sa.nextID
	sa.nextID++
	var err error
	if r.datagrams, err = sa.encode(sa.header(r.exchange, r.id, false), r.payloads); err != nil {
		sa.fail(fmt.Errorf("ikev2: encoding %s request: %w", r.exchange, err))
		return
	}
	sa.pending = r
	sa.retransmit(now)
}

func (sa *ikeSA) retransmit(now time.Time) {
	r := sa.pending
	if r.sent == 0 {
		r.first = now
	}
	sa.send(r.datagrams)
	r.last = now
	r.deadline = now.Add(sa.retransmitTimeout(r))
	if sa.state == stateHalfOpen && !r.probe {
		r.deadline = earliestOf(r.deadline, r.first.Add(sa.setupGiveUp()))
	}
	r.sent++
}

// Minimum and multiple of the setup retransmission timeout derived from
// the measured round trip.
const (
	setupMinTimeout = 200 * time.Millisecond
	setupRTTs       = 4
)

// retransmitTimeout is how long to wait for the answer to r's send
// number r.sent (counting from zero). Section 2.4 leaves the number of
// retries and the timeouts to the implementation; there are three
// schedules, each backing off exponentially:
//   - a liveness check: DPDRetransmit, doubling, DPDTries sends;
//   - setup: Retransmit until a round trip is measured, then setupRTTs of
//     it (at least setupMinTimeout), doubling up to 2 × Retransmit, so
//     that a lossy path costs round trips rather than seconds;
//   - an established SA's other requests: Retransmit, doubling.
func (sa *ikeSA) retransmitTimeout(r *request) time.Duration {
	t := sa.timers
	switch {
	case r.probe:
		return t.DPDRetransmit << r.sent
	case sa.state == stateHalfOpen:
		base := t.Retransmit
		if sa.rtt > 0 {
			base = min(max(setupRTTs*sa.rtt, setupMinTimeout), t.Retransmit)
		}
		return min(base<<min(r.sent, 16), 2*t.Retransmit)
	}
	return t.Retransmit << r.sent
}

// setupGiveUp is how long a setup request is retransmitted: as long as
// the conservative schedule would take.
func (sa *ikeSA) setupGiveUp() time.Duration {
	return sa.timers.Retransmit * (1<<sa.timers.RetransmitTries - 1)
}

// exhausted reports whether r is due for a retransmission it will not get.
func (sa *ikeSA) exhausted(r *request, now time.Time) bool {
	switch {
	case r.probe:
		return r.sent >= sa.timers.DPDTries
	case sa.state == stateHalfOpen:
		return !now.Before(r.first.Add(sa.setupGiveUp()))
	}
	return r.sent >= sa.timers.RetransmitTries
}

// logRetry writes the one debug line of a retransmission.
func (sa *ikeSA) logRetry(r *request, now time.Time) {
	what := r.exchange.String()
	if r.probe {
		what = "liveness check"
	}
	switch {
	case r.probe:
		sa.logf("peer not answering %s #%d, try %d of %d", what, r.id, r.sent+1, sa.timers.DPDTries)
	case sa.state == stateHalfOpen:
		sa.logf("peer not answering %s #%d, try %d (gives up %s after the first)", what, r.id, r.sent+1,
			sa.setupGiveUp())
	default:
		sa.logf("peer not answering %s #%d, try %d of %d", what, r.id, r.sent+1, sa.timers.RetransmitTries)
	}
}

func earliestOf(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// probe sends a liveness check: an empty INFORMATIONAL request (section
// 2.4), on the DPD schedule.
func (sa *ikeSA) probe(now time.Time) {
	r := &request{exchange: iana.INFORMATIONAL, probe: true}
	if sa.pending != nil {
		sa.queue = append(sa.queue, r)
		return
	}
	sa.transmit(now, r)
}

// checkLiveness checks now that the peer is alive. Section 2.4: an
// endpoint "should suspect that the other endpoint has failed based on
// routing information and initiate a request to see whether the other
// endpoint is alive", but must not conclude it from such hints or from
// unprotected messages. A request already in flight serves as the check:
// it is resent at once and from then on follows the DPD schedule.
func (sa *ikeSA) checkLiveness(now time.Time, why string) {
	switch sa.state {
	case stateEstablished, stateRekeying:
	default:
		return
	}
	r := sa.pending
	switch {
	case r == nil:
		sa.logf("liveness check: %s", why)
		sa.probe(now)
	case !r.probe:
		sa.logf("liveness check with %s #%d in flight: %s", r.exchange, r.id, why)
		r.probe, r.sent = true, 0
		first := r.first
		sa.retransmit(now)
		r.first = first
	}
}

// respond sends and caches the response to the peer's request h.
func (sa *ikeSA) respond(h wire.Header, ps []wire.Payload) {
	ds, err := sa.encode(sa.header(h.Exchange, h.MessageID, true), ps)
	if err != nil {
		sa.logf("encoding %s response: %v", h.Exchange, err)
		return
	}
	sa.cachedID, sa.cached, sa.haveCached = h.MessageID, ds, true
	sa.send(ds)
}

// retire marks sa as replaced by a rekey (section 2.18). An SA whose
// Delete is already in flight stays closing.
func (sa *ikeSA) retire(now time.Time) {
	switch sa.state {
	case stateEstablished, stateRekeying:
		sa.state, sa.retiredAt = stateRetired, now
	}
}

// promote makes a retired SA live again: the winner of a rekey collision
// that was first added as the loser.
func (sa *ikeSA) promote() {
	if sa.state == stateRetired {
		sa.state = stateEstablished
	}
}

// fail ends the IKE SA with err. Ending the current IKE SA ends the
// connection; a retired or losing one just goes.
func (sa *ikeSA) fail(err error) {
	if sa.state == stateClosed {
		return
	}
	retired := sa.state == stateRetired
	sa.state = stateClosed
	sa.pending, sa.queue = nil, nil
	sa.lineage.dropSA(sa, retired, err)
}

// deadline returns the earliest time something is due.
func (sa *ikeSA) deadline() time.Time {
	var d time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if sa.state == stateClosed {
		return d
	}
	if sa.pending != nil {
		earliest(sa.pending.deadline)
	}
	if sa.state == stateHalfOpen {
		earliest(sa.created.Add(sa.timers.HalfOpen))
		return d
	}
	if sa.timers.DPD > 0 && sa.pending == nil {
		earliest(sa.lastHeard.Add(sa.timers.DPD))
	}
	switch sa.state {
	case stateRetired:
		earliest(sa.retiredAt.Add(sa.timers.HalfOpen))
	case stateEstablished, stateRekeying:
		if sa.pending == nil {
			earliest(sa.rekeyAt)
			for _, c := range sa.lineage.children {
				if !c.rekeying && !c.replaced {
					earliest(c.rekeyAt)
				}
			}
		}
	}
	return d
}

// timeout handles whatever is due at now.
func (sa *ikeSA) timeout(now time.Time) {
	if sa.state == stateClosed {
		return
	}
	if r := sa.pending; r != nil && !now.Before(r.deadline) {
		if sa.exhausted(r, now) {
			sa.logf("peer not answering %s #%d after %d sends over %s: giving up", r.exchange, r.id, r.sent, now.Sub(r.first))
			sa.fail(ErrPeerDead)
			return
		}
		sa.logRetry(r, now)
		sa.retransmit(now)
	}
	switch sa.state {
	case stateHalfOpen:
		if !now.Before(sa.created.Add(sa.timers.HalfOpen)) {
			sa.fail(ErrSetupTimeout)
		}
	case stateRetired:
		if sa.pending == nil && !now.Before(sa.retiredAt.Add(sa.timers.HalfOpen)) {
			// The peer did not delete a retired SA it should have
			// (section 2.8): do it.
			sa.close(now)
		}
	case stateEstablished:
		if sa.pending != nil {
			return // a window of one (section 2.3)
		}
		switch {
		case !sa.rekeyAt.IsZero() && !now.Before(sa.rekeyAt):
			sa.rekeyIKE(now)
		case sa.dueChild(now) != nil:
			sa.rekeyChild(now, sa.dueChild(now))
		case sa.timers.DPD > 0 && !now.Before(sa.lastHeard.Add(sa.timers.DPD)):
			sa.logf("liveness check after %s of silence", now.Sub(sa.lastHeard))
			sa.probe(now)
		}
	}
}

func (sa *ikeSA) dueChild(now time.Time) *ChildSA {
	for _, c := range sa.lineage.children {
		if !c.rekeying && !c.replaced && !c.rekeyAt.IsZero() && !now.Before(c.rekeyAt) {
			return c
		}
	}
	return nil
}

// close starts an orderly close: Delete of the IKE SA, which also deletes
// its CHILD SAs (section 1.4.1). The peer's answer, or its absence after
// the retransmissions, ends the SA.
func (sa *ikeSA) close(now time.Time) {
	switch sa.state {
	case stateClosed, stateClosing:
		return
	case stateHalfOpen:
		sa.fail(nil)
		return
	case stateEstablished, stateRekeying:
		sa.emit(Progress{Exchange: iana.INFORMATIONAL})
	}
	sa.state = stateClosing
	sa.queue = nil
	del := []wire.Payload{&wire.Delete{Protocol: iana.ProtoIKE}}
	done := func(time.Time, wire.Header, []wire.Payload) { sa.fail(nil) }
	if sa.pending != nil {
		// The window is busy: the Delete goes next.
		sa.queue = []*request{{exchange: iana.INFORMATIONAL, payloads: del, onReply: done}}
		return
	}
	sa.request(now, iana.INFORMATIONAL, del, done)
}

// notifyError returns the first error notification in ps.
func notifyError(ex iana.ExchangeType, ps []wire.Payload) *PeerError {
	for _, n := range wire.FindAll[*wire.Notify](ps) {
		if n.NotifyType.IsError() {
			return &PeerError{Exchange: ex, Type: n.NotifyType, Data: n.Data}
		}
	}
	return nil
}

// natHash is a NAT_DETECTION_*_IP value: SHA-1(SPIi | SPIr | IP | Port)
// (RFC 7296 section 2.23).
func natHash(spiI, spiR uint64, ap netip.AddrPort) []byte {
	h := sha1.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], spiI)
	h.Write(b[:])
	binary.BigEndian.PutUint64(b[:], spiR)
	h.Write(b[:])
	h.Write(ap.Addr().Unmap().AsSlice())
	binary.BigEndian.PutUint16(b[:2], ap.Port())
	h.Write(b[:2])
	return h.Sum(nil)
}

// natNotifies returns our NAT detection notifies for a message from local
// to remote.
func natNotifies(spiI, spiR uint64, local, remote netip.AddrPort) []wire.Payload {
	return []wire.Payload{
		&wire.Notify{NotifyType: iana.NAT_DETECTION_SOURCE_IP, Data: natHash(spiI, spiR, local)},
		&wire.Notify{NotifyType: iana.NAT_DETECTION_DESTINATION_IP, Data: natHash(spiI, spiR, remote)},
	}
}

// detectNAT reads the peer's NAT detection notifies: whether the peer's
// source (as it sent it) differs from what we see, and whether our address
// as the peer saw it differs from ours.
func detectNAT(ps []wire.Payload, spiI, spiR uint64, local, remote netip.AddrPort) (peerBehind, weBehind, present bool) {
	var srcs [][]byte
	var dst []byte
	for _, n := range wire.FindAll[*wire.Notify](ps) {
		switch n.NotifyType {
		case iana.NAT_DETECTION_SOURCE_IP:
			srcs = append(srcs, n.Data)
		case iana.NAT_DETECTION_DESTINATION_IP:
			dst = n.Data
		}
	}
	if len(srcs) == 0 || dst == nil {
		return false, false, false
	}
	want := natHash(spiI, spiR, remote)
	peerBehind = !slices.ContainsFunc(srcs, func(s []byte) bool { return string(s) == string(want) })
	weBehind = string(dst) != string(natHash(spiI, spiR, local))
	return peerBehind, weBehind, true
}

// setKeys derives the IKE SA's keys after IKE_SA_INIT (section 2.14).
func (sa *ikeSA) setKeys(suite Suite, skeyseed, ni, nr []byte) error {
	lens, err := ikecrypto.SuiteKeyLens(suite.Encr, int(suite.KeyBits), suite.Integ)
	if err != nil {
		return err
	}
	var spiI, spiR [8]byte
	binary.BigEndian.PutUint64(spiI[:], sa.spiI)
	binary.BigEndian.PutUint64(spiR[:], sa.spiR)
	keys, err := ikecrypto.DeriveIKEKeys(sa.prf, skeyseed, ni, nr, spiI[:], spiR[:], lens)
	if err != nil {
		return err
	}
	prot, err := newProtector(suite, keys, sa.initiator, sa.c.Rand)
	if err != nil {
		return err
	}
	sa.suite, sa.keys, sa.prot = suite, keys, prot
	if sa.spiR != 0 {
		sa.exportKeys()
	}
	return nil
}

// jitter shortens d by up to a tenth, so that both peers do not start a
// rekey at the same moment (section 2.8.1 advises against collisions).
func (sa *ikeSA) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	var b [2]byte
	sa.c.Rand.Read(b[:])
	return d - time.Duration(uint64(d/10)*uint64(binary.BigEndian.Uint16(b[:]))/0xffff)
}
