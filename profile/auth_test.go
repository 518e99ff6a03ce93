package profile

import (
	"strings"
	"testing"
)

func TestParseAuthMethod(t *testing.T) {
	for _, m := range AuthMethods {
		got, err := ParseAuthMethod(" " + strings.ToLower(string(m)) + " ")
		if err != nil || got != m {
			t.Errorf("ParseAuthMethod(%q) = %q, %v", m, got, err)
		}
	}
	if _, err := ParseAuthMethod("EAP-FOO"); err == nil || !strings.Contains(err.Error(), `"EAP-FOO"`) || !strings.Contains(err.Error(), "EAP-AnyConnect") {
		t.Fatalf("EAP-FOO: got %v", err)
	}
	if !AuthIKERSA.UsesCertificate() || !AuthIKEECDSA.UsesCertificate() || AuthEAPAnyConnect.UsesCertificate() {
		t.Error("UsesCertificate")
	}
}
