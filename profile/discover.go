package profile

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Environment variables that override the profile folders.
const (
	// EnvSystemDirs replaces the list of system (managed) folders. It is a
	// list separated by os.PathListSeparator (':' on Unix, ';' on Windows);
	// set but empty means no system folders.
	EnvSystemDirs = "VPNC_GO_PROFILE_DIRS"
	// EnvUserDir replaces the per-user folder; set but empty means none.
	EnvUserDir = "VPNC_GO_USER_PROFILE_DIR"
)

// Class says where a profile came from. It orders precedence: on a HostName
// clash an explicit file beats a system one, which beats a user one.
type Class int

const (
	ClassExplicit Class = iota // named with --profile
	ClassSystem                // a managed folder (MDM, packages, the ASA)
	ClassUser                  // the user's own folder
)

func (c Class) String() string {
	switch c {
	case ClassExplicit:
		return "explicit"
	case ClassSystem:
		return "system"
	case ClassPushed:
		return "pushed"
	default:
		return "user"
	}
}

// MarshalText makes Class print by name in JSON.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// SystemDirs returns the managed profile folders for an operating system
// (runtime.GOOS values), in precedence order. getenv supplies %ProgramData%
// on Windows. Deployment tools drop Cisco profiles into the first two; the
// last is vpnc-go's own.
func SystemDirs(goos string, getenv func(string) string) []string {
	switch goos {
	case "windows":
		pd := getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return []string{
			pd + `\Cisco\Cisco Secure Client\VPN\Profile`,
			pd + `\Cisco\Cisco AnyConnect Secure Mobility Client\Profile`,
			pd + `\vpnc-go\profile`,
		}
	default: // linux, darwin and other Unix systems
		return []string{
			"/opt/cisco/secureclient/vpn/profile",
			"/opt/cisco/anyconnect/profile",
			"/etc/vpnc-go/profile",
		}
	}
}

// UserDirs returns the per-user profile folders: vpnc-go's own
// ($XDG_CONFIG_HOME/vpnc-go/profile, else ~/.config/vpnc-go/profile; on
// Windows %AppData%\vpnc-go\profile), and on macOS also Secure Client's
// per-user folder. home may be empty when unknown.
func UserDirs(goos, home string, getenv func(string) string) []string {
	var dirs []string
	switch goos {
	case "windows":
		if ad := getenv("AppData"); ad != "" {
			dirs = append(dirs, ad+`\vpnc-go\profile`)
		} else if home != "" {
			dirs = append(dirs, home+`\AppData\Roaming\vpnc-go\profile`)
		}
		return dirs
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		dirs = append(dirs, filepath.Join(x, "vpnc-go", "profile"))
	} else if home != "" {
		dirs = append(dirs, filepath.Join(home, ".config", "vpnc-go", "profile"))
	}
	if goos == "darwin" && home != "" {
		dirs = append(dirs, filepath.Join(home, "Library", "Application Support", "Cisco", "Cisco Secure Client", "VPN", "Profile"))
	}
	return dirs
}

// Options control Discover. The zero value discovers the folders of the
// running system.
type Options struct {
	// Files are explicit profile files (--profile), highest precedence,
	// in the order given.
	Files []string
	// SystemDirs, when non-nil, replaces the system folders (and
	// VPNC_GO_PROFILE_DIRS). An empty non-nil slice means none.
	SystemDirs []string
	// UserDirs, when non-nil, replaces the user folders (and
	// VPNC_GO_USER_PROFILE_DIR). An empty non-nil slice means none.
	UserDirs []string
	// PushedDirs, when non-nil, replaces the folder of headend-pushed
	// profiles (PushedDir). An empty non-nil slice means none.
	PushedDirs []string
	// GOOS selects the folder tables; empty means runtime.GOOS.
	GOOS string
	// Getenv and Home replace os.Getenv and os.UserHomeDir, for tests.
	Getenv func(string) string
	Home   string
}

func (o Options) dirs() (system, user []string) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	goos := o.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	lookup := func(k string) (string, bool) {
		if o.Getenv != nil {
			v := o.Getenv(k)
			return v, v != ""
		}
		return os.LookupEnv(k)
	}
	system = o.SystemDirs
	if system == nil {
		if v, ok := lookup(EnvSystemDirs); ok {
			system = []string{}
			for _, d := range filepath.SplitList(v) {
				if d != "" {
					system = append(system, d)
				}
			}
		} else {
			system = SystemDirs(goos, getenv)
		}
	}
	user = o.UserDirs
	if user == nil {
		if v, ok := lookup(EnvUserDir); ok {
			user = []string{}
			if v != "" {
				user = append(user, v)
			}
		} else {
			home := o.Home
			if home == "" {
				home, _ = os.UserHomeDir()
			}
			user = UserDirs(goos, home, getenv)
		}
	}
	return system, user
}

// FileResult is the outcome for one profile file.
type FileResult struct {
	Path  string `json:"path"`
	Class Class  `json:"class"`
	// Profile is nil when the file could not be parsed at all.
	Profile  *Profile `json:"-"`
	Problems Problems `json:"problems,omitempty"`
	// Used is false when the file has errors: none of its hosts count.
	Used bool `json:"used"`
}

