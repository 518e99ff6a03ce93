package profile

import (
	"fmt"
	"strings"
)

// Severity tells whether a Problem makes a profile file unusable.
type Severity int

const (
	// SeverityError rejects the whole file: none of its hosts are used.
	SeverityError Severity = iota
	// SeverityWarning is reported but the file is still used.
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// MarshalText makes Severity print as "error" or "warning" in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// A Problem is one finding in one profile file. Line is 1-based; 0 means the
// problem concerns the file as a whole (it could not be read, for example).
// Path is the element path, such as
// /AnyConnectProfile/ServerList/HostEntry[2]/HostName, or empty.
type Problem struct {
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	Path     string   `json:"path,omitempty"`
	Message  string   `json:"message"`
	Severity Severity `json:"severity"`
}

// String formats the problem as "file:line: path: message"; warnings carry a
// "warning: " prefix on the message.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	if p.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every finding for a file, in document order.
type Problems []Problem

// HasErrors reports whether any problem has SeverityError.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns only the problems with SeverityError.
func (ps Problems) Errors() Problems { return ps.filter(SeverityError) }

// Warnings returns only the problems with SeverityWarning.
func (ps Problems) Warnings() Problems { return ps.filter(SeverityWarning) }

func (ps Problems) filter(s Severity) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// Err returns nil when there is no error-severity problem, and otherwise an
// *InvalidError holding every problem (warnings included).
func (ps Problems) Err() error {
	if !ps.HasErrors() {
		return nil
	}
	return &InvalidError{Problems: ps}
}

// InvalidError is returned for a profile file that has at least one
// error-severity problem. Its message lists every problem, one a line.
type InvalidError struct {
	Problems Problems
}

func (e *InvalidError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
