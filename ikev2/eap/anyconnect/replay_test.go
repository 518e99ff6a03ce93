package anyconnect

import (
	"bytes"
	"crypto/x509"
	"reflect"
	"strings"
	"testing"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// vectorWire returns the recorded packet whose file name starts with prefix.
func vectorWire(t testing.TB, prefix string) []byte {
	t.Helper()
	for _, v := range loadVectors(t) {
		if strings.HasPrefix(v.name, prefix) {
			return v.wire
		}
	}
	t.Fatalf("no vector %s", prefix)
	return nil
}

func vectorPacket(t testing.TB, prefix string) *eap.Packet {
	t.Helper()
	p, err := eap.Decode(vectorWire(t, prefix))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// recordedCertTLVs returns TLV 3 and TLV 1 of vector 04.
func recordedCertTLVs(t testing.TB) (p7, sig []byte) {
	t.Helper()
	m, err := Decode(vectorWire(t, "04-"))
	if err != nil {
		t.Fatal(err)
	}
	p7, _ = m.Find(TLVCertChain)
	sig, _ = m.Find(TLVSignature)
	return p7, sig
}

func encodePacket(t testing.TB, p *eap.Packet) []byte {
	t.Helper()
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertSameMessage compares an encoded packet with a recorded one: byte
// for byte, and on a difference it reports the XML models' differences.
func assertSameMessage(t *testing.T, got []byte, wantPrefix string) {
	t.Helper()
	want := vectorWire(t, wantPrefix)
	if bytes.Equal(got, want) {
		return
	}
	gm, err := Decode(got)
	if err != nil {
		t.Fatalf("%s: own packet does not decode: %v", wantPrefix, err)
	}
	wm, _ := Decode(want)
	t.Errorf("%s: packet differs from the recording\n got XML %s\nwant XML %s", wantPrefix, gm.XML(), wm.XML())
}

// TestPeerReplay answers the recorded headend messages 01, 03,
// 05 and 07 and compares the answers with the recorded client messages 02,
// 04, 06 and 08, byte for byte: TLV 3 is re-encoded from the recorded
// certificates, TLV 1 is the recorded signature given back by SignInit.
func TestPeerReplay(t *testing.T) {
	p7, sig := recordedCertTLVs(t)
	certs, err := DecodeCertChainPKCS7(p7)
	if err != nil {
		t.Fatal(err)
	}
	var scans []HostScanRequest
	peer := &Peer{
		Client: recordedClient(), GroupAccess: "ASA-IKEV2", Certificates: certs,
		SignInit: func() ([]byte, error) { return sig, nil },
		HostScan: func(r HostScanRequest) (string, error) {
			scans = append(scans, r)
			return r.Token, nil // the recorded client echoed the token
		},
		Host: "asa.example",
	}
	s := &eap.PeerSession{Method: peer}
	for _, step := range [][2]string{{"01-", "02-"}, {"03-", "04-"}, {"05-", "06-"}, {"07-", "08-"}} {
		resp, err := s.Handle(vectorPacket(t, step[0]))
		if err != nil {
			t.Fatalf("answering %s: %v", step[0], err)
		}
		assertSameMessage(t, encodePacket(t, resp), step[1])
	}
	if len(scans) != 1 || scans[0] != (HostScanRequest{Host: "asa.example", CSPort: "443", Ticket: "0C940894E65099BE2CB97531",
		Token: "59CD7E22327822F4B3EFCB5E", BaseURI: "/CACHE", WaitURI: "/+CSCOE+/sdesktop/wait.html"}) {
		t.Errorf("host scans = %+v", scans)
	}
	if resp, err := s.Handle(vectorPacket(t, "09-")); resp != nil || err != nil || !s.Succeeded() || s.MSK() != nil {
		t.Fatalf("EAP-Success: %v %v succeeded=%v", resp, err, s.Succeeded())
	}
	c := peer.Complete()
	if c == nil || c.SessionID != "3137520162" || !strings.HasPrefix(c.SessionToken, "040458@3137520162@") || c.CSPort != "443" {
		t.Fatalf("complete = %+v", c)
	}
	if !reflect.DeepEqual(c.DynamicSplitExcludeDomains, []string{"example.org", "example.net"}) || len(c.Profiles) != 1 ||
		c.Profiles[0].URI != "/CACHE/stc/profiles/ASA-IKEV2_client_profile.xml" {
		t.Fatalf("complete = %+v", c)
	}
}

// recordedHeadend is the headend of the recording, as configuration.
func recordedHeadend(verify func([]*x509.Certificate, []byte) error) *Authenticator {
	return &Authenticator{
		Groups: []TunnelGroup{{Name: "ASA-IKEV2", ClientCert: true, HostScan: &HostScanDemand{
			Ticket: "0C940894E65099BE2CB97531", Token: "59CD7E22327822F4B3EFCB5E", BaseURI: "/CACHE", WaitURI: "/+CSCOE+/sdesktop/wait.html"}}},
		VerifyCert: verify, ConfigHash: "1700000000001", Rand: testRand(),
	}
}

// TestAuthenticatorReplay feeds the recorded client messages to
// the headend emulator. Its hello and auth-requests (01, 03, 05) match the
// recording byte for byte; its complete carries its own session values and
// configuration, so it is checked for shape. The signature of TLV 1 cannot
// be verified without the IKE keys of the run: the verifier records it.
func TestAuthenticatorReplay(t *testing.T) {
	p7, sig := recordedCertTLVs(t)
	var gotChain []*x509.Certificate
	var gotSig []byte
	a := recordedHeadend(func(chain []*x509.Certificate, s []byte) error {
		gotChain, gotSig = chain, s
		return nil
	})
	req, err := a.Start(1)
	if err != nil {
		t.Fatal(err)
	}
	assertSameMessage(t, encodePacket(t, req), "01-")
	for i, step := range [][2]string{{"02-", "03-"}, {"04-", "05-"}} {
		req, err = a.Next(vectorPacket(t, step[0]), uint8(i+2))
		if err != nil {
			t.Fatalf("after %s: %v", step[0], err)
		}
		assertSameMessage(t, encodePacket(t, req), step[1])
	}
	if len(gotSig) != 256 || !bytes.Equal(gotSig, sig) || len(gotChain) != 2 || gotChain[0].Subject.CommonName != "client1" {
		t.Fatalf("VerifyCert saw %d-byte signature and chain %v", len(gotSig), gotChain)
	}
	if again, _ := EncodeCertChainPKCS7(gotChain); !bytes.Equal(again, p7) {
		t.Error("re-encoding the received chain does not give the recorded TLV 3")
	}
	req, err = a.Next(vectorPacket(t, "06-"), 4)
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromPacket(req)
	if err != nil {
		t.Fatal(err)
	}
	done := mustParseConfigAuth(t, m.XML())
	id, token := a.Session()
	if done.Type != ConfigAuthComplete || *done.SessionID != id || *done.SessionToken != token || done.Auth.ID != "success" ||
		done.Config == nil || done.Config.CSPort != "443" || req.Identifier != 4 {
		t.Fatalf("complete:\n%s", m.XML())
	}
	if req, err = a.Next(vectorPacket(t, "08-"), 5); req != nil || err != nil {
		t.Fatalf("after ack: %v %v", req, err)
	}
	if a.Group() != "ASA-IKEV2" || a.ClientInit().DeviceID.ComputerName != "ssac-client" {
		t.Errorf("group %q init %+v", a.Group(), a.ClientInit())
	}
}

// TestAuthenticatorOpaqueCheck: an auth-reply whose opaque
// differs from the one sent is refused.
func TestAuthenticatorOpaqueCheck(t *testing.T) {
	a := recordedHeadend(func([]*x509.Certificate, []byte) error { return nil })
	if _, err := a.Start(1); err != nil {
		t.Fatal(err)
	}
	for i, v := range []string{"02-", "04-"} {
		if _, err := a.Next(vectorPacket(t, v), uint8(i+2)); err != nil {
			t.Fatal(err)
		}
	}
	doc := mustParseConfigAuth(t, loadVectorXML(t, "06-"))
	doc.Opaque.SelectElement("config-hash").SetText("1700000000002")
	pkt, err := acPacket(eap.CodeResponse, 3, nil, doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Next(pkt, 4); err == nil || !strings.Contains(err.Error(), "does not echo the opaque") {
		t.Fatalf("altered opaque: %v", err)
	}
}
