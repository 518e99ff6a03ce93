package anyconnect

import (
	"bytes"
	"strings"
	"unicode"

	"github.com/beevik/etree"
)

// Helpers for reading and writing the config-auth XML.

// XMLAttr is an attribute kept as it was, name with its prefix if any.
type XMLAttr struct {
	Name, Value string
}

func otherAttrs(e *etree.Element, known ...string) []XMLAttr {
	var out []XMLAttr
next:
	for _, a := range e.Attr {
		k := a.FullKey()
		for _, n := range known {
			if k == n {
				continue next
			}
		}
		out = append(out, XMLAttr{k, a.Value})
	}
	return out
}

func addAttrs(e *etree.Element, attrs []XMLAttr) {
	for _, a := range attrs {
		e.CreateAttr(a.Name, a.Value)
	}
}

// text returns the character data directly inside e, CDATA included.
func text(e *etree.Element) string {
	var b strings.Builder
	for _, t := range e.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// trimText is text without surrounding whitespace, for identifiers, numbers
// and URIs that an indenting writer may have padded.
func trimText(e *etree.Element) string { return strings.TrimSpace(text(e)) }

func textElement(tag, value string) *etree.Element {
	e := etree.NewElement(tag)
	if value != "" {
		e.SetText(value)
	}
	return e
}

func isTrue(s string) bool {
	s = strings.TrimSpace(s)
	return s == "1" || strings.EqualFold(s, "true") || strings.EqualFold(s, "yes")
}

func ptr(s string) *string { return &s }

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// xmlCanonical serialises a subtree for comparisons (opaque echo checks).
func xmlCanonical(e *etree.Element) []byte {
	if e == nil {
		return nil
	}
	var b bytes.Buffer
	doc := etree.NewDocument()
	doc.SetRoot(e.Copy())
	doc.WriteTo(&b)
	return b.Bytes()
}

// validXMLName reports whether s can be an element name of our own making:
// a letter or underscore, then letters, digits, '-', '_' or '.'; no
// namespace prefix.
func validXMLName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r)):
		default:
			return false
		}
	}
	return !strings.HasPrefix(strings.ToLower(s), "xml")
}
