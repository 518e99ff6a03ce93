package eap

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// counterRand is a deterministic random source: 0, 1, 2, ... modulo 256.
type counterRand struct{ n byte }

func (r *counterRand) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = r.n
		r.n++
	}
	return len(b), nil
}

// wire sends p through Encode and Decode, as IKEv2 would.
func wire(t *testing.T, p *Packet) *Packet {
	t.Helper()
	b, err := p.Encode()
	if err != nil {
		t.Fatalf("encoding %v: %v", p, err)
	}
	q, err := Decode(b)
	if err != nil {
		t.Fatalf("decoding %v: %v", p, err)
	}
	return q
}

// converse runs an Identity exchange, then auth against peer until one side
// stops. It returns the identity the authenticator learnt and both sides'
// final errors.
func converse(t *testing.T, auth Authenticator, peer *PeerSession) (identity string, authErr, peerErr error) {
	t.Helper()
	id := uint8(1)
	resp, err := peer.Handle(wire(t, NewIdentityRequest(id, "")))
	if err != nil {
		t.Fatalf("identity: %v", err)
	}
	if identity, err = IdentityOf(wire(t, resp)); err != nil {
		t.Fatal(err)
	}
	id++
	req, err := auth.Start(id)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	for range 10 {
		resp, peerErr = peer.Handle(wire(t, req))
		if peerErr != nil {
			return identity, nil, peerErr
		}
		id++
		req, authErr = auth.Next(wire(t, resp), id)
		if req == nil {
			final := NewSuccess(resp.Identifier)
			if authErr != nil {
				final = NewFailure(resp.Identifier)
			}
			_, peerErr = peer.Handle(wire(t, final))
			return identity, authErr, peerErr
		}
		if authErr != nil {
			t.Fatalf("Next returned both a Request and %v", authErr)
		}
	}
	t.Fatal("conversation did not end")
	return
}

func TestIdentity(t *testing.T) {
	peer := &PeerSession{Identity: "alice@example.com", Method: &MD5Peer{Secret: "s"}}
	auth := &MD5Authenticator{Secret: "s", Rand: &counterRand{}}
	identity, authErr, peerErr := converse(t, auth, peer)
	if identity != "alice@example.com" || authErr != nil || peerErr != nil {
		t.Fatalf("identity %q, errors %v / %v", identity, authErr, peerErr)
	}
	if !peer.Succeeded() || peer.MSK() != nil || auth.MSK() != nil {
		t.Fatalf("succeeded=%v, MSKs %x %x; MD5 has no MSK", peer.Succeeded(), peer.MSK(), auth.MSK())
	}
}

func expectAuthFailure(t *testing.T, authErr, peerErr error) {
	t.Helper()
	if !errors.Is(authErr, ErrAuthFailed) {
		t.Errorf("authenticator error = %v, want ErrAuthFailed", authErr)
	}
	if !errors.Is(peerErr, ErrAuthFailed) {
		t.Errorf("peer error = %v, want ErrAuthFailed", peerErr)
	}
}

func TestMD5(t *testing.T) {
	_, authErr, peerErr := converse(t, &MD5Authenticator{Secret: "right", Rand: &counterRand{}},
		&PeerSession{Identity: "u", Method: &MD5Peer{Secret: "wrong"}})
	expectAuthFailure(t, authErr, peerErr)
}

// TestMD5Value checks RFC 1994 section 4.1 by hand: the hash covers the
// Identifier, then the secret, then the challenge.
func TestMD5Value(t *testing.T) {
	req := newRequest(7, TypeMD5Challenge, md5Data([]byte{1, 2, 3}, "srv"))
	resp, err := (&MD5Peer{Secret: "pw", Name: "me"}).Respond(wire(t, req))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := resp.Encode()
	// MD5(07 "pw" 01 02 03), computed independently.
	want := mustHex(t, "02070018 04 10 6d6b470713eed897270f455988b00363 6d65")
	if !bytes.Equal(b, want) {
		t.Fatalf("response = %x, want %x", b, want)
	}
	for _, bad := range []string{"01010005 04", "01010006 04 00", "01010007 04 05 aa"} {
		if _, err := (&MD5Peer{}).Respond(wire(t, mustPacket(t, bad))); err == nil || !strings.Contains(err.Error(), "offset 5") {
			t.Errorf("%s: error %v", bad, err)
		}
	}
}

