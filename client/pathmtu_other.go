//go:build !linux

package client

import (
	"errors"
	"net/netip"
)

// PathMTU is not implemented on this system yet.
func PathMTU(netip.Addr) (int, error) {
	return 0, errors.New("path MTU lookup is not implemented on this system")
}