// Entry is one selectable host with where it came from.
type Entry struct {
	HostEntry
	Source string `json:"source"`
	Class  Class  `json:"class"`
	// Profile is the file the entry came from; its Client settings apply.
	Profile *Profile `json:"-"`
	// Supported is false for entries vpnc-go cannot connect to; Reason
	// says why.
	Supported bool   `json:"supported"`
	Reason    string `json:"reason,omitempty"`
	// Note is said before connecting: for a host whose profile names SSL,
	// that vpnc-go tries IKEv2 instead. Empty for IPsec hosts.
	Note string `json:"note,omitempty"`
}

// Shadowed records an entry hidden by another with the same HostName.
type Shadowed struct {
	Name     string `json:"name"`
	Source   string `json:"source"`
	WinnerIn string `json:"winner_source"`
}

// Notes for hosts whose profile names SSL, explicitly or by leaving
// PrimaryProtocol at its schema default. vpnc-go speaks IKEv2 only and
// tries it for them: many AnyConnect headends accept both, and the profile
// schema has no element that restricts a host to SSL.
const (
	NoteSSL        = "the profile names SSL; vpnc-go speaks IKEv2: trying IKEv2 on UDP 500"
	NoteSSLDefault = "the profile names SSL (the default: no PrimaryProtocol); vpnc-go speaks IKEv2: trying IKEv2 on UDP 500"
)

// ReasonNoAddress explains why an entry without an address cannot be used
// (an SSL entry whose HostName is a display name and which has no
// HostAddress; the same in an IPsec entry is an error).
const ReasonNoAddress = "no HostAddress, and HostName is not a host address"

// sslNote returns the note for an entry, empty for IPsec entries.
func sslNote(h HostEntry) string {
	switch {
	case h.Protocol != ProtocolSSL:
		return ""
	case h.ProtocolSet:
		return NoteSSL
	default:
		return NoteSSLDefault
	}
}

// Catalog is every profile found and the hosts they offer.
type Catalog struct {
	// Entries are the selectable hosts, in precedence order: explicit
	// files, then system folders, then user folders; within a class in
	// the order of folders, files sorted by name, and entries in file
	// order.
	Entries []Entry `json:"hosts"`
	// Shadowed lists entries hidden by a HostName clash.
	Shadowed []Shadowed `json:"shadowed,omitempty"`
	// Files lists every file looked at, valid or not.
	Files []FileResult `json:"files"`
}

// Problems returns the problems of every file, in file order.
func (c *Catalog) Problems() Problems {
	var out Problems
	for _, f := range c.Files {
		out = append(out, f.Problems...)
	}
	return out
}

// Discover finds and parses profiles.
//
// Sources, in precedence order: explicit files (Options.Files), then the
// system folders, then the folder of headend-pushed profiles, then the user
// folders. Only regular files whose names end
// in ".xml" (any case) are read, sorted by name within a folder; missing
// folders are skipped silently. A file reached twice is read once.
//
// A file with any error-severity problem contributes no hosts, but its
// problems are in Files and the other files are unaffected. On a HostName
// clash (case-insensitive) between files, the entry from the higher class
// wins: explicit over system over pushed over user, so neither a pushed
// profile nor a user's can redirect a managed host name; within a class the first one found wins.
// The loser is listed in Shadowed.
func Discover(opts Options) *Catalog {
	system, user := opts.dirs()
	c := &Catalog{}
	seen := map[string]bool{}
	add := func(path string, class Class) {
		key := path
		if abs, err := filepath.Abs(path); err == nil {
			key = abs
		}
		if seen[key] {
			return
		}
		seen[key] = true
		prof, probs := ParseFile(path)
		c.Files = append(c.Files, FileResult{
			Path: path, Class: class, Profile: prof, Problems: probs,
			Used: prof != nil && !probs.HasErrors(),
		})
	}
	for _, f := range opts.Files {
		add(f, ClassExplicit)
	}
	scan := func(dir string, class Class) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			if !os.IsNotExist(err) {
				c.Files = append(c.Files, FileResult{Path: dir, Class: class, Problems: Problems{{
					File: dir, Message: "cannot read profile folder: " + err.Error(), Severity: SeverityWarning,
				}}})
			}
			return
		}
		var names []string
		for _, e := range ents {
			if !strings.EqualFold(filepath.Ext(e.Name()), ".xml") {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
				continue
			}
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names {
			add(filepath.Join(dir, n), class)
		}
	}
	for _, d := range system {
		scan(d, ClassSystem)
	}
	for _, d := range opts.pushedDirs() {
		scan(d, ClassPushed)
	}
	for _, d := range user {
		scan(d, ClassUser)
	}

	// Files are already in precedence order, so first wins.
	winner := map[string]string{}
	for _, f := range c.Files {
		if !f.Used {
			continue
		}
		for _, h := range f.Profile.Hosts {
			key := strings.ToLower(h.Name)
			if src, taken := winner[key]; taken {
				c.Shadowed = append(c.Shadowed, Shadowed{Name: h.Name, Source: f.Path, WinnerIn: src})
				continue
			}
			winner[key] = f.Path
			e := Entry{HostEntry: h, Source: f.Path, Class: f.Class, Profile: f.Profile, Supported: true, Note: sslNote(h)}
			if h.Address.IsZero() {
				e.Supported = false
				e.Reason = ReasonNoAddress
			}
			c.Entries = append(c.Entries, e)
		}
	}
	return c
}
