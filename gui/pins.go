package gui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// PinStore keeps the headend keys the user chose to trust ("Connect
// anyway"): a JSON object of host -> "pin-sha256:..." values, in the
// user's settings folder. Only hosts no managed profile names use them.
type PinStore struct{ Path string }

// DefaultPinStore is ~/.config/vpnc-go/trusted-pins.json (the OS's
// settings folder elsewhere).
func DefaultPinStore() (*PinStore, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return nil, err
	}
	return &PinStore{Path: filepath.Join(dir, "vpnc-go", "trusted-pins.json")}, nil
}

func pinHost(host string) string { return strings.ToLower(strings.TrimSpace(host)) }

func (s *PinStore) load() (map[string][]string, error) {
	m := map[string][]string{}
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
	for host, pins := range m {
		for _, p := range pins {
			if !strings.HasPrefix(p, "pin-sha256:") {
				return nil, fmt.Errorf("%s: host %q: %q is not a pin-sha256:... value", s.Path, host, p)
			}
		}
	}
	return m, nil
}

// Pins returns the pins trusted for host.
func (s *PinStore) Pins(host string) ([]string, error) {
	m, err := s.load()
	if err != nil {
		return nil, err
	}
	return m[pinHost(host)], nil
}

// Add trusts pin for host from now on.
func (s *PinStore) Add(host, pin string) error {
	if pinHost(host) == "" || !strings.HasPrefix(pin, "pin-sha256:") {
		return fmt.Errorf("trusted pins: host %q, pin %q: need a host and a pin-sha256:... value", host, pin)
	}
	m, err := s.load()
	if err != nil {
		return err
	}
	if slices.Contains(m[pinHost(host)], pin) {
		return nil
	}
	m[pinHost(host)] = append(m[pinHost(host)], pin)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return err
	}
	tmp := s.Path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.Path)
}
