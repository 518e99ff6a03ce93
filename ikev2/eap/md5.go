package eap

import (
	"crypto/md5"
	"crypto/subtle"
	"fmt"
	"io"
)

// MD5-Challenge (RFC 3748 section 5.4) is CHAP (RFC 1994) inside EAP. Its
// Type-Data is Value-Size(1) Value Name. It authenticates the peer only and
// derives no key, so IKEv2 keys its AUTH payloads with SK_pi / SK_pr.

const md5ChallengeLen = 16

// md5Value is the Response Value of RFC 1994 section 4.1:
// MD5(Identifier | secret | Challenge).
func md5Value(id uint8, secret string, challenge []byte) []byte {
	h := md5.New()
	h.Write([]byte{id})
	h.Write([]byte(secret))
	h.Write(challenge)
	return h.Sum(nil)
}

// parseMD5 splits MD5-Challenge Type-Data into Value and Name.
func parseMD5(p *Packet) (value, name []byte, err error) {
	if len(p.Data) < 1 {
		return nil, nil, fmt.Errorf("eap: %v: MD5-Challenge data is empty, Value-Size missing at offset 5", p)
	}
	n := int(p.Data[0])
	if n == 0 || n > len(p.Data)-1 {
		return nil, nil, fmt.Errorf("eap: %v: MD5-Challenge Value-Size %d at offset 5, %d bytes follow", p, n, len(p.Data)-1)
	}
	return p.Data[1 : 1+n], p.Data[1+n:], nil
}

func md5Data(value []byte, name string) []byte {
	return append(append([]byte{byte(len(value))}, value...), name...)
}

// ParseMD5Challenge returns the challenge and name of an MD5-Challenge
// Request.
func ParseMD5Challenge(req *Packet) (challenge []byte, name string, err error) {
	if err := checkRequest(req, TypeMD5Challenge); err != nil {
		return nil, "", err
	}
	v, n, err := parseMD5(req)
	return v, string(n), err
}

// MD5Peer answers MD5-Challenge Requests with Secret.
type MD5Peer struct {
	Secret string
	Name   string // optional, sent in the Name field
	done   bool
}

func (m *MD5Peer) Type() ExpandedType { return ietf(TypeMD5Challenge) }
func (m *MD5Peer) Done() bool         { return m.done }
func (m *MD5Peer) MSK() []byte        { return nil }

func (m *MD5Peer) Respond(req *Packet) (*Packet, error) {
	challenge, _, err := ParseMD5Challenge(req)
	if err != nil {
		return nil, err
	}
	m.done = true
	value := md5Value(req.Identifier, m.Secret, challenge)
	return newResponse(req.Identifier, TypeMD5Challenge, md5Data(value, m.Name)), nil
}

// MD5Authenticator checks the peer's knowledge of Secret.
type MD5Authenticator struct {
	Secret string
	Name   string    // optional, sent in the Name field
	Rand   io.Reader // source of the challenge

	id        uint8
	challenge []byte
}

func (m *MD5Authenticator) Type() ExpandedType { return ietf(TypeMD5Challenge) }
func (m *MD5Authenticator) MSK() []byte        { return nil }

func (m *MD5Authenticator) Start(id uint8) (*Packet, error) {
	m.challenge = make([]byte, md5ChallengeLen)
	if err := readRandom(m.Rand, m.challenge, "MD5 challenge"); err != nil {
		return nil, err
	}
	m.id = id
	return newRequest(id, TypeMD5Challenge, md5Data(m.challenge, m.Name)), nil
}

func (m *MD5Authenticator) Next(resp *Packet, _ uint8) (*Packet, error) {
	if m.challenge == nil {
		return nil, fmt.Errorf("eap: MD5-Challenge Response %v before Start", resp)
	}
	if err := checkResponse(resp, TypeMD5Challenge, m.id); err != nil {
		return nil, err
	}
	value, _, err := parseMD5(resp)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(value, md5Value(m.id, m.Secret, m.challenge)) != 1 {
		return nil, fmt.Errorf("eap: MD5-Challenge: wrong response value: %w", ErrAuthFailed)
	}
	return nil, nil
}
