package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// HostSetting is what the user chose for one headend: the proposals to
// offer it instead of the defaults (a legacy headend's weak suite, say).
type HostSetting struct {
	IKE string `json:"ike,omitempty"`
	ESP string `json:"esp,omitempty"`
}

// HostStore keeps per-host settings in a JSON file, one entry per host
// name (lower case):
//
//	{"vpn.example.com": {"ike": "aes192-sha1-modp1024"}}
//
// AnyConnect profiles have no element for IKE or ESP proposals (a Secure
// Client takes the headend's policy as it comes), so the choice lives here.
type HostStore struct{ Path string }

// DefaultHostStore is $XDG_CONFIG_HOME/vpnc-go/hosts.json
// (~/.config/vpnc-go/hosts.json; the OS's user config folder elsewhere).
func DefaultHostStore() (*HostStore, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return nil, err
	}
	return &HostStore{Path: filepath.Join(dir, "vpnc-go", "hosts.json")}, nil
}

func hostKey(host string) string { return strings.ToLower(strings.TrimSpace(host)) }

func (s *HostStore) load() (map[string]HostSetting, error) {
	m := map[string]HostSetting{}
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	for host, hs := range m {
		if _, err := CheckProposals(hs.IKE, hs.ESP); err != nil {
			return nil, fmt.Errorf("%s: host %q: %w", s.Path, host, err)
		}
	}
	return m, nil
}

// Get returns the setting for host, if any.
func (s *HostStore) Get(host string) (HostSetting, bool, error) {
	m, err := s.load()
	if err != nil {
		return HostSetting{}, false, err
	}
	hs, ok := m[hostKey(host)]
	return hs, ok, nil
}

// Set stores the setting for host; an empty setting removes the entry.
func (s *HostStore) Set(host string, hs HostSetting) error {
	if hostKey(host) == "" {
		return errors.New("host settings: no host name")
	}
	if _, err := CheckProposals(hs.IKE, hs.ESP); err != nil {
		return err
	}
	m, err := s.load()
	if err != nil {
		return err
	}
	if hs == (HostSetting{}) {
		delete(m, hostKey(host))
	} else {
		m[hostKey(host)] = hs
	}
	return s.save(m)
}

// Hosts lists the hosts with a setting, sorted.
func (s *HostStore) Hosts() ([]string, error) {
	m, err := s.load()
	if err != nil {
		return nil, err
	}
	var out []string
	for h := range m {
		out = append(out, h)
	}
	sort.Strings(out)
	return out, nil
}

// save writes the file atomically (a temporary file renamed over it).
func (s *HostStore) save(m map[string]HostSetting) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.Path), ".hosts-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.Path)
}
