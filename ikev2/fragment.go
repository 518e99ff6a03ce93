package ikev2

import (
	"errors"
	"fmt"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// fragmentLimits bound what a reassembler holds for one IKE SA.
type fragmentLimits struct {
	MaxFragments int           // per message
	MaxBytes     int           // reassembled size per message
	Timeout      time.Duration // from the first fragment of a message
}

// defaultFragmentLimits allow a large certificate chain plus EAP data (the
// seed's ASA sent 9 fragments) while keeping a flood cheap.
var defaultFragmentLimits = fragmentLimits{MaxFragments: 64, MaxBytes: 128 << 10, Timeout: 30 * time.Second}

// errFragmentLimit reports a message that exceeds fragmentLimits; its
// fragments are dropped.
var errFragmentLimit = errors.New("ikev2: fragment limit exceeded")

// fragmentSet collects the pieces of one message, numbered from 1.
type fragmentSet struct {
	parts   [][]byte // index number-1; nil until received
	have    int
	bytes   int
	last    int // number of the last fragment, 0 while unknown
	started time.Time
}

// add stores piece number n. It reports whether n was new.
func (s *fragmentSet) add(n int, data []byte, isLast bool, lim fragmentLimits) (bool, error) {
	if n < 1 || n > lim.MaxFragments || (s.last != 0 && n > s.last) {
		return false, fmt.Errorf("%w: fragment number %d (limit %d, last %d)", errFragmentLimit, n, lim.MaxFragments, s.last)
	}
	if isLast {
		if s.last != 0 && s.last != n || n < len(s.parts) && s.hasAbove(n) {
			return false, fmt.Errorf("ikev2: fragment %d claims to be last, conflicting with those received", n)
		}
		s.last = n
	}
	for len(s.parts) < n {
		s.parts = append(s.parts, nil)
	}
	if s.parts[n-1] != nil {
		return false, nil // a duplicate (RFC 7383 section 2.6: ignore)
	}
	if s.bytes+len(data) > lim.MaxBytes {
		return false, fmt.Errorf("%w: more than %d bytes", errFragmentLimit, lim.MaxBytes)
	}
	s.parts[n-1] = append(make([]byte, 0, len(data)), data...)
	s.have++
	s.bytes += len(data)
	return true, nil
}

func (s *fragmentSet) hasAbove(n int) bool {
	for _, p := range s.parts[n:] {
		if p != nil {
			return true
		}
	}
	return false
}

func (s *fragmentSet) complete() bool { return s.last != 0 && s.have == s.last }

func (s *fragmentSet) join() []byte {
	out := make([]byte, 0, s.bytes)
	for _, p := range s.parts {
		out = append(out, p...)
	}
	return out
}

// fragmentMessage builds an RFC 7383 fragmented message: the payloads are
// encoded once, cut into pieces so that each fragment datagram is at most
// maxLen bytes long (IKE header, SKF payload and its protection included),
// and each piece is sealed on its own (RFC 7383 section 2.5). The first
// fragment's Next Payload names the first inner payload.
func (p *protector) fragmentMessage(h wire.Header, payloads []wire.Payload, maxLen int) ([][]byte, error) {
	inner, first, err := wire.AppendPayloads(nil, payloads)
	if err != nil {
		return nil, err
	}
	room := maxLen - wire.HeaderLen - wire.SKFHeaderLen
	chunk := 0
	for chunk+1 <= len(inner) && p.out.SealedLen(chunk+1) <= room {
		chunk++
	}
	if chunk == 0 {
		return nil, fmt.Errorf("ikev2: fragment size %d leaves no room for data", maxLen)
	}
	total := (len(inner) + chunk - 1) / chunk
	if total > 0xffff {
		return nil, fmt.Errorf("ikev2: %d fragments needed", total)
	}
	out := make([][]byte, 0, total)
	for i := 0; i < total; i++ {
		piece := inner[i*chunk : min((i+1)*chunk, len(inner))]
		f := &wire.EncryptedFragment{Number: uint16(i + 1), Total: uint16(total)}
		if i == 0 {
			f.NextPayload = first
		}
		b, err := p.seal(h, f, piece)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// reassembler collects RFC 7383 fragments of received messages of one IKE
// SA. With a window of one (RFC 7296 section 2.3) at most one request and
// one response are in flight, so it keeps one set for each.
type reassembler struct {
	Limits fragmentLimits
	sets   [2]*rfcSet // [0] requests, [1] responses
}

type rfcSet struct {
	fragmentSet
	msgID uint32
	total uint16
	first iana.PayloadType
}

// Add files one verified, decrypted fragment (from protector.OpenFragment)
// of the message with header h. When the message is complete it returns
// the inner payloads' type and bytes, for wire.DecodePayloads. A message
// retransmitted after completion completes again; the exchange layer
// recognises it by its message ID.
func (r *reassembler) Add(now time.Time, h wire.Header, f *wire.EncryptedFragment, plain []byte) (done bool, first iana.PayloadType, inner []byte, err error) {
	lim := r.limits()
	slot := 0
	if h.IsResponse() {
		slot = 1
	}
	s := r.sets[slot]
	if s != nil && (s.msgID != h.MessageID || now.Sub(s.started) > lim.Timeout) {
		s = nil // a new message, or an abandoned one
	}
	if s != nil && f.Total != s.total {
		// RFC 7383 section 2.6: a peer that retransmits with smaller
		// fragments sends a larger total; start over with those.
		if f.Total < s.total {
			return false, 0, nil, nil
		}
		s = nil
	}
	if s == nil {
		if int(f.Total) > lim.MaxFragments {
			return false, 0, nil, fmt.Errorf("%w: message in %d fragments, limit %d", errFragmentLimit, f.Total, lim.MaxFragments)
		}
		s = &rfcSet{msgID: h.MessageID, total: f.Total, fragmentSet: fragmentSet{started: now, last: int(f.Total)}}
		r.sets[slot] = s
	}
	if _, err := s.add(int(f.Number), plain, false, lim); err != nil {
		r.sets[slot] = nil
		return false, 0, nil, err
	}
	if f.Number == 1 {
		s.first = f.NextPayload
	}
	if !s.complete() {
		return false, 0, nil, nil
	}
	r.sets[slot] = nil
	return true, s.first, s.join(), nil
}

func (r *reassembler) limits() fragmentLimits {
	if r.Limits == (fragmentLimits{}) {
		return defaultFragmentLimits
	}
	return r.Limits
}

// ciscoFragment cuts a whole, already protected IKE message into Cisco
// fragment messages (payload 132) of at most maxLen bytes each. Every
// fragment repeats the message's header with Next Payload 132.
func ciscoFragment(msg []byte, fragmentID uint16, maxLen int) ([][]byte, error) {
	h, err := wire.DecodeHeader(msg)
	if err != nil {
		return nil, err
	}
	chunk := maxLen - wire.HeaderLen - wire.CiscoFragmentHeaderLen
	if chunk <= 0 {
		return nil, fmt.Errorf("ikev2: fragment size %d leaves no room for data", maxLen)
	}
	total := (len(msg) + chunk - 1) / chunk
	if total > 0xff {
		return nil, fmt.Errorf("ikev2: %d Cisco fragments needed, at most 255 exist", total)
	}
	out := make([][]byte, 0, total)
	for i := 0; i < total; i++ {
		f := &wire.CiscoFragment{FragmentID: fragmentID, Number: uint8(i + 1), Last: i == total-1,
			Data: msg[i*chunk : min((i+1)*chunk, len(msg))]}
		b, err := (&wire.Message{Header: h, Payloads: []wire.Payload{f}}).Encode()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// ciscoReassembler joins Cisco fragments back into whole protected
// messages. Fragments are not authenticated one by one; the joined message
// is, by its SK payload, so the limits keep a forger from holding memory.
type ciscoReassembler struct {
	Limits fragmentLimits
	sets   map[uint16]*fragmentSet
}

// maxCiscoSets is how many fragment IDs may be open at once (one request and
// one response in flight, plus a retransmission under a new ID).
const maxCiscoSets = 4

// Add files one fragment; when its message is complete it returns the whole
// message, to be decoded and opened like any other.
func (r *ciscoReassembler) Add(now time.Time, f *wire.CiscoFragment) ([]byte, error) {
	lim := r.Limits
	if lim == (fragmentLimits{}) {
		lim = defaultFragmentLimits
	}
	if r.sets == nil {
		r.sets = map[uint16]*fragmentSet{}
	}
	for id, s := range r.sets {
		if now.Sub(s.started) > lim.Timeout {
			delete(r.sets, id)
		}
	}
	s := r.sets[f.FragmentID]
	if s == nil {
		if len(r.sets) >= maxCiscoSets {
			return nil, fmt.Errorf("%w: %d fragmented messages open", errFragmentLimit, len(r.sets))
		}
		s = &fragmentSet{started: now}
		r.sets[f.FragmentID] = s
	}
	if _, err := s.add(int(f.Number), f.Data, f.Last, lim); err != nil {
		delete(r.sets, f.FragmentID)
		return nil, err
	}
	if !s.complete() {
		return nil, nil
	}
	delete(r.sets, f.FragmentID)
	return s.join(), nil
}
