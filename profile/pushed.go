package profile

import (
	"os"
	"path/filepath"
	"runtime"
)

// Profiles pushed by a headend. After a connection, the client fetches the
// profiles the headend lists (client.Options.PushedProfileDir) and stores
// them in a folder of their own, which Discover reads between the managed
// (system) folders and the user's: a pushed profile never overrides a
// managed host name, and the user's own files never override a pushed one.

// EnvPushedDir replaces the folder of headend-pushed profiles; set but
// empty means none (nothing is stored or read).
const EnvPushedDir = "VPNC_GO_PUSHED_PROFILE_DIR"

// ClassPushed marks a profile a headend pushed. It ranks below
// ClassSystem and above ClassUser (see Discover); its number is last only
// so that the older classes keep theirs.
const ClassPushed Class = ClassUser + 1

// PushedDirFor returns the folder of headend-pushed profiles for an
// operating system (runtime.GOOS values): /var/lib/vpnc-go/profile on
// Linux and other Unix systems, /Library/Application
// Support/vpnc-go/profile on macOS, %ProgramData%\vpnc-go\pushed-profile
// on Windows. It is written by whoever connects (root or the agent) and
// readable by every user.
func PushedDirFor(goos string, getenv func(string) string) string {
	switch goos {
	case "windows":
		pd := getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return pd + `\vpnc-go\pushed-profile`
	case "darwin":
		return "/Library/Application Support/vpnc-go/profile"
	}
	return "/var/lib/vpnc-go/profile"
}

// PushedDir returns the folder of headend-pushed profiles of the running
// system: $VPNC_GO_PUSHED_PROFILE_DIR when set (empty: none), else
// PushedDirFor.
func PushedDir() string {
	if v, ok := os.LookupEnv(EnvPushedDir); ok {
		if v == "" {
			return ""
		}
		return filepath.Clean(v)
	}
	return PushedDirFor(runtime.GOOS, os.Getenv)
}

func (o Options) pushedDirs() []string {
	if o.PushedDirs != nil {
		return o.PushedDirs
	}
	if o.Getenv != nil || o.GOOS != "" {
		getenv := o.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		if v := getenv(EnvPushedDir); v != "" {
			return []string{v}
		}
		goos := o.GOOS
		if goos == "" {
			goos = runtime.GOOS
		}
		return []string{PushedDirFor(goos, getenv)}
	}
	if d := PushedDir(); d != "" {
		return []string{d}
	}
	return nil
}
