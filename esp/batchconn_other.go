//go:build !linux

package esp

import (
	"errors"
	"net"
)

var disableUDPOffload = false

func newBatchConn(c *net.UDPConn, batch int) (BatchConn, error) { return simpleConn{c}, nil }

func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }
