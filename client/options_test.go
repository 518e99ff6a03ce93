package client

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/profile"
)

func TestOptionErrors(t *testing.T) {
	if _, err := New(Options{}, Deps{}); err == nil {
		t.Fatal("no server accepted")
	}
	if _, err := New(Options{Server: "x", Auth: profile.AuthIKERSA}, Deps{}); err == nil {
		t.Fatal("IKE-RSA without a certificate accepted")
	}
	deps := Deps{NewDataPlane: func(DataPlaneConfig) (DataPlane, error) { return nil, errors.New("not used") }}
	if _, err := New(Options{Server: "x", StatsInterval: -time.Second}, deps); err == nil || !strings.Contains(err.Error(), "statistics interval") {
		t.Fatalf("a negative statistics interval: %v", err)
	}
	for in, want := range map[string]string{"vpn.example.com": "vpn.example.com:500", "vpn:4500": "vpn:4500", "2001:db8::1": "2001:db8::1:500", "[2001:db8::1]:600": "2001:db8::1:600"} {
		h, p, err := splitHostPort(in)
		if err != nil || fmt.Sprintf("%s:%d", h, p) != want {
			t.Errorf("%s: %s %d %v", in, h, p, err)
		}
	}
}

func TestFormEventsCarryNoPasswords(t *testing.T) {
	f := &eap.Form{Fields: []eap.Field{{Name: "username", Kind: eap.FieldText, Value: "alice"},
		{Name: "password", Kind: eap.FieldPassword, Value: "s3cret"}}}
	got := formOf(f)
	if got.Fields[1].Value != "" || got.Fields[0].Value != "alice" || f.Fields[1].Value != "s3cret" ||
		got.Fields[1].Kind != FieldPassword || got.Fields[0].Kind != FieldText {
		t.Fatalf("got %+v, original %+v", got.Fields, f.Fields)
	}
}
