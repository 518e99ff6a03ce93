//go:build !linux

package headend

import "errors"

// setupHost is Linux only: the headend emulator needs netlink for its
// routes and /proc for forwarding.
func setupHost(dev string, cfg *Config) (undo func(), err error) {
	return func() {}, errors.New("the headend emulator runs on Linux only")
}