func mustPacket(t *testing.T, h string) *Packet {
	t.Helper()
	p, err := Decode(mustHex(t, h))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGTC(t *testing.T) {
	for _, tc := range []struct {
		name     string
		auth     *GTCAuthenticator
		peer     *GTCPeer
		wantFail bool
	}{
		{"plain", &GTCAuthenticator{Prompt: "Password:", Password: "pw"}, &GTCPeer{Password: "pw"}, false},
		{"plain, wrong", &GTCAuthenticator{Password: "pw"}, &GTCPeer{Password: "px"}, true},
		{"labelled", &GTCAuthenticator{Labelled: true, UserName: "bob", Password: "pw"}, &GTCPeer{UserName: "bob", Password: "pw"}, false},
		{"labelled, wrong user", &GTCAuthenticator{Labelled: true, UserName: "bob", Password: "pw"}, &GTCPeer{UserName: "eve", Password: "pw"}, true},
		{"prompted", &GTCAuthenticator{Prompt: "Token:", Password: "123456"},
			&GTCPeer{Prompt: func(text string) (string, error) {
				if text != "Token:" {
					return "", errors.New("unexpected prompt " + text)
				}
				return "123456", nil
			}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, authErr, peerErr := converse(t, tc.auth, &PeerSession{Identity: "bob", Method: tc.peer})
			if tc.wantFail {
				expectAuthFailure(t, authErr, peerErr)
			} else if authErr != nil || peerErr != nil {
				t.Fatalf("errors %v / %v", authErr, peerErr)
			}
		})
	}
	resp, _ := (&GTCPeer{UserName: "bob", Password: "pw"}).Respond(newRequest(3, TypeGTC, []byte("CHALLENGE=Password")))
	if string(resp.Data) != "RESPONSE=bob\x00pw" {
		t.Fatalf("labelled answer = %q", resp.Data)
	}
}

func TestMSCHAPv2(t *testing.T) {
	newAuth := func(retries int) *MSCHAPv2Authenticator {
		return &MSCHAPv2Authenticator{Name: "headend", Password: "clientPass", Rand: &counterRand{n: 100}, Retries: retries, Message: "Welcome"}
	}
	t.Run("right password", func(t *testing.T) {
		auth := newAuth(0)
		peer := &PeerSession{Identity: "User", Method: &MSCHAPv2Peer{UserName: "User", Password: "clientPass", Rand: &counterRand{}}}
		if _, authErr, peerErr := converse(t, auth, peer); authErr != nil || peerErr != nil {
			t.Fatalf("errors %v / %v", authErr, peerErr)
		}
		msk := peer.MSK()
		if len(msk) != MSKLen || !bytes.Equal(msk, auth.MSK()) {
			t.Fatalf("MSKs differ or have the wrong length:\n peer %x\n auth %x", msk, auth.MSK())
		}
		if !bytes.Equal(msk[32:], make([]byte, 32)) || bytes.Equal(msk[:16], msk[16:32]) {
			t.Fatalf("MSK layout wrong: %x", msk)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		m := &MSCHAPv2Peer{UserName: "User", Password: "nope", Rand: &counterRand{}}
		_, authErr, peerErr := converse(t, newAuth(0), &PeerSession{Identity: "User", Method: m})
		expectAuthFailure(t, authErr, peerErr)
		var f *MSCHAPv2Failure
		if !errors.As(peerErr, &f) || f.Code != ErrorAuthenticationFailed || f.Retry {
			t.Fatalf("peer error = %v, want an E=691 failure without retry", peerErr)
		}
		if m.MSK() != nil {
			t.Fatal("MSK after failure")
		}
	})
	t.Run("retry succeeds", func(t *testing.T) {
		asked := 0
		m := &MSCHAPv2Peer{UserName: "User", Password: "typo", Rand: &counterRand{},
			Retry: func(f *MSCHAPv2Failure) (string, bool) {
				asked++
				return "clientPass", f.Code == ErrorAuthenticationFailed && f.Retry
			}}
		auth := newAuth(1)
		_, authErr, peerErr := converse(t, auth, &PeerSession{Identity: "User", Method: m})
		if authErr != nil || peerErr != nil || asked != 1 {
			t.Fatalf("errors %v / %v, retry asked %d times", authErr, peerErr, asked)
		}
		if !bytes.Equal(m.MSK(), auth.MSK()) || m.MSK() == nil {
			t.Fatal("MSKs differ after a retry")
		}
	})
	t.Run("retry fails again", func(t *testing.T) {
		m := &MSCHAPv2Peer{UserName: "User", Password: "typo", Rand: &counterRand{},
			Retry: func(*MSCHAPv2Failure) (string, bool) { return "typo2", true }}
		_, authErr, peerErr := converse(t, newAuth(1), &PeerSession{Identity: "User", Method: m})
		expectAuthFailure(t, authErr, peerErr)
		if f := m.Failure(); f == nil || f.Retry {
			t.Fatalf("last failure = %v, want one without retry", f)
		}
	})
}

func TestMSCHAPv2PeerRejectsForgedSuccess(t *testing.T) {
	m := &MSCHAPv2Peer{UserName: "User", Password: "clientPass", Rand: &counterRand{}}
	s := &PeerSession{Identity: "User", Method: m}
	if _, err := s.Handle(NewSuccess(1)); err == nil {
		t.Fatal("EAP-Success accepted before the method ran")
	}
	ch := (&MSCHAPv2Packet{OpCode: OpChallenge, ID: 5, Value: make([]byte, 16), Name: "x"}).Packet(CodeRequest, 5)
	if _, err := s.Handle(wire(t, ch)); err != nil {
		t.Fatal(err)
	}
	forged := (&MSCHAPv2Packet{OpCode: OpSuccess, ID: 5, Message: "S=" + strings.Repeat("0", 40) + " M=hi"}).Packet(CodeRequest, 6)
	if _, err := s.Handle(wire(t, forged)); err == nil || !strings.Contains(err.Error(), "authenticator response") {
		t.Fatalf("forged Success: %v", err)
	}
	if _, err := s.Handle(NewSuccess(6)); err == nil {
		t.Fatal("EAP-Success accepted after a forged MS-CHAPv2 Success")
	}
}

func TestMSCHAPv2PacketBytes(t *testing.T) {
	ch := (&MSCHAPv2Packet{OpCode: OpChallenge, ID: 1, Value: rfcAuthChallenge[:], Name: "srv"}).Packet(CodeRequest, 1)
	b, _ := ch.Encode()
	want := mustHex(t, "0101001d 1a 01 01 0018 10 5B5D7C7D7B3F2F3E3C2C602132262628 737276")
	if !bytes.Equal(b, want) {
		t.Fatalf("Challenge = %x, want %x", b, want)
	}
	ack, _ := (&MSCHAPv2Packet{OpCode: OpSuccess}).Packet(CodeResponse, 9).Encode()
	if !bytes.Equal(ack, mustHex(t, "020900061a03")) {
		t.Fatalf("Success ack = %x", ack)
	}
	for _, tc := range []struct{ hex, want string }{
		{"01010005 1a", "OpCode missing at offset 5"},
		{"01010007 1a 0101", "header needs 4 bytes, 2 present"},
		{"01010009 1a 09010004", "unknown MS-CHAPv2 OpCode 9 at offset 5"},
		{"02010009 1a 01010004", "must travel in a Request"},
		{"0101000a 1a 01010005 08", "Value-Size 8 at offset 9, want 16"},
		{"0101000b 1a 01010006 10 00", "Value of 16 bytes at offset 10, only 1 present"},
		{"02010008 1a 03 0000", "acknowledgement has 2 bytes after the OpCode"},
		{"0201000a 1a 07010005 00", "Change-Password body is 1 bytes, want 582"},
	} {
		_, err := DecodeMSCHAPv2(mustPacket(t, tc.hex))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeMSCHAPv2(%s) error = %v, want it to mention %q", tc.hex, err, tc.want)
		}
	}
}

func TestParseMSCHAPv2Failure(t *testing.T) {
	f, err := ParseMSCHAPv2Failure("E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=Wrong password, try again")
	if err != nil {
		t.Fatal(err)
	}
	if f.Code != 691 || !f.Retry || !f.HasChallenge || f.Challenge[15] != 0xff || f.Version != 3 || f.Text != "Wrong password, try again" {
		t.Fatalf("parsed %+v", f)
	}
	if got := f.String(); got != "E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=Wrong password, try again" {
		t.Fatalf("String = %q", got)
	}
	if !errors.Is(f, ErrAuthFailed) || !strings.Contains(f.Error(), "authentication failure") {
		t.Fatalf("Error = %q", f.Error())
	}
	if f, err := ParseMSCHAPv2Failure("E=648 R=0 V=3"); err != nil || f.Code != ErrorPasswordExpired || f.HasChallenge {
		t.Fatalf("no C=: %+v, %v", f, err)
	}
	for msg, want := range map[string]string{
		"R=0 V=3":             "no E= error code",
		"E=691 R=1":           "no C= challenge",
		"E=x R=0":             "field E",
		"E=691 R=2":           "retry flag",
		"E=691 R=0 C=12":      "has 2 hex digits, want 32",
		"E=691 garbage M=hey": `field "garbage" has no '='`,
	} {
		if _, err := ParseMSCHAPv2Failure(msg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMSCHAPv2Failure(%q) error = %v, want it to mention %q", msg, err, want)
		}
	}
}

func TestParseMSCHAPv2Success(t *testing.T) {
	for msg, text := range map[string]string{
		rfcAuthResponse + " M=Welcome home": "Welcome home",
		rfcAuthResponse:                     "",
	} {
		auth, got, err := ParseMSCHAPv2Success(msg)
		if err != nil || auth != rfcAuthResponse || got != text {
			t.Errorf("ParseMSCHAPv2Success(%q) = %q, %q, %v", msg, auth, got, err)
		}
	}
	for _, msg := range []string{"S=12", "X=" + rfcAuthResponse[2:], "S=" + strings.Repeat("g", 40), rfcAuthResponse + " X=1"} {
		if _, _, err := ParseMSCHAPv2Success(msg); err == nil {
			t.Errorf("ParseMSCHAPv2Success(%q) succeeded", msg)
		}
	}
}

func TestNakFromSession(t *testing.T) {
	s := &PeerSession{Identity: "u", Method: &MD5Peer{Secret: "s"}}
	resp, err := s.Handle(newRequest(4, TypeGTC, []byte("pw?")))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := resp.Encode(); !bytes.Equal(b, mustHex(t, "020400060304")) {
		t.Fatalf("Nak = %x", b)
	}
	auth := &GTCAuthenticator{Password: "x"}
	auth.Start(4)
	if _, err := auth.Next(resp, 5); err == nil || !strings.Contains(err.Error(), "peer refused GTC and proposes [MD5-Challenge]") {
		t.Fatalf("authenticator on Nak: %v", err)
	}
	resp, _ = s.Handle(&Packet{Code: CodeRequest, Identifier: 5, Type: TypeExpanded, VendorID: ciscoMethod.VendorID, VendorType: ciscoMethod.VendorType})
	if b, _ := resp.Encode(); !bytes.Equal(b, mustHex(t, "02050014 fe00000000000003 fe00000000000004")) {
		t.Fatalf("Expanded Nak = %x", b)
	}
	var notified string
	s.Notify = func(text string) { notified = text }
	if resp, _ := s.Handle(newRequest(6, TypeNotification, []byte("Password expires soon"))); notified != "Password expires soon" || resp.Type != TypeNotification || len(resp.Data) != 0 {
		t.Fatalf("Notification: %q, %v", notified, resp)
	}
}

func TestMSCHAPv2ChangePasswordLayout(t *testing.T) {
	c := &MSCHAPv2ChangePasswordBody{Flags: 0x0102}
	c.EncryptedPassword[0], c.EncryptedHash[0], c.PeerChallenge[0], c.NTResponse[23] = 1, 2, 3, 4
	p := wire(t, c.Packet(7).Packet(CodeResponse, 9))
	if p.Len() != 5+4+582 || p.Data[4] != 1 || p.Data[4+516] != 2 || p.Data[4+532] != 3 || p.Data[4+579] != 4 {
		t.Fatalf("layout wrong: len %d", p.Len())
	}
	ms, err := DecodeMSCHAPv2(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ms.ChangePassword()
	if err != nil || *got != *c || ms.ID != 7 {
		t.Fatalf("round trip: %v, id %d", err, ms.ID)
	}
	if _, err := (&MSCHAPv2Packet{OpCode: OpResponse}).ChangePassword(); err == nil {
		t.Fatal("a Response parsed as Change-Password")
	}
}

// TestStoredHashes checks the authenticators that keep no plaintext: an
// MS-CHAPv2 headend with the NT hash only, a GTC headend with a check
// function.
func TestStoredHashes(t *testing.T) {
	h := NTPasswordHash("clientPass")
	peer := &PeerSession{Identity: "User", Method: &MSCHAPv2Peer{UserName: "User", Password: "clientPass", Rand: &counterRand{}}}
	auth := &MSCHAPv2Authenticator{Name: "hub", NTHash: h, Rand: &counterRand{}}
	if _, authErr, peerErr := converse(t, auth, peer); authErr != nil || peerErr != nil {
		t.Fatalf("NT hash only: %v / %v", authErr, peerErr)
	}
	if string(peer.MSK()) != string(auth.MSK()) || len(auth.MSK()) != MSKLen {
		t.Fatal("MSKs differ")
	}
	peer = &PeerSession{Identity: "User", Method: &MSCHAPv2Peer{UserName: "User", Password: "wrong", Rand: &counterRand{}}}
	_, authErr, peerErr := converse(t, &MSCHAPv2Authenticator{Name: "hub", NTHash: h, Rand: &counterRand{}}, peer)
	expectAuthFailure(t, authErr, peerErr)

	check := func(answer string) error {
		if answer != "s3cret" {
			return errors.New("no")
		}
		return nil
	}
	if _, authErr, peerErr := converse(t, &GTCAuthenticator{Check: check}, &PeerSession{Identity: "u", Method: &GTCPeer{Password: "s3cret"}}); authErr != nil || peerErr != nil {
		t.Fatalf("GTC check: %v / %v", authErr, peerErr)
	}
	_, authErr, _ = converse(t, &GTCAuthenticator{Check: check}, &PeerSession{Identity: "u", Method: &GTCPeer{Password: "guess"}})
	if !errors.Is(authErr, ErrAuthFailed) {
		t.Fatalf("GTC check refused nothing: %v", authErr)
	}
}

// TestResultIdentifier: RFC 3748 section 4.2, a Success or Failure carries
// the Identifier of the Response it answers. The peer accepts only that.
func TestResultIdentifier(t *testing.T) {
	run := func(t *testing.T, final func(id uint8) *Packet) error {
		t.Helper()
		peer := &PeerSession{Identity: "bob", Method: &GTCPeer{Password: "pw"}}
		if _, err := (&PeerSession{}).Handle(NewFailure(7)); !errors.Is(err, ErrAuthFailed) || !strings.Contains(err.Error(), "before any Response") {
			t.Fatalf("Failure before any Response: %v", err)
		}
		resp, err := peer.Handle(wire(t, newRequest(7, TypeGTC, []byte("Password:"))))
		if err != nil || resp.Identifier != 7 {
			t.Fatalf("answer %v, %v", resp, err)
		}
		_, err = peer.Handle(wire(t, final(resp.Identifier)))
		return err
	}
	if err := run(t, func(id uint8) *Packet { return NewSuccess(id) }); err != nil {
		t.Fatalf("Success with the Response's Identifier: %v", err)
	}
	if err := run(t, func(id uint8) *Packet { return NewSuccess(id + 1) }); err == nil || !strings.Contains(err.Error(), "id=8 does not answer the last Response (id=7") {
		t.Fatalf("Success with the next Identifier: %v", err)
	}
	if err := run(t, func(id uint8) *Packet { return NewFailure(id) }); !errors.Is(err, ErrAuthFailed) || strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("Failure with the Response's Identifier: %v", err)
	}
	if err := run(t, func(id uint8) *Packet { return NewFailure(id + 1) }); !errors.Is(err, ErrAuthFailed) || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("Failure with the next Identifier: %v", err)
	}
}
