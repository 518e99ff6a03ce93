package client

import (
	"strconv"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// A Form is what the headend (or the session, for a standard EAP method)
// asks the user: a title, messages and input fields, renderable by any user
// interface without knowing the protocol. Answer it with Session.Answer.
type Form struct {
	Title   string
	Message string
	Banner  string
	// Error says why the previous answer was refused; empty the first
	// time the form is asked.
	Error  string
	Fields []Field
}

// Field is one input of a Form.
type Field struct {
	Name  string
	Label string
	Kind  FieldKind
	// Value is a default (from the headend, the profile or an earlier
	// answer). Password fields never carry one in an event.
	Value   string
	Options []Option // FieldSelect only
	// SecondFactor marks a field of the second authentication factor.
	SecondFactor bool
}

// Option is one choice of a FieldSelect.
type Option struct{ Value, Label string }

// FieldKind says how to show a Field.
type FieldKind int

const (
	FieldText     FieldKind = iota // visible text
	FieldPassword                  // hidden while typed
	FieldHidden                    // not shown; its Value is sent as is
	FieldSelect                    // one of Options (the tunnel group list)
)

var fieldKindNames = [...]string{"text", "password", "hidden", "select"}

func (k FieldKind) String() string {
	if k >= 0 && int(k) < len(fieldKindNames) {
		return fieldKindNames[k]
	}
	return "FieldKind(" + strconv.Itoa(int(k)) + ")"
}

// FormAnswer maps field names to what the user entered. A field left out
// keeps its Value.
type FormAnswer map[string]string

// Field returns the field called name, or nil.
func (f *Form) Field(name string) *Field {
	for i := range f.Fields {
		if f.Fields[i].Name == name {
			return &f.Fields[i]
		}
	}
	return nil
}

// formOf turns the EAP layer's form into what events carry, with the
// values of password fields cleared: a method may prefill what it knows (a
// stored password), but events go to user interfaces and logs, which must
// never see one.
func formOf(f *eap.Form) *Form {
	out := &Form{Title: f.Title, Message: f.Message, Banner: f.Banner, Error: f.Error, Fields: make([]Field, len(f.Fields))}
	for i, fl := range f.Fields {
		field := Field{Name: fl.Name, Label: fl.Label, Kind: fieldKindOf[fl.Kind], Value: fl.Value, SecondFactor: fl.SecondAuth}
		if field.Kind == FieldPassword {
			field.Value = ""
		}
		for _, o := range fl.Options {
			field.Options = append(field.Options, Option(o))
		}
		out.Fields[i] = field
	}
	return out
}

var fieldKindOf = map[eap.FieldKind]FieldKind{
	eap.FieldText: FieldText, eap.FieldPassword: FieldPassword, eap.FieldHidden: FieldHidden, eap.FieldSelect: FieldSelect,
}
