package profile

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Address is a headend address from HostAddress, HostName or a
// BackupServerList: host[:port][/path].
type Address struct {
	// Host is a DNS name or an IP literal (IPv6 without brackets).
	Host string
	// Port is the port written in the profile, 0 when none. AnyConnect uses
	// it for its TLS connection; IKEv2 starts on UDP 500 whatever it says,
	// so the connection code decides what to do with it.
	Port int
	// Path is a group-URL path such as "engineering" (without the slash),
	// empty when none.
	Path string
}

// String formats the address back as host[:port][/path], bracketing IPv6.
func (a Address) String() string {
	if a.Host == "" {
		return ""
	}
	h := a.Host
	if strings.Contains(h, ":") {
		if a.Port != 0 {
			h = "[" + h + "]"
		}
	}
	if a.Port != 0 {
		h += ":" + strconv.Itoa(a.Port)
	}
	if a.Path != "" {
		h += "/" + a.Path
	}
	return h
}

// IsZero reports whether the address is empty.
func (a Address) IsZero() bool { return a.Host == "" }

// MarshalText makes an Address print as its String form in JSON.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// ParseAddress parses host[:port][/path] as written in HostAddress. An
// "https://" prefix is accepted and dropped (users paste URLs); IPv6 literals
// may be bare (no port) or bracketed. Host names must be ASCII letters,
// digits, '-' and '_' in dot-separated labels of at most 63 characters.
func ParseAddress(s string) (Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, errors.New("empty address")
	}
	orig := s
	if i := strings.Index(s, "://"); i >= 0 {
		if !strings.EqualFold(s[:i], "https") {
			return Address{}, fmt.Errorf("address %q: scheme %q not supported", orig, s[:i])
		}
		s = s[i+3:]
	}
	var a Address
	if i := strings.IndexByte(s, '/'); i >= 0 {
		a.Path = strings.Trim(s[i+1:], "/")
		s = s[:i]
	}
	hostport := s
	switch {
	case strings.HasPrefix(hostport, "["):
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return Address{}, fmt.Errorf("address %q: missing ']'", orig)
		}
		a.Host = hostport[1:end]
		rest := hostport[end+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return Address{}, fmt.Errorf("address %q: unexpected %q after ']'", orig, rest)
			}
			p, err := parsePort(rest[1:])
			if err != nil {
				return Address{}, fmt.Errorf("address %q: %v", orig, err)
			}
			a.Port = p
		}
		if _, err := netip.ParseAddr(a.Host); err != nil || !strings.Contains(a.Host, ":") {
			return Address{}, fmt.Errorf("address %q: %q is not an IPv6 address", orig, a.Host)
		}
		return a, nil
	case strings.Count(hostport, ":") > 1:
		if _, err := netip.ParseAddr(hostport); err != nil {
			return Address{}, fmt.Errorf("address %q: not a valid IPv6 address", orig)
		}
		a.Host = hostport
		return a, nil
	case strings.Contains(hostport, ":"):
		i := strings.IndexByte(hostport, ':')
		p, err := parsePort(hostport[i+1:])
		if err != nil {
			return Address{}, fmt.Errorf("address %q: %v", orig, err)
		}
		a.Port = p
		hostport = hostport[:i]
	}
	a.Host = hostport
	if err := checkHost(a.Host); err != nil {
		return Address{}, fmt.Errorf("address %q: %v", orig, err)
	}
	return a, nil
}

func parsePort(s string) (int, error) {
	if s == "" || len(s) > 5 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", s)
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("port %q is not a number from 1 to 65535", s)
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", s)
	}
	return n, nil
}

func checkHost(h string) error {
	if h == "" {
		return errors.New("empty host")
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return nil
	}
	name := strings.TrimSuffix(h, ".")
	if len(name) == 0 || len(name) > 253 {
		return fmt.Errorf("%q is not a valid host name", h)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%q is not a valid host name", h)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
			if !ok {
				return fmt.Errorf("%q is not a valid host name", h)
			}
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not a valid host name", h)
		}
	}
	return nil
}
