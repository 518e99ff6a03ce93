package eap

import (
	"errors"
	"strings"
	"testing"
)

func testForm() *Form {
	return &Form{Fields: []Field{
		{Name: "username", Kind: FieldText, Value: "alice"},
		{Name: "password", Kind: FieldPassword},
		{Name: "h", Kind: FieldHidden, Value: "v"},
		{Name: "group_list", Kind: FieldSelect, Options: []Option{{"A", "Group A"}, {"B", "Group B"}}},
	}}
}

func TestFormResolve(t *testing.T) {
	f := testForm()
	if got := f.Missing(nil); strings.Join(got, ",") != "password,group_list" {
		t.Errorf("Missing = %v", got)
	}
	v, err := f.Resolve(FormAnswer{"password": "p", "group_list": "B"})
	if err != nil || v["username"] != "alice" || v["password"] != "p" || v["h"] != "v" || v["group_list"] != "B" || len(v) != 4 {
		t.Fatalf("Resolve = %v, %v", v, err)
	}
	for _, tc := range []struct {
		a           FormAnswer
		field, want string
	}{
		{FormAnswer{"password": "p", "group_list": "A", "bogus": "x"}, "bogus", "no such field"},
		{FormAnswer{"group_list": "A"}, "password", "required"},
		{FormAnswer{"password": "p", "group_list": "C"}, "group_list", `"C" is not one of the options ["A" "B"]`},
		{FormAnswer{"password": "p", "group_list": "A", "h": "changed"}, "h", "hidden"},
		{FormAnswer{"password": "p\x00", "group_list": "A"}, "password", "XML cannot carry"},
		{FormAnswer{"password": "\xff", "group_list": "A"}, "password", "XML cannot carry"},
	} {
		err := f.Validate(tc.a)
		var fe *FormError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%v) = %v, want field %q and %q", tc.a, err, tc.field, tc.want)
		}
	}
	// An empty answer given explicitly is an answer.
	if err := f.Validate(FormAnswer{"password": "", "group_list": "A"}); err != nil {
		t.Errorf("explicit empty password: %v", err)
	}
}

func TestPeerSessionAnswerNeedsAnAnswerer(t *testing.T) {
	s := &PeerSession{Method: &MD5Peer{Secret: "x"}}
	if _, err := s.Answer(FormAnswer{"password": "x"}); err == nil || !strings.Contains(err.Error(), "does not ask") {
		t.Fatalf("MD5 answered a form: %v", err)
	}
}
