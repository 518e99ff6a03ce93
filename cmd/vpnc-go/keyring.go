package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/creds"
)

// msgNoKeyring is what the CLI says when no keyring can be reached.
const msgNoKeyring = "no keyring available; the password is asked each time"

// storedLogin is connect's side of the keyring: the password it found
// there and whether to save the one that worked. It never prints a
// password, only the keyring account (user@group@headend).
type storedLogin struct {
	key      creds.Key
	stored   string // the password read from the keyring, "" when none
	save     bool
	verbose  bool
	out, err io.Writer
	up       bool // a login succeeded in this run
}

// loadStoredLogin fills o.Password (and o.Username when not given) from
// the keyring when o has no password yet. The keyring is keyed by the
// profile's primary headend (never a backup), the tunnel group and the
// user; without --user, the last user who saved a password there.
func loadStoredLogin(o *client.Options, headend string, save, verbose bool, out, errw io.Writer) *storedLogin {
	sl := &storedLogin{key: creds.Key{Headend: headend, Group: o.Group, User: o.Username}, save: save, verbose: verbose, out: out, err: errw}
	if o.Auth.UsesCertificate() {
		if save {
			fmt.Fprintf(errw, "warning: --save-password: %s logins use no password; nothing is saved\n", o.Auth)
			sl.save = false
		}
		return sl
	}
	if o.Password != "" {
		return sl // --passwd-on-stdin wins over the keyring
	}
	user, pw, err := creds.Load(sl.key)
	switch {
	case err == nil:
		sl.key.User, sl.stored = user, pw
		o.Password = pw
		if o.Username == "" {
			o.Username = user
		}
		fmt.Fprintf(out, "using the password stored in the keyring for %s\n", sl.key.Account())
	case errors.Is(err, creds.ErrNoKeyring):
		sl.noKeyring(err)
	case verbose:
		fmt.Fprintf(errw, "debug: keyring: %v\n", err)
	}
	return sl
}

func (sl *storedLogin) noKeyring(err error) {
	if sl.save || sl.verbose {
		fmt.Fprintln(sl.err, "warning:", msgNoKeyring)
	}
	if sl.verbose {
		fmt.Fprintf(sl.err, "debug: keyring: %v\n", err)
	}
}

// connected runs once a login succeeded: with --save-password it stores
// the password that worked (replacing a refused one).
// s is the session, or what was sent to the agent.
func (sl *storedLogin) connected(s passwordSource) {
	first := !sl.up
	sl.up = true
	user, pw := s.SavedPassword()
	if sl.stored != "" && pw != sl.stored && !sl.save && first {
		fmt.Fprintf(sl.out, "the keyring's password for %s was refused; connect with --save-password to replace it, or run vpnc-go forget\n",
			sl.key.Account())
	}
	if !sl.save || pw == "" || (pw == sl.stored && user == sl.key.User) {
		return
	}
	k := creds.Key{Headend: sl.key.Headend, Group: sl.key.Group, User: user}
	if user == "" {
		fmt.Fprintln(sl.err, "warning: --save-password: the login had no user name; nothing is saved")
		sl.save = false
		return
	}
	if err := creds.Store(k, pw); err != nil {
		if errors.Is(err, creds.ErrNoKeyring) {
			sl.noKeyring(err)
		} else {
			fmt.Fprintln(sl.err, "warning: saving the password:", err)
		}
		sl.save = false
		return
	}
	sl.key, sl.stored = k, pw
	fmt.Fprintf(sl.out, "saved the password for %s in the keyring\n", k.Account())
}

// passwordSource is a *client.Session, or connect's record of what it
// sent the agent.
type passwordSource interface {
	SavedPassword() (user, password string)
}

// retryWithoutStored reports whether a session that ended with err should
// run again asking for the password: the keyring's password was used and
// the headend refused it before any login succeeded. It clears it from o.
func (sl *storedLogin) retryWithoutStored(o *client.Options, err error) bool {
	if sl.stored == "" || sl.up || o.Password != sl.stored ||
		!errors.Is(err, client.ErrAuthFailed) {
		return false
	}
	fmt.Fprintf(sl.out, "the headend refused the password stored in the keyring for %s; asking for it\n", sl.key.Account())
	o.Password = ""
	return true
}
