package testenv

import (
	"fmt"
	"os"
	"syscall"
)

// accountsLock is shared by every test binary of the module on this
// machine.
const accountsLock = "/run/lock/vpnc-go-tests-accounts.lock"

// LockAccounts serialises changes to the machine's user and group files
// with the tests that depend on them staying put. useradd and groupadd
// replace /etc/passwd and /etc/group with new files, and a test that has
// bind-mounted its own copy over one of them in a private mount namespace
// would then see the machine's file again. Go runs the test binaries of
// several packages at once, so such tests take this lock: briefly around
// each change, or for the whole life of the bind mount. The returned
// function releases it.
func LockAccounts() (unlock func(), err error) {
	f, err := os.OpenFile(accountsLock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("testenv: locking %s: %w", accountsLock, err)
	}
	return func() { f.Close() }, nil // closing the descriptor releases the lock
}
