// Package creds keeps VPN passwords in the operating system's keyring:
// the Secret Service on Linux (gnome-keyring, KWallet), the Keychain on
// macOS and the Credential Manager on Windows, through
// github.com/zalando/go-keyring. There is no file fallback: when no
// keyring is reachable every call fails with an error that matches
// ErrNoKeyring, and the caller asks for the password each time.
//
// # Key format
//
// A password is stored under the service name "vpnc-go" and the account
//
//	USER@GROUP@HEADEND
//
// where USER is the login name as typed (it may itself contain "@"),
// GROUP the tunnel group (the profile's UserGroup or --group; empty when
// none) and HEADEND the primary headend's host as the profile or the
// command line names it (the HostAddress, lower case, without port),
// never a backup server's. In GROUP and HEADEND "%" is written "%25" and
// "@" is written "%40", so the account splits unambiguously at its last
// two "@". Example: "alice@ASA-IKEV2@vpn.example.com".
//
// The last user who saved a password for a group and headend is kept
// under the service name "vpnc-go-user" and the account GROUP@HEADEND
// (same escaping), so that a connection without --user finds the
// password, and "vpnc-go forget HOST" without --user knows whose password
// to remove. That entry holds a user name, not a secret.
//
// On Linux go-keyring's Secret Service items carry the attributes
// service and username (the account), so
//
//	secret-tool lookup service vpnc-go username alice@ASA-IKEV2@vpn.example.com
//
// shows a stored password.
package creds

import (
	"errors"
	"fmt"
	"strings"

	"github.com/zalando/go-keyring"
)

// Service names in the keyring.
const (
	Service     = "vpnc-go"      // passwords
	UserService = "vpnc-go-user" // the last user per group and headend
)

var (
	// ErrNoKeyring matches every error that means no keyring could be
	// reached (no session bus, no Secret Service on it, a keyring that
	// stays locked). The password must then be asked each time.
	ErrNoKeyring = errors.New("no keyring available")
	// ErrNotFound means the keyring holds no password for the key.
	ErrNotFound = errors.New("no stored password")
)

// NoKeyringError is the error behind ErrNoKeyring; Err is the keyring
// library's reason (it never contains a secret).
type NoKeyringError struct{ Err error }

func (e *NoKeyringError) Error() string {
	if e.Err == nil {
		return ErrNoKeyring.Error()
	}
	return ErrNoKeyring.Error() + ": " + e.Err.Error()
}

func (e *NoKeyringError) Is(target error) bool { return target == ErrNoKeyring }
func (e *NoKeyringError) Unwrap() error        { return e.Err }

// Key names one stored password.
type Key struct {
	Headend string // the primary headend's host (no port)
	Group   string // tunnel group, may be empty
	User    string
}

// Account is the keyring account of k (see the package comment).
func (k Key) Account() string {
	return k.User + "@" + escape(k.Group) + "@" + escape(normHost(k.Headend))
}

func (k Key) String() string { return k.Account() }

// userAccount is the account of the last-user entry.
func (k Key) userAccount() string { return escape(k.Group) + "@" + escape(normHost(k.Headend)) }

var escaper = strings.NewReplacer("%", "%25", "@", "%40")

func escape(s string) string { return escaper.Replace(s) }

func normHost(h string) string { return strings.ToLower(strings.TrimSpace(h)) }

// backend is go-keyring's API; tests may replace it.
type backend interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (goKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (goKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

var kr backend = goKeyring{}

func (k Key) check() error {
	if strings.TrimSpace(k.Headend) == "" {
		return errors.New("creds: no headend")
	}
	if k.User == "" {
		return errors.New("creds: no user name")
	}
	return nil
}

// Store saves the password for k (replacing any) and remembers k.User as
// the last user of k's group and headend.
func Store(k Key, password string) error {
	if err := k.check(); err != nil {
		return err
	}
	if err := reachable(); err != nil {
		return err
	}
	if err := kr.Set(Service, k.Account(), password); err != nil {
		return wrap("storing the password of "+k.Account(), err)
	}
	if err := kr.Set(UserService, k.userAccount(), k.User); err != nil {
		return wrap("storing the user name for "+k.userAccount(), err)
	}
	return nil
}

// Load returns the password stored for k. An empty k.User means the last
// user who stored one for the group and headend; the user found is
// returned too. A missing password is ErrNotFound.
func Load(k Key) (user, password string, err error) {
	if k.User == "" {
		if k.User, err = LastUser(k.Headend, k.Group); err != nil {
			return "", "", err
		}
	}
	if err := k.check(); err != nil {
		return "", "", err
	}
	if err := reachable(); err != nil {
		return "", "", err
	}
	p, err := kr.Get(Service, k.Account())
	if err != nil {
		return "", "", wrap("reading the password of "+k.Account(), err)
	}
	return k.User, p, nil
}

// LastUser returns the user who last stored a password for group and
// headend, or ErrNotFound.
func LastUser(headend, group string) (string, error) {
	k := Key{Headend: headend, Group: group}
	if strings.TrimSpace(headend) == "" {
		return "", errors.New("creds: no headend")
	}
	if err := reachable(); err != nil {
		return "", err
	}
	u, err := kr.Get(UserService, k.userAccount())
	if err != nil {
		return "", wrap("reading the last user for "+k.userAccount(), err)
	}
	return u, nil
}

// Delete removes the password stored for k; an empty k.User means the
// last user's. It returns the user whose password went, or ErrNotFound
// when there was none. The last-user entry goes when it names that user.
func Delete(k Key) (user string, err error) {
	last, lerr := LastUser(k.Headend, k.Group)
	if lerr != nil && !errors.Is(lerr, ErrNotFound) {
		return "", lerr
	}
	if k.User == "" {
		if lerr != nil {
			return "", lerr
		}
		k.User = last
	}
	if err := k.check(); err != nil {
		return "", err
	}
	err = kr.Delete(Service, k.Account())
	if last == k.User {
		if uerr := kr.Delete(UserService, k.userAccount()); uerr != nil && !errors.Is(uerr, keyring.ErrNotFound) && err == nil {
			err = uerr
		}
	}
	if err != nil {
		return "", wrap("removing the password of "+k.Account(), err)
	}
	return k.User, nil
}

// wrap classifies a go-keyring error: not found, or no usable keyring.
func wrap(what string, err error) error {
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("%s: %w", what, err)
	}
	return &NoKeyringError{Err: fmt.Errorf("%s: %w", what, err)}
}
