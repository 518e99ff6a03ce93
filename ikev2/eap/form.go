package eap

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A form the UI layer can render without knowing the method: what a method
// asks the user (an EAP-AnyConnect auth-request, an MS-CHAPv2 retry). The
// peer fills each Field's Value with what it already knows (configured user
// name, earlier answers, the form's defaults); the UI shows the form and
// returns a FormAnswer.

// FieldKind says how to render a Field.
type FieldKind int

const (
	FieldText     FieldKind = iota // visible text input
	FieldPassword                  // hidden while typed, never remembered across errors
	FieldHidden                    // not shown; its Value is sent as is
	FieldSelect                    // one of Options
)

var fieldKindNames = [...]string{"text", "password", "hidden", "select"}

func (k FieldKind) String() string {
	if k >= 0 && int(k) < len(fieldKindNames) {
		return fieldKindNames[k]
	}
	return "FieldKind(" + strconv.Itoa(int(k)) + ")"
}

// Option is one choice of a select Field.
type Option struct {
	Value, Label string
}

// Field is one input of a Form.
type Field struct {
	Name  string
	Label string
	Kind  FieldKind
	// Value is the current value: a default from the headend or a value
	// the peer remembers. Empty means none.
	Value      string
	Options    []Option // FieldSelect only
	SecondAuth bool     // belongs to the second factor (second-auth="1")
}

// Form is what the headend asks.
type Form struct {
	Title   string
	Message string
	Banner  string
	Error   string // why the previous answer was refused; empty the first time
	Fields  []Field
}

// FormAnswer maps field names to what the user entered.
type FormAnswer map[string]string

// FormError is a FormAnswer that does not fit its Form.
type FormError struct {
	Field  string
	Reason string
}

func (e *FormError) Error() string {
	return fmt.Sprintf("eap: AnyConnect form field %q: %s", e.Field, e.Reason)
}

// Field returns the field called name, or nil.
func (f *Form) Field(name string) *Field {
	for i := range f.Fields {
		if f.Fields[i].Name == name {
			return &f.Fields[i]
		}
	}
	return nil
}

// Missing lists the fields that have neither a Value nor an answer in a,
// in form order: what the user still has to provide. Hidden fields are
// never missing.
func (f *Form) Missing(a FormAnswer) []string {
	var out []string
	for _, fl := range f.Fields {
		if _, ok := a[fl.Name]; ok || fl.Kind == FieldHidden || fl.Value != "" {
			continue
		}
		out = append(out, fl.Name)
	}
	return out
}

// Resolve checks a against the form and returns the value of every field:
// the answer when given, else the field's Value. Errors are *FormError:
// an answer for an unknown field, a field without value, a select value
// not among its options, or characters XML cannot carry.
func (f *Form) Resolve(a FormAnswer) (map[string]string, error) {
	names := make([]string, 0, len(a))
	for n := range a {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fl := f.Field(n)
		if fl == nil {
			return nil, &FormError{n, "no such field in the form"}
		}
		if fl.Kind == FieldHidden && a[n] != fl.Value {
			return nil, &FormError{n, "is hidden and cannot be changed"}
		}
	}
	out := make(map[string]string, len(f.Fields))
	for _, fl := range f.Fields {
		v, ok := a[fl.Name]
		if !ok {
			v, ok = fl.Value, fl.Value != "" || fl.Kind == FieldHidden
		}
		if !ok {
			return nil, &FormError{fl.Name, "required, no value given"}
		}
		if !ValidText(v) {
			return nil, &FormError{fl.Name, "value holds characters XML cannot carry"}
		}
		if fl.Kind == FieldSelect && !fl.HasOption(v) {
			return nil, &FormError{fl.Name, fmt.Sprintf("%q is not one of the options %s", v, fl.optionList())}
		}
		out[fl.Name] = v
	}
	return out, nil
}

// Validate is Resolve without the values.
func (f *Form) Validate(a FormAnswer) error {
	_, err := f.Resolve(a)
	return err
}

// HasOption reports whether v is the value of one of the field's Options.
func (fl *Field) HasOption(v string) bool {
	for _, o := range fl.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

func (fl *Field) optionList() string {
	var vs []string
	for _, o := range fl.Options {
		vs = append(vs, strconv.Quote(o.Value))
	}
	return "[" + strings.Join(vs, " ") + "]"
}

// NeedInput is the error a Peer method returns when the authenticator asks
// for something only the user can give. The exchange pauses; the caller
// shows Form, then calls the method's Answer (see Answerer) with the user's
// answers to get the Response for the pending Request.
type NeedInput struct {
	Identifier uint8    // of the pending Request
	Form       *Form    // with every known value filled in
	Missing    []string // fields still without value, in form order
}

func (n *NeedInput) Error() string {
	msg := "eap: AnyConnect headend asks for input"
	if n.Form != nil && n.Form.Error != "" {
		msg += " after an error (" + n.Form.Error + ")"
	}
	if len(n.Missing) > 0 {
		msg += ": " + strings.Join(n.Missing, ", ")
	}
	return msg
}

// ValidText reports whether s holds only characters XML 1.0 can carry,
// which Resolve asks of every answer: EAP-AnyConnect sends answers as XML
// text, and an XML writer would silently replace other characters,
// changing what the user typed.
func ValidText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
	}
	return true
}
