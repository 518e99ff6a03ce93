package agent

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
)

// A refused certificate crosses the socket with what the user needs.
func TestUntrustedRoundTrip(t *testing.T) {
	u := &client.UntrustedCert{Host: "vpn.example.com", Reason: "x509: certificate signed by unknown authority",
		Subject: "CN=vpn.example.com", Issuer: "CN=CA", PinSHA256: "pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	in := client.DisconnectedEvent{Err: &RemoteError{Text: "server certificate ... is not trusted", Untrusted: u}}
	b, err := json.Marshal(EventOf(in))
	if err != nil {
		t.Fatal(err)
	}
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	out, err := ev.ClientEvent()
	if err != nil {
		t.Fatal(err)
	}
	got, ok := client.UntrustedCertOf(out.(client.DisconnectedEvent).Err)
	if !ok || *got != *u {
		t.Fatalf("after the round trip: %+v (%s)", got, b)
	}
	// Other failures carry none.
	b, _ = json.Marshal(EventOf(client.DisconnectedEvent{Err: &RemoteError{Text: "no answer"}}))
	ev = Event{}
	if json.Unmarshal(b, &ev); ev.Untrusted != nil {
		t.Fatalf("untrusted on another failure: %s", b)
	}
}
