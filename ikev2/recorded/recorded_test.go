package recorded

import "testing"

func TestLoadAll(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("got %d sessions, want 3", len(all))
	}
	for _, s := range all {
		ike, esp := s.IKEMessages(), s.ESPPackets()
		t.Logf("%s: %d datagrams, %d IKE, %d ESP, %d IKE keys, %d ESP SAs", s.Name, len(s.Datagrams), len(ike), len(esp), len(s.IKE), len(s.ESP))
		if len(ike) < 8 || len(esp) != 4 || len(s.IKE) != 1 || len(s.ESP) != 2 {
			t.Errorf("%s: unexpected shape", s.Name)
		}
	}
}
