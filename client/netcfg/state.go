package netcfg

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
)

// stateVersion is written into every state file; Recover refuses others.
const stateVersion = 1

// Kinds of recorded change.
const (
	chMTU        = "mtu"
	chUp         = "up"
	chAddr       = "addr"
	chRoute      = "route"
	chResolved   = "dns-resolved"
	chResolvConf = "dns-file"
)

// state is the JSON state file: the changes made, in order. A change is
// recorded (Done false) before it is made and marked Done after; undoing
// tolerates changes that were recorded but never made.
type state struct {
	Version int `json:"version"`
	PID     int `json:"pid"`
	// StartTime tells a live owner from a reused PID (see procStartTime).
	StartTime uint64   `json:"start_time,omitempty"`
	NetNS     string   `json:"netns,omitempty"`
	Changes   []change `json:"changes"`
}

type change struct {
	Kind string `json:"kind"`
	Done bool   `json:"done"`
	// Link the change belongs to; the name guards against a reused index
	// after a crash (the tunnel device dies with the process).
	Ifindex int    `json:"ifindex,omitempty"`
	Ifname  string `json:"ifname,omitempty"`

	OldMTU int          `json:"old_mtu,omitempty"`
	Addr   netip.Prefix `json:"addr,omitzero"`
	Route  *routeRec    `json:"route,omitempty"`
	File   *fileBackup  `json:"file,omitempty"`
	Bus    string       `json:"bus,omitempty"` // D-Bus address used (empty: system bus)
}

type routeRec struct {
	Dst      netip.Prefix `json:"dst"`
	Gw       netip.Addr   `json:"gw,omitzero"`
	Ifindex  int          `json:"ifindex"`
	Ifname   string       `json:"ifname"`
	Table    int          `json:"table"`
	Protocol int          `json:"protocol"`
	Metric   int          `json:"metric,omitempty"`
	Scope    int          `json:"scope,omitempty"`
}

func (r routeRec) String() string {
	s := r.Dst.String()
	if r.Gw.IsValid() {
		s += " via " + r.Gw.String()
	}
	return s + " dev " + r.Ifname
}

// fileBackup holds what is needed to put resolv.conf back: its original
// bytes (or symlink target) and what was written, to notice if someone else
// changed the file since.
type fileBackup struct {
	Path     string      `json:"path"`
	Existed  bool        `json:"existed"`
	Symlink  string      `json:"symlink,omitempty"`
	Mode     fs.FileMode `json:"mode,omitempty"`
	Original []byte      `json:"original,omitempty"`
	Written  []byte      `json:"written,omitempty"`
	InPlace  bool        `json:"in_place,omitempty"` // written through (bind mount), not replaced
}

func loadState(path string) (*state, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netcfg: read state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("netcfg: parse state file %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("netcfg: state file %s has version %d, want %d", path, st.Version, stateVersion)
	}
	return &st, nil
}

// saveState writes the state atomically (temporary file, fsync, rename), or
// removes the file when nothing is recorded.
func saveState(path string, st *state) error {
	if st == nil || len(st.Changes) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("netcfg: remove state: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b, 0o600)
}

func writeFileAtomic(path string, b []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("netcfg: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("netcfg: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("netcfg: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("netcfg: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("netcfg: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("netcfg: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("netcfg: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
