package anyconnect

import (
	"fmt"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
)

// formFromAuth turns the <auth> of an auth-request into a Form. Inputs of
// type submit, reset and button carry nothing and are left out; any other
// unknown type is refused, naming it, rather than shown wrongly.
func formFromAuth(a *Auth) (*eap.Form, error) {
	f := &eap.Form{Title: a.Title, Banner: a.Banner}
	if a.Message != nil {
		f.Message = a.Message.Text
	}
	if a.Error != nil {
		f.Error = a.Error.Text
	}
	if a.Form == nil {
		return f, nil
	}
	seen := map[string]bool{}
	for i, it := range a.Form.Items {
		where := fmt.Sprintf("auth/form/%s #%d", def(it.Element, "input"), i+1)
		fl := eap.Field{Name: it.Name, Label: it.Label, Value: it.Value, SecondAuth: it.SecondAuth}
		if it.Element == "select" {
			fl.Kind, fl.Value = eap.FieldSelect, ""
			for _, o := range it.Options {
				fl.Options = append(fl.Options, eap.Option{Value: o.Value, Label: def(o.Label, o.Value)})
				if o.Selected && fl.Value == "" {
					fl.Value = o.Value
				}
			}
			if len(fl.Options) == 0 {
				return nil, configAuthError(where, "select %q has no options", it.Name)
			}
		} else {
			switch it.Type {
			case "text", "":
				fl.Kind = eap.FieldText
			case "password":
				fl.Kind = eap.FieldPassword
			case "hidden":
				fl.Kind = eap.FieldHidden
			case "submit", "reset", "button":
				continue
			default:
				return nil, configAuthError(where, "input %q has type %q, which this client does not support", it.Name, it.Type)
			}
		}
		if !validXMLName(it.Name) {
			return nil, configAuthError(where, "field name %q cannot be used as an element name", it.Name)
		}
		if seen[it.Name] {
			return nil, configAuthError(where, "field name %q appears twice", it.Name)
		}
		seen[it.Name] = true
		f.Fields = append(f.Fields, fl)
	}
	return f, nil
}
