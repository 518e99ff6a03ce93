//go:build linux

package swan

import (
	"strings"
	"testing"
	"time"
)

func TestHeadendConf(t *testing.T) {
	conf := Headend{IKE: "aes192-sha1-modp1024", ESP: "aes256-sha1", RemoteAuth: "eap-mschapv2", LocalID: "192.0.2.1",
		LocalTS: "198.51.100.0/24", Pool: "10.2.2.1-10.2.2.10", DNS: "198.51.100.53",
		Users: map[string]string{"alice": `correct "horse"`}, ChildRekey: 20 * time.Second, IKERekey: 40 * time.Second}.Conf()
	for _, want := range []string{
		"eap_id = %any", "id = %any", "send_cert = always", "local_ts = 198.51.100.0/24",
		"rekey_time = 20s", "rekey_time = 40s", `secret = "correct \"horse\""`, `id = "alice"`, "dns = 198.51.100.53",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("swanctl.conf lacks %q:\n%s", want, conf)
		}
	}
	if strings.Count(conf, "{") != strings.Count(conf, "}") {
		t.Errorf("unbalanced braces:\n%s", conf)
	}
	if pk := (Headend{RemoteAuth: "pubkey"}).Conf(); strings.Contains(pk, "eap_id") {
		t.Errorf("pubkey clients get no eap_id:\n%s", pk)
	}
}

func TestClientConfQuotesIdentities(t *testing.T) {
	conf := Client{Remote: "192.0.2.1", RemoteID: "vpn.example.com", IKE: "x", ESP: "y", Auth: "eap-mschapv2",
		LocalID: "*$AnyConnectClient$*", EAPID: "alice", Password: "pw", RemoteTS: "198.51.100.0/24"}.Conf()
	if !strings.Contains(conf, `id = "*$AnyConnectClient$*"`) {
		t.Errorf("identity not quoted:\n%s", conf)
	}
}
