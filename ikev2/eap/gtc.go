package eap

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"strings"
)

// Generic Token Card (RFC 3748 section 5.6): the Request carries text to
// show the user, the Response what the user typed, in clear. It derives no
// key. Inside IKEv2 the clear text is protected by the SK payload, and
// strongSwan's eap-gtc (after draft-sheffer-ipsecme-ikev2-gtc) sends the bare
// password that way.
//
// RFC 5421 (EAP-FAST-GTC, Cisco) adds a labelled form: the Request text
// starts with "CHALLENGE=" and the Response is "RESPONSE=" user NUL password.
// The peer answers in that form whenever the Request uses it.

const (
	gtcChallengeLabel = "CHALLENGE="
	gtcResponseLabel  = "RESPONSE="
)

// GTCPeer answers GTC Requests.
type GTCPeer struct {
	UserName string // used only in the RFC 5421 labelled form
	Password string
	// Prompt, when set, is shown the Request text and returns what to
	// answer instead of Password (for one-time tokens).
	Prompt func(text string) (string, error)

	done bool
}

func (g *GTCPeer) Type() ExpandedType { return ietf(TypeGTC) }
func (g *GTCPeer) Done() bool         { return g.done }
func (g *GTCPeer) MSK() []byte        { return nil }

func (g *GTCPeer) Respond(req *Packet) (*Packet, error) {
	if err := checkRequest(req, TypeGTC); err != nil {
		return nil, err
	}
	text := string(req.Data)
	answer := g.Password
	if g.Prompt != nil {
		var err error
		if answer, err = g.Prompt(strings.TrimPrefix(text, gtcChallengeLabel)); err != nil {
			return nil, fmt.Errorf("eap: GTC prompt: %w", err)
		}
	}
	data := []byte(answer)
	if strings.HasPrefix(text, gtcChallengeLabel) {
		data = []byte(gtcResponseLabel + g.UserName + "\x00" + answer)
	}
	g.done = true
	return newResponse(req.Identifier, TypeGTC, data), nil
}

// GTCAuthenticator asks for a password with Prompt and compares the answer
// with Password.
type GTCAuthenticator struct {
	Prompt   string
	Password string
	// Check, when set, verifies the answer instead of comparing it with
	// Password (for a headend that stores password hashes).
	Check func(answer string) error
	// Labelled selects the RFC 5421 form; the answer's user name must
	// then equal UserName.
	Labelled bool
	UserName string

	id      uint8
	started bool
}

func (g *GTCAuthenticator) Type() ExpandedType { return ietf(TypeGTC) }
func (g *GTCAuthenticator) MSK() []byte        { return nil }

func (g *GTCAuthenticator) Start(id uint8) (*Packet, error) {
	text := g.Prompt
	if g.Labelled {
		text = gtcChallengeLabel + text
	}
	g.id, g.started = id, true
	return newRequest(id, TypeGTC, []byte(text)), nil
}

func (g *GTCAuthenticator) Next(resp *Packet, _ uint8) (*Packet, error) {
	if !g.started {
		return nil, fmt.Errorf("eap: GTC Response %v before Start", resp)
	}
	if err := checkResponse(resp, TypeGTC, g.id); err != nil {
		return nil, err
	}
	answer := resp.Data
	if g.Labelled {
		rest, ok := bytes.CutPrefix(answer, []byte(gtcResponseLabel))
		user, pass, found := bytes.Cut(rest, []byte{0})
		if !ok || !found {
			return nil, fmt.Errorf("eap: %v: GTC answer is not %q user NUL password (RFC 5421)", resp, gtcResponseLabel)
		}
		if string(user) != g.UserName {
			return nil, fmt.Errorf("eap: GTC answer names user %q, expected %q: %w", user, g.UserName, ErrAuthFailed)
		}
		answer = pass
	}
	if g.Check != nil {
		if err := g.Check(string(answer)); err != nil {
			return nil, fmt.Errorf("eap: GTC: %w: %v", ErrAuthFailed, err)
		}
		return nil, nil
	}
	if subtle.ConstantTimeCompare(answer, []byte(g.Password)) != 1 {
		return nil, fmt.Errorf("eap: GTC: wrong password: %w", ErrAuthFailed)
	}
	return nil, nil
}
