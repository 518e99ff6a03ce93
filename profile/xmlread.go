package profile

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// maxDepth bounds element nesting. The deepest element of the schema sits at
// depth 7; the margin is for newer, unknown elements.
const maxDepth = 64

// MaxFileSize bounds the size of one profile file. Real profiles are a few
// kilobytes.
const MaxFileSize = 4 << 20

// xmlDoc is a parsed profile document with the source line of every element.
//
// etree keeps no positions, so the bytes are tokenized twice with the same
// encoding/xml settings: a first pass records, for each start tag in document
// order, the line where the tag begins (xml.Decoder.InputPos before the
// token is read) and checks well-formedness with line numbers; etree then
// builds the tree, and a pre-order walk of that tree (which is document order
// of start tags) pairs each element with its line.
type xmlDoc struct {
	root  *etree.Element
	lines map[*etree.Element]int
}

func (d *xmlDoc) line(e *etree.Element) int {
	if d == nil || e == nil {
		return 0
	}
	return d.lines[e]
}

// syntaxError is a malformed-XML finding with the line it was found on.
type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return e.msg }

// charsetReader accepts the charsets profiles are written in. UTF-8 and
// US-ASCII pass through; ISO-8859-1 (latin1) is converted. Anything else is an
// error rather than mojibake.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		for _, c := range b {
			out.WriteRune(rune(c))
		}
		return &out, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (want UTF-8 or ISO-8859-1)", charset)
}

func newDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	return d
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readXML parses data into a tree with line numbers. A malformed document
// yields a *syntaxError.
func readXML(data []byte) (*xmlDoc, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	starts, err := scanStarts(data)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: charsetReader, MaxDepth: maxDepth + 1}
	if err := doc.ReadFromBytes(data); err != nil {
		// The first pass accepted the input, so this should not happen.
		return nil, &syntaxError{msg: "malformed XML: " + err.Error()}
	}
	root := doc.Root()
	if root == nil {
		return nil, &syntaxError{line: 1, msg: "malformed XML: no root element"}
	}
	d := &xmlDoc{root: root, lines: make(map[*etree.Element]int, len(starts))}
	i := 0
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if i < len(starts) {
			d.lines[e] = starts[i]
		}
		i++
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	for _, e := range doc.ChildElements() {
		walk(e)
	}
	if i != len(starts) {
		// Keep going without lines rather than report wrong ones.
		clear(d.lines)
	}
	return d, nil
}

// scanStarts checks well-formedness and returns the line of every start tag
// in document order.
func scanStarts(data []byte) ([]int, error) {
	dec := newDecoder(data)
	var stack []xml.Name
	var starts []int
	rootDone := false
	for {
		line, _ := dec.InputPos()
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, xmlSyntax(dec, line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if rootDone {
				return nil, &syntaxError{line: line, msg: fmt.Sprintf("malformed XML: element <%s> after the root element", qname(t.Name))}
			}
			if len(stack) >= maxDepth {
				return nil, &syntaxError{line: line, msg: fmt.Sprintf("malformed XML: elements nested deeper than %d", maxDepth)}
			}
			stack = append(stack, t.Name)
			starts = append(starts, line)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, &syntaxError{line: line, msg: fmt.Sprintf("malformed XML: unexpected end tag </%s>", qname(t.Name))}
			}
			top := stack[len(stack)-1]
			if top != t.Name {
				return nil, &syntaxError{line: line, msg: fmt.Sprintf("malformed XML: element <%s> closed by </%s>", qname(top), qname(t.Name))}
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				rootDone = true
			}
		case xml.CharData:
			if len(stack) == 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, &syntaxError{line: line, msg: "malformed XML: text outside the root element"}
			}
			if !utf8.Valid(t) {
				return nil, &syntaxError{line: line, msg: "malformed XML: invalid UTF-8"}
			}
		}
	}
	if len(stack) > 0 {
		line, _ := dec.InputPos()
		return nil, &syntaxError{line: line, msg: fmt.Sprintf("malformed XML: unexpected end of file, <%s> not closed", qname(stack[len(stack)-1]))}
	}
	if len(starts) == 0 {
		return nil, &syntaxError{line: 1, msg: "malformed XML: no root element"}
	}
	return starts, nil
}

func xmlSyntax(dec *xml.Decoder, line int, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg := se.Msg
		return &syntaxError{line: se.Line, msg: "malformed XML: " + msg}
	}
	if l, _ := dec.InputPos(); l > line {
		line = l
	}
	return &syntaxError{line: line, msg: "malformed XML: " + err.Error()}
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}
