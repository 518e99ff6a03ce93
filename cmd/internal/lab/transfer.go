//go:build linux

package lab

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"time"
)

// TransferResult is what Transfer measured.
type TransferResult struct {
	Bytes    int64
	Duration time.Duration
}

// Gbits returns the throughput in Gbit/s.
func (r TransferResult) Gbits() float64 {
	return float64(r.Bytes) * 8 / r.Duration.Seconds() / 1e9
}

// Transfer sends size bytes of pseudo-random data over TCP from namespace
// from to a sink listening on addr in namespace to, and checks that the
// sink received the same bytes (SHA-256).
func (l *Lab) Transfer(ctx context.Context, from, to, addr string, size int64) (TransferResult, error) {
	ln, err := l.Listen(to, addr)
	if err != nil {
		return TransferResult{}, err
	}
	defer ln.Close()
	go sink(ln)

	c, err := l.Dial(ctx, from, addr)
	if err != nil {
		return TransferResult{}, fmt.Errorf("connecting to %s through the tunnel: %w", addr, err)
	}
	defer c.Close()
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	h := sha256.New()
	src := io.LimitReader(rand.NewChaCha8([32]byte{1}), size)
	start := time.Now()
	n, err := io.Copy(io.MultiWriter(c, h), bufio.NewReaderSize(src, 1<<16))
	if err != nil {
		return TransferResult{Bytes: n}, fmt.Errorf("sending after %d bytes: %w", n, err)
	}
	c.(*net.TCPConn).CloseWrite()
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return TransferResult{Bytes: n}, fmt.Errorf("reading the sink's checksum: %w", err)
	}
	res := TransferResult{Bytes: n, Duration: time.Since(start)}
	if got, want := strings.TrimSpace(reply), hex.EncodeToString(h.Sum(nil)); got != want {
		return res, fmt.Errorf("the data arrived altered: checksum %s, sent %s", got, want)
	}
	return res, nil
}

// sink answers one connection with the SHA-256 of what it received.
func sink(ln net.Listener) {
	c, err := ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	h := sha256.New()
	if _, err := io.Copy(h, c); err != nil {
		return
	}
	fmt.Fprintf(c, "%s\n", hex.EncodeToString(h.Sum(nil)))
}
