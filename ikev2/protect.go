package ikev2

import (
	"errors"
	"fmt"
	"io"

	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// protector seals outgoing and opens incoming SK and SKF payloads of one IKE
// SA, for one side of it.
type protector struct {
	out, in *ikecrypto.SKCipher
	rand    io.Reader
}

// newProtector builds the protector of the initiator (when initiator is
// true) or of the responder: the initiator sends with SK_ei/SK_ai and
// receives with SK_er/SK_ar (RFC 7296 section 2.14).
func newProtector(s Suite, keys *ikecrypto.IKEKeys, initiator bool, rand io.Reader) (*protector, error) {
	ei, ai, er, ar := keys.Ei, keys.Ai, keys.Er, keys.Ar
	if !initiator {
		ei, ai, er, ar = er, ar, ei, ai
	}
	out, err := ikecrypto.NewSKCipher(s.Encr, int(s.KeyBits), s.Integ, ei, ai)
	if err != nil {
		return nil, err
	}
	in, err := ikecrypto.NewSKCipher(s.Encr, int(s.KeyBits), s.Integ, er, ar)
	if err != nil {
		return nil, err
	}
	return &protector{out: out, in: in, rand: rand}, nil
}

// Seal encodes a message whose payloads all go inside one SK payload.
func (p *protector) Seal(h wire.Header, payloads []wire.Payload) ([]byte, error) {
	inner, first, err := wire.AppendPayloads(nil, payloads)
	if err != nil {
		return nil, err
	}
	return p.seal(h, &wire.Encrypted{NextPayload: first}, inner)
}

// seal encodes h with the single payload enc (SK or SKF) whose body
// protects plaintext. The body is sized first so that the header and
// payload lengths, which the ICV covers, are final before sealing.
func (p *protector) seal(h wire.Header, enc wire.Payload, plaintext []byte) ([]byte, error) {
	body := make([]byte, p.out.SealedLen(len(plaintext)))
	switch e := enc.(type) {
	case *wire.Encrypted:
		e.Data = body
	case *wire.EncryptedFragment:
		e.Data = body
	}
	m := wire.Message{Header: h, Payloads: []wire.Payload{enc}}
	b, err := m.Encode()
	if err != nil {
		return nil, err
	}
	prefix := b[:len(b)-len(body)]
	return p.out.Seal(prefix, prefix, plaintext, p.rand)
}

// Open decrypts the SK payload of a received message m, decoded from raw,
// and returns its inner payloads. The SK payload is always last, so the
// authenticated prefix is raw up to its body.
func (p *protector) Open(raw []byte, m *wire.Message) ([]wire.Payload, error) {
	sk, ok := lastPayload[*wire.Encrypted](m)
	if !ok {
		return nil, errors.New("ikev2: message has no SK payload")
	}
	plain, err := p.in.Open(raw[:len(raw)-len(sk.Data)], sk.Data)
	if err != nil {
		return nil, fmt.Errorf("ikev2: %s: %w", &m.Header, err)
	}
	return wire.DecodePayloads(sk.NextPayload, plain)
}

// OpenFragment checks and decrypts one SKF payload (RFC 7383 section 2.6:
// each fragment is verified on its own, before reassembly).
func (p *protector) OpenFragment(raw []byte, m *wire.Message) (*wire.EncryptedFragment, []byte, error) {
	f, ok := lastPayload[*wire.EncryptedFragment](m)
	if !ok {
		return nil, nil, errors.New("ikev2: message has no SKF payload")
	}
	plain, err := p.in.Open(raw[:len(raw)-len(f.Data)], f.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("ikev2: %s fragment %d/%d: %w", &m.Header, f.Number, f.Total, err)
	}
	return f, plain, nil
}

func lastPayload[T wire.Payload](m *wire.Message) (T, bool) {
	var zero T
	if len(m.Payloads) == 0 {
		return zero, false
	}
	t, ok := m.Payloads[len(m.Payloads)-1].(T)
	return t, ok
}
