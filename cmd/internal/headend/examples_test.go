package headend

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// exampleConfig loads testdata/headend/NAME next to a fresh PKI.
func exampleConfig(t *testing.T, name string) (*Config, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "headend", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := GeneratePKI(dir, "vpn.example.com", "alice"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}

// offerClient is an EAP-MSCHAPv2 client offering ike ("" = the defaults).
func offerClient(t *testing.T, dir, ike string) *ikev2.Initiator {
	t.Helper()
	cfg := clientConfig(t, dir)
	cfg.EAP = &eap.MSCHAPv2Peer{UserName: "alice", Password: "correct horse", Rand: rand.Reader}
	cfg.EAPIdentity = "alice"
	cfg.Identity = wire.ID{IDType: wire.ID_RFC822_ADDR, Data: []byte("alice@corp.example")}
	var err error
	if ike != "" {
		if cfg.IKEProposals, err = ikev2.ParseProposals(ike, iana.ProtoIKE); err != nil {
			t.Fatal(err)
		}
	}
	ini, err := ikev2.NewInitiator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ini
}

// TestExamplePolicies runs vpnc-go's default offer against every example
// policy: the sound ones accept it with the expected selection (the common
// ones without an INVALID_KE_PAYLOAD round trip), the legacy one refuses
// it and accepts the suite named with --ike.
func TestExamplePolicies(t *testing.T) {
	for _, c := range []struct {
		file     string
		ike      string // what the client offers; "" = the defaults
		wantIKE  string // the negotiated suites; "" = refused
		wantESP  string
		initReqs int // IKE_SA_INIT requests: 2 = one INVALID_KE_PAYLOAD round trip
	}{
		{"cisco-gcm-group19.toml", "", "aes256gcm16-prfsha256-ecp256", "aes256gcm16", 1},
		{"cisco-multi-group.toml", "", "aes256gcm16-prfsha512-ecp256", "aes256gcm16", 1},
		{"cisco-cbc-sha256-group14.toml", "", "aes256-sha256-prfsha256-modp2048", "aes256-sha256", 2},
		{"cisco-gcm-sha512-group21.toml", "", "aes256gcm16-prfsha512-ecp521", "aes256gcm16", 2},
		{"asa-seed.toml", "", "aes256gcm16-prfsha384-ecp384", "aes256gcm16", 2},
		{"cisco-legacy-group2.toml", "", "", "", 1},
		{"cisco-legacy-group2.toml", "aes192-sha1-modp1024", "aes192-sha1-prfsha1-modp1024", "aes256-sha1", 1},
	} {
		name := c.file
		if c.ike != "" {
			name += " --ike " + c.ike
		}
		t.Run(name, func(t *testing.T) {
			cfg, dir := exampleConfig(t, c.file)
			inits := 0
			up, err := pumpObserved(t, offerClient(t, dir, c.ike), newServer(t, cfg), nil, func(b []byte) {
				if h, err := wire.DecodeHeader(b); err == nil && h.Exchange == iana.IKE_SA_INIT {
					inits++
				}
			})
			if c.wantIKE == "" {
				var pe *ikev2.PeerError
				if up != nil || !errors.As(err, &pe) || pe.Type != iana.NO_PROPOSAL_CHOSEN {
					t.Fatalf("want NO_PROPOSAL_CHOSEN, got %v (established %v)", err, up != nil)
				}
			} else {
				if up == nil {
					t.Fatalf("not established: %v", err)
				}
				if ike, esp := up.Config.IKESuite.String(), up.Config.ESPSuite.String(); ike != c.wantIKE || esp != c.wantESP {
					t.Fatalf("negotiated IKE %s ESP %s, want %s and %s", ike, esp, c.wantIKE, c.wantESP)
				}
			}
			if inits != c.initReqs {
				t.Fatalf("%d IKE_SA_INIT requests, want %d", inits, c.initReqs)
			}
			if up != nil {
				weak := ikev2.WeakAlgorithms([]wire.Proposal{up.Config.IKESuite.Proposal(1, iana.ProtoIKE, nil)})
				if (len(weak) > 0) != (c.ike != "") {
					t.Fatalf("weak algorithms %v", weak)
				}
			}
		})
	}
}
