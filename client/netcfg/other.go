//go:build !linux

package netcfg

import (
	"context"
	"errors"
)

// ErrUnsupported is returned on systems without an implementation yet.
var ErrUnsupported = errors.New("netcfg: not implemented on this operating system")

// NewLinux returns ErrUnsupported outside Linux.
func NewLinux(opts Options) (Manager, error) { return nil, ErrUnsupported }

// Recover does nothing outside Linux.
func Recover(ctx context.Context, opts Options) error { return nil }
