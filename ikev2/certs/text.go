package certs

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTextLen bounds any certificate-derived text put into an error message.
const maxTextLen = 400

// printable makes text that came from a certificate (or from the user) safe
// to print on a terminal or in a log line: control characters, invalid
// UTF-8 and other non-printing runes become Go escapes, and very long text
// is cut. A peer's certificate must not be able to forge log lines or send
// terminal escape sequences through an error message.
func printable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if b.Len() >= maxTextLen {
			b.WriteString("...")
			break
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += n
	}
	return b.String()
}
