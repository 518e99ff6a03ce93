package diag

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/profile"
)

// Sources are where a bundle's parts come from. System returns the real
// ones; every field may be nil, and the part it feeds is then listed as
// missing.
type Sources struct {
	// Version is vpnc-go's version and build information, as text.
	Version string
	// GOOS selects the commands that show the network configuration.
	GOOS string
	// User is the name of the user running diag.
	User string
	// Now is the time the bundle is dated with.
	Now func() time.Time
	// ReadFile reads a file (os.ReadFile).
	ReadFile func(path string) ([]byte, error)
	// Exists says whether a path exists.
	Exists func(path string) bool
	// Run runs a command and returns its output (stdout and stderr).
	Run func(ctx context.Context, name string, args ...string) ([]byte, error)
	// Agent asks the agent for its status, log, events and the headend's
	// chain.
	Agent func(ctx context.Context) (*agent.DiagResult, error)
	// Profiles discovers the profiles in effect (managed, pushed, user).
	Profiles func() *profile.Catalog
	// StateFile is the netcfg journal's path.
	StateFile string
}

// Options change what goes into a bundle.
type Options struct {
	// RedactIdentities replaces user names and headend host names with
	// placeholders (user-1, headend-1) in every file.
	RedactIdentities bool
}

// ManifestName is the manifest's name inside the bundle's folder.
const ManifestName = "MANIFEST.json"

// Manifest says what a bundle holds.
type Manifest struct {
	Created            time.Time `json:"created"`
	Version            string    `json:"version"`
	IdentitiesRedacted bool      `json:"identities_redacted"`
	// Placeholders lists the placeholders used (never the names).
	Placeholders []string    `json:"placeholders,omitempty"`
	Files        []FileEntry `json:"files"`
	// Missing lists what could not be collected, and why.
	Missing []Missing `json:"missing,omitempty"`
	// NeverIncluded says what a bundle never holds.
	NeverIncluded []string `json:"never_included"`
}

// FileEntry is one file of the bundle.
type FileEntry struct {
	Name string `json:"name"`
	What string `json:"what"`
	Size int    `json:"size"`
	// Redacted says what was removed or replaced in it.
	Redacted []string `json:"redacted,omitempty"`
}

// Missing is a part that could not be collected.
type Missing struct {
	What string `json:"what"`
	Why  string `json:"why"`
}

var neverIncluded = []string{
	"passwords and form answers (the agent never records them)",
	"private keys, PKCS#12 files and their passwords (never read)",
	"keyring entries (the keyring is never opened)",
	"session tokens and cookies (field values removed)",
	"IKE and ESP keys, key log files (never read; key lines removed)",
}

// part is one file before it is written.
type part struct {
	name, what string
	text       string
	redacted   []string
}

// Write collects a bundle from src and writes it to w as a gzipped tar
// holding one folder, dir. It fails only when w does; a source that fails
// is listed in the manifest's Missing.
func Write(ctx context.Context, w io.Writer, dir string, src Sources, opt Options) (*Manifest, error) {
	c := &collector{src: src, opt: opt, ids: newIdentities()}
	if src.Now == nil {
		c.src.Now = time.Now
	}
	now := c.src.Now().UTC()
	c.collect(ctx)
	m := &Manifest{Created: now, Version: firstLine(src.Version), IdentitiesRedacted: opt.RedactIdentities, NeverIncluded: neverIncluded, Missing: c.missing}
	for i := range c.parts {
		p := &c.parts[i]
		text, notes := scrub(p.text)
		p.redacted = append(p.redacted, notes...)
		if opt.RedactIdentities {
			var used []string
			text, used = c.ids.replace(text)
			if len(used) > 0 {
				p.redacted = append(p.redacted, "identities replaced: "+strings.Join(used, ", "))
			}
		}
		p.text = text
		m.Files = append(m.Files, FileEntry{Name: p.name, What: p.what, Size: len(p.text), Redacted: p.redacted})
	}
	if opt.RedactIdentities {
		m.Placeholders = c.ids.placeholders()
		for i := range m.Missing {
			m.Missing[i].Why, _ = c.ids.replace(m.Missing[i].Why)
		}
	}
	m.Files = append([]FileEntry{{Name: ManifestName, What: "this manifest: every file, what it is, what was removed from it; what could not be collected"}}, m.Files...)
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	all := append([]part{{name: ManifestName, text: string(mb) + "\n"}}, c.parts...)
	return m, writeTarGz(w, dir, now, all)
}

func writeTarGz(w io.Writer, dir string, now time.Time, parts []part) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, p := range parts {
		h := &tar.Header{Name: dir + "/" + p.name, Mode: 0o644, Size: int64(len(p.text)), ModTime: now, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.WriteString(tw, p.text); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// Summary is one line about a bundle, for the user.
func (m *Manifest) Summary() string {
	s := fmt.Sprintf("%d files", len(m.Files))
	if len(m.Missing) > 0 {
		var ws []string
		for _, x := range m.Missing {
			w, _, _ := strings.Cut(x.What, " (")
			ws = append(ws, w)
		}
		s += "; not collected: " + strings.Join(ws, ", ")
	}
	if m.IdentitiesRedacted {
		s += "; user and headend names replaced"
	} else {
		s += "; user and headend names kept (--redact-identities removes them)"
	}
	return s + "; no passwords, keys or tokens"
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// text makes file content printable: invalid UTF-8 (a binary file where
// text was expected) is not kept.
func text(b []byte) (string, bool) {
	if !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}
