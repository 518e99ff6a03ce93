package esp

import "testing"

func TestDropReasonNames(t *testing.T) {
	seen := map[string]DropReason{}
	for r := range numDropReasons {
		name := r.String()
		if name == "" {
			t.Errorf("drop reason %d has no name", r)
		}
		if o, dup := seen[name]; dup {
			t.Errorf("drop reasons %d and %d are both %q", o, r, name)
		}
		seen[name] = r
	}
	if got := numDropReasons.String(); got != "DropReason(12)" {
		t.Errorf("an unknown reason reads %q", got)
	}
}
