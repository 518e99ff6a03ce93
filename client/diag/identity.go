package diag

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// identities replaces user names and headend host names with stable
// placeholders (user-1, headend-1), the same in every file.
type identities struct {
	names map[string]string // lower-cased name → placeholder
	count map[string]int    // placeholders given, by kind
}

func newIdentities() *identities {
	return &identities{names: map[string]string{}, count: map[string]int{}}
}

// add registers a name of a kind ("user", "headend"). IP literals and
// names too short to replace safely are left alone; a headend address's
// port and path are not part of its name.
func (id *identities) add(kind, name string) {
	name = strings.TrimSpace(name)
	if kind == "headend" {
		if h, _, ok := strings.Cut(name, "/"); ok {
			name = h
		}
		if ap, err := netip.ParseAddrPort(name); err == nil {
			name = ap.Addr().String()
		} else if i := strings.LastIndexByte(name, ':'); i > 0 && !strings.Contains(name[:i], ":") {
			name = name[:i]
		}
	}
	if len(name) < 3 {
		return
	}
	if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		return
	}
	key := lowerASCII(name)
	if _, ok := id.names[key]; ok {
		return
	}
	id.count[kind]++
	id.names[key] = fmt.Sprintf("%s-%d", kind, id.count[kind])
}

// placeholders lists what replaces what, for the manifest (without the
// names themselves).
func (id *identities) placeholders() []string {
	var out []string
	for _, p := range id.names {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// replace substitutes every registered name standing as a word of its
// own (case-insensitively), longest names first, and says which
// placeholders it wrote.
func (id *identities) replace(text string) (string, []string) {
	if len(id.names) == 0 {
		return text, nil
	}
	keys := make([]string, 0, len(id.names))
	for k := range id.names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) > len(keys[j])
		}
		return keys[i] < keys[j]
	})
	lower := lowerASCII(text)
	used := map[string]bool{}
	var b strings.Builder
	for i := 0; i < len(text); {
		k := matchAt(lower, i, keys)
		if k == "" {
			b.WriteByte(text[i])
			i++
			continue
		}
		b.WriteString(id.names[k])
		used[id.names[k]] = true
		i += len(k)
	}
	var ps []string
	for p := range used {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return b.String(), ps
}

// matchAt returns the key found at i with word boundaries on both sides.
func matchAt(lower string, i int, keys []string) string {
	if i > 0 && isNameByte(lower[i-1]) {
		return ""
	}
	for _, k := range keys {
		if !strings.HasPrefix(lower[i:], k) {
			continue
		}
		end := i + len(k)
		if end < len(lower) {
			c := lower[end]
			if c == '.' && end+1 < len(lower) && isNameByte(lower[end+1]) && lower[end+1] != '.' {
				continue
			}
			if c != '.' && isNameByte(c) {
				continue
			}
		}
		return k
	}
	return ""
}

// isNameByte says whether c may be part of a user or host name.
func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c >= 0x80
}

// lowerASCII lowers ASCII letters only, so that byte offsets stay put.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
