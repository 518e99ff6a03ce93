package eap

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func TestMD4(t *testing.T) {
	// RFC 1320 appendix A.5.
	for in, want := range map[string]string{
		"":                           "31d6cfe0d16ae931b73c59d7e0c089c0",
		"a":                          "bde52cb31de33e46245e05fbdbd6fb24",
		"abc":                        "a448017aaf21d8525fc10ae87aa6729d",
		"message digest":             "d9130a8164549fe818874806e1c7014b",
		"abcdefghijklmnopqrstuvwxyz": "d79e1c308aa5bbcdeea8ed63df412da9",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789":                   "043f8582f241db351ce627e153e7f0e4",
		"12345678901234567890123456789012345678901234567890123456789012345678901234567890": "e33b4ddc9c38f2199c3e7b164fcc0536",
	} {
		if got := md4([]byte(in)); hex.EncodeToString(got[:]) != want {
			t.Errorf("md4(%q) = %x, want %s", in, got, want)
		}
	}
}

// RFC 2759 section 9.2 and RFC 3079 section 3.5.3 share these inputs.
var (
	rfcUser          = "User"
	rfcPassword      = "clientPass"
	rfcAuthChallenge = [ChallengeLen]byte{0x5B, 0x5D, 0x7C, 0x7D, 0x7B, 0x3F, 0x2F, 0x3E, 0x3C, 0x2C, 0x60, 0x21, 0x32, 0x26, 0x26, 0x28}
	rfcPeerChallenge = [ChallengeLen]byte{0x21, 0x40, 0x23, 0x24, 0x25, 0x5E, 0x26, 0x2A, 0x28, 0x29, 0x5F, 0x2B, 0x3A, 0x33, 0x7C, 0x7E}
	rfcNTResponse    = "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"
	rfcAuthResponse  = "S=407A5589115FD0D6209F510FE9C04566932CDA56"
)

func TestRFC2759Vectors(t *testing.T) {
	if got := challengeHash(&rfcPeerChallenge, &rfcAuthChallenge, rfcUser); hex.EncodeToString(got[:]) != "d02e4386bce91226" {
		t.Errorf("ChallengeHash = %x", got)
	}
	if got := challengeHash(&rfcPeerChallenge, &rfcAuthChallenge, `DOMAIN\`+rfcUser); hex.EncodeToString(got[:]) != "d02e4386bce91226" {
		t.Errorf("ChallengeHash with a domain = %x", got)
	}
	ph := NTPasswordHash(rfcPassword)
	if hex.EncodeToString(ph[:]) != "44ebba8d5312b8d611474411f56989ae" {
		t.Errorf("NtPasswordHash = %x", ph)
	}
	if phh := md4(ph[:]); hex.EncodeToString(phh[:]) != "41c00c584bd2d91c4017a2a12fa59f3f" {
		t.Errorf("PasswordHashHash = %x", phh)
	}
	nt := GenerateNTResponse(&rfcAuthChallenge, &rfcPeerChallenge, rfcUser, rfcPassword)
	if got := hex.EncodeToString(nt[:]); got != hex.EncodeToString(mustHex(t, rfcNTResponse)) {
		t.Errorf("NT-Response = %s, want %s", got, rfcNTResponse)
	}
	if got := GenerateAuthenticatorResponse(rfcPassword, &nt, &rfcPeerChallenge, &rfcAuthChallenge, rfcUser); got != rfcAuthResponse {
		t.Errorf("AuthenticatorResponse = %s, want %s", got, rfcAuthResponse)
	}
	if !CheckAuthenticatorResponse(rfcPassword, &nt, &rfcPeerChallenge, &rfcAuthChallenge, rfcUser, rfcAuthResponse) {
		t.Error("CheckAuthenticatorResponse rejects the RFC value")
	}
	if CheckAuthenticatorResponse("wrong", &nt, &rfcPeerChallenge, &rfcAuthChallenge, rfcUser, rfcAuthResponse) {
		t.Error("CheckAuthenticatorResponse accepts a wrong password")
	}
}

func TestRFC3079Vectors(t *testing.T) {
	var nt [NTResponseLen]byte
	copy(nt[:], mustHex(t, rfcNTResponse))
	ph := NTPasswordHash(rfcPassword)
	phh := md4(ph[:])
	mk := mppeMasterKey(&phh, &nt)
	if got, want := hex.EncodeToString(mk[:]), "fdece3717a8c838cb388e527ae3cdd31"; got != want {
		t.Fatalf("MasterKey = %s, want %s", got, want)
	}
	// Section 3.5.3 lists the server's send key, which RFC 3079 derives with
	// Magic3. Sections 3.5.1 and 3.5.2 give its first 8 and 7 bytes.
	send := mppeStartKey(&mk, mppeClientRecvMagic)
	if got, want := hex.EncodeToString(send[:]), "8b7cdc149b993a1ba118cb153f56dccb"; got != want {
		t.Fatalf("SendStartKey128 = %s, want %s", got, want)
	}
	msk := MSCHAPv2MSK(rfcPassword, &nt)
	recv := mppeStartKey(&mk, mppeClientSendMagic)
	want := append(append(recv[:], send[:]...), make([]byte, 32)...)
	if !bytes.Equal(msk, want) {
		t.Fatalf("MSK = %x, want MasterReceiveKey|MasterSendKey|zeros = %x", msk, want)
	}
}
