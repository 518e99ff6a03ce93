package diag

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	// certBlock is a PEM certificate: public, kept as is.
	certBlock = regexp.MustCompile(`(?s)-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----.*?-----END (?:X509 |TRUSTED )?CERTIFICATE-----`)
	// keyBlock is any other PEM block (private keys, encrypted keys,
	// PKCS#12 or PKCS#7 wrapped as PEM), ended or cut off.
	keyBlock = regexp.MustCompile(`(?s)-----BEGIN [A-Z0-9 #]+-----.*?(?:-----END [A-Z0-9 #]+-----|\z)`)
	// base64Run is encoded binary (a PKCS#12 file, a key) outside a
	// certificate block: nothing a diagnosis needs is that long.
	base64Run = regexp.MustCompile(`[A-Za-z0-9+/]{100,}={0,2}`)
	// keyLog finds lines of Wireshark's IKEv2 and ESP decryption tables
	// (the key log): two hex values joined by a comma (SPIi,SPIr,SK_ei,
	// ...), an ESP SA line ("IPv4","src","dst",...), or a 0x value of
	// 128 bits or more. SPIs alone ("IKE SA 7aeab06f.../eb14e318...")
	// are kept: they are on the wire, and say which SA a line is about.
	keyLog = regexp.MustCompile(`(?i)\b(?:0x)?[0-9a-f]{16,}\s*,\s*(?:0x)?[0-9a-f]{16,}\b|"IPv[46]"\s*,\s*"|\b0x[0-9a-f]{32,}\b`)
	// secretField is a field whose value is a secret, as key=value,
	// key: value or "key":"value".
	secretField = regexp.MustCompile(`(?i)([\w.-]*(?:password|passwd|passphrase|secret|token|cookie|sk_[a-z]{1,2})[\w.-]*"?\s*[=:]\s*)("(?:[^"\\]|\\.)*"|[^\s,;}\]]+)`)
)

// scrub removes what may be secret from one text file and says what it
// removed, for the manifest.
func scrub(text string) (string, []string) {
	var counts [4]int
	var out strings.Builder
	last := 0
	for _, loc := range certBlock.FindAllStringIndex(text, -1) {
		out.WriteString(scrubOutside(text[last:loc[0]], &counts))
		out.WriteString(text[loc[0]:loc[1]])
		last = loc[1]
	}
	out.WriteString(scrubOutside(text[last:], &counts))
	var notes []string
	for i, what := range []string{"PEM block(s) other than certificates (private keys)", "long base64 run(s) (encoded keys or PKCS#12)", "key log line(s)", "secret field value(s) (password, token, cookie)"} {
		if counts[i] > 0 {
			notes = append(notes, fmt.Sprintf("%d %s", counts[i], what))
		}
	}
	return out.String(), notes
}

func scrubOutside(s string, counts *[4]int) string {
	s = keyBlock.ReplaceAllStringFunc(s, func(string) string { counts[0]++; return "[private key removed]" })
	s = base64Run.ReplaceAllStringFunc(s, func(m string) string {
		if !mixed(m) {
			return m // a long path or word, not encoded data
		}
		counts[1]++
		return "[encoded data removed]"
	})
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if keyLog.MatchString(l) {
			counts[2]++
			lines[i] = "[key material removed]"
			if strings.HasSuffix(l, "\n") {
				lines[i] += "\n"
			}
		}
	}
	s = strings.Join(lines, "")
	return secretField.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretField.FindStringSubmatch(m)
		if sub[2] == `"[removed]"` || sub[2] == "[removed]" || sub[2] == `""` {
			return m
		}
		counts[3]++
		if strings.HasPrefix(sub[2], `"`) {
			return sub[1] + `"[removed]"`
		}
		return sub[1] + "[removed]"
	})
}

// mixed says whether s has digits, upper and lower case letters, as
// encoded binary data does.
func mixed(s string) bool {
	var d, u, l bool
	for _, c := range s {
		d = d || c >= '0' && c <= '9'
		u = u || c >= 'A' && c <= 'Z'
		l = l || c >= 'a' && c <= 'z'
	}
	return d && u && l
}
