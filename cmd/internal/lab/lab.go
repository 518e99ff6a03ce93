//go:build linux

// Package lab builds the small networks that the demo, the end-to-end
// tests and the benchmark run in: network namespaces joined by veth pairs,
// with documentation addresses that never leave this machine, and the
// processes started inside them. Everything it makes it removes again in
// Close, which is safe to call on any error path.
package lab

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
)

// The demo topology: a client, a headend and an inside host behind it.
//
//	client 192.0.2.2 ---- 192.0.2.1 headend 198.51.100.1 ---- 198.51.100.10 inside
const (
	ClientAddr  = "192.0.2.2"
	HeadendAddr = "192.0.2.1"
	HeadendIn   = "198.51.100.1"
	InsideAddr  = "198.51.100.10"
	InsideDNS   = "198.51.100.53" // the seed group policy's DNS server
	// IPv6 beside: the inside network 2001:db8:1::/64, the seed pool's
	// 2001:db8:2::/64.
	HeadendIn6  = "2001:db8:1::1"
	InsideAddr6 = "2001:db8:1::10"
	InsideNet   = "198.51.100.0/24"
)

// Lab is a set of network namespaces and the processes running in them.
type Lab struct {
	Prefix  string // namespace names start with it
	Dir     string // a scratch folder, removed by Close
	names   []string
	procs   []*Proc
	mu      sync.Mutex
	closed  bool
	Verbose io.Writer // when set, commands and process output go here
}

// New makes an empty lab whose namespaces are called prefix-NAME.
func New(prefix string) (*Lab, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the lab needs root: it creates network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, errors.New("the lab needs the ip command (Debian package iproute2)")
	}
	dir, err := os.MkdirTemp("", prefix+"-")
	if err != nil {
		return nil, err
	}
	return &Lab{Prefix: prefix, Dir: dir}, nil
}

// NS returns the full name of namespace name.
func (l *Lab) NS(name string) string { return l.Prefix + "-" + name }

func (l *Lab) run(args ...string) error {
	if l.Verbose != nil {
		fmt.Fprintln(l.Verbose, "+", strings.Join(args, " "))
	}
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// AddNS creates a namespace with its loopback up and a private
// resolv.conf, so that DNS changes inside it never touch the host's
// (ip netns exec bind-mounts /etc/netns/NAME/resolv.conf).
func (l *Lab) AddNS(name string) error {
	ns := l.NS(name)
	if err := l.run("ip", "netns", "add", ns); err != nil {
		return err
	}
	l.names = append(l.names, ns)
	if err := os.MkdirAll(filepath.Join("/etc/netns", ns), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join("/etc/netns", ns, "resolv.conf"), []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
		return err
	}
	return l.run("ip", "-n", ns, "link", "set", "lo", "up")
}

// Link joins two namespaces with a veth pair and gives each end an
// address (with prefix length).
func (l *Lab) Link(a, aAddr, b, bAddr string) error {
	an, bn := l.NS(a), l.NS(b)
	ai, bi := "to-"+b, "to-"+a
	if err := l.run("ip", "-n", an, "link", "add", ai, "type", "veth", "peer", "name", bi, "netns", bn); err != nil {
		return err
	}
	for _, c := range [][]string{
		{"ip", "-n", an, "addr", "add", aAddr, "dev", ai},
		{"ip", "-n", bn, "addr", "add", bAddr, "dev", bi},
		{"ip", "-n", an, "link", "set", ai, "up"},
		{"ip", "-n", bn, "link", "set", bi, "up"},
	} {
		if err := l.run(c...); err != nil {
			return err
		}
	}
	return nil
}

// AddAddr adds an address to an interface of a namespace; IPv6 ones skip
// duplicate address detection, so they work at once.
func (l *Lab) AddAddr(ns, addr, dev string) error {
	args := []string{"ip", "-n", l.NS(ns), "addr", "add", addr, "dev", dev}
	if strings.Contains(addr, ":") {
		args = append(args, "nodad")
	}
	return l.run(args...)
}

// Route adds a route in a namespace, e.g. Route("inside", "default", "198.51.100.1").
func (l *Lab) Route(ns, dst, via string) error {
	return l.run("ip", "-n", l.NS(ns), "route", "add", dst, "via", via)
}

// Exec runs a command in a namespace to completion and returns its output.
func (l *Lab) Exec(ns string, args ...string) (string, error) {
	full := append([]string{"netns", "exec", l.NS(ns)}, args...)
	if l.Verbose != nil {
		fmt.Fprintln(l.Verbose, "+ ip", strings.Join(full, " "))
	}
	out, err := exec.Command("ip", full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s in %s: %v: %s", strings.Join(args, " "), ns, err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// Proc is a process started in a namespace.
type Proc struct {
	Name  string
	cmd   *exec.Cmd
	lines chan string
	done  chan error
	mu    sync.Mutex
	log   []string
}

// Start starts a long-running command in a namespace. Its output lines are
// kept (Lines) and passed to Wait-for helpers; stdin, when not nil, is
// written to it.
func (l *Lab) Start(ns, name string, stdin string, args ...string) (*Proc, error) {
	full := append([]string{"netns", "exec", l.NS(ns)}, args...)
	cmd := exec.Command("ip", full...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdin = strings.NewReader(stdin)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if l.Verbose != nil {
		fmt.Fprintln(l.Verbose, "+ ip", strings.Join(full, " "), "&")
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{Name: name, cmd: cmd, lines: make(chan string, 1024), done: make(chan error, 1)}
	l.mu.Lock()
	l.procs = append(l.procs, p)
	l.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log = append(p.log, line)
			p.mu.Unlock()
			if l.Verbose != nil {
				fmt.Fprintf(l.Verbose, "[%s] %s\n", name, line)
			}
			select {
			case p.lines <- line:
			default:
			}
		}
		close(p.lines)
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		p.done <- err
	}()
	return p, nil
}

// WaitFor reads the process's output until a line contains want and
// returns that line; it fails when the process exits or the time is up.
func (p *Proc) WaitFor(want string, timeout time.Duration) (string, error) {
	t := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				return "", fmt.Errorf("%s ended before printing %q:\n%s", p.Name, want, p.Output())
			}
			if strings.Contains(line, want) {
				return line, nil
			}
		case <-t:
			return "", fmt.Errorf("%s did not print %q within %s:\n%s", p.Name, want, timeout, p.Output())
		}
	}
}

// Output returns every line the process printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log, "\n")
}

// Stop sends SIGTERM and waits for the process (SIGKILL after timeout).
func (p *Proc) Stop(timeout time.Duration) error {
	if p.cmd.Process == nil {
		return nil
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(timeout):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		err := <-p.done
		p.done <- err
		return fmt.Errorf("%s did not stop within %s; killed", p.Name, timeout)
	}
}

// Close stops every process (by PID) and removes the namespaces, their
// /etc/netns folders and the scratch folder.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	procs := l.procs
	l.mu.Unlock()
	var errs []error
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop(5 * time.Second)
	}
	for _, ns := range l.names {
		if err := l.run("ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
		os.RemoveAll(filepath.Join("/etc/netns", ns))
	}
	os.RemoveAll(l.Dir)
	return errors.Join(errs...)
}

// inNS runs f on a thread switched into namespace ns. Sockets made there
// stay in ns, whichever thread uses them later.
func (l *Lab) inNS(ns string, f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return err
	}
	defer orig.Close()
	target, err := netns.GetFromName(l.NS(ns))
	if err != nil {
		return err
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		return err
	}
	defer netns.Set(orig)
	return f()
}

// Listen opens a TCP listener inside a namespace.
func (l *Lab) Listen(ns, addr string) (net.Listener, error) {
	var ln net.Listener
	err := l.inNS(ns, func() (err error) {
		ln, err = net.Listen("tcp", addr)
		return err
	})
	return ln, err
}

// Dial opens a TCP connection from inside a namespace.
func (l *Lab) Dial(ctx context.Context, ns, addr string) (net.Conn, error) {
	var c net.Conn
	err := l.inNS(ns, func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(ctx, "tcp", addr)
		return err
	})
	return c, err
}

// Kill ends the process and its children at once (SIGKILL), as a crash
// would, and waits for it.
func (p *Proc) Kill() {
	if p.cmd.Process == nil {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	err := <-p.done
	p.done <- err
}

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// ClientHeadend builds the usual two-host network: namespaces "client" and
// "headend" on one link (ClientAddr, HeadendAddr) and HeadendIn on the
// headend's loopback, something to reach through a tunnel.
func (l *Lab) ClientHeadend() error {
	for _, ns := range []string{"client", "headend"} {
		if err := l.AddNS(ns); err != nil {
			return err
		}
	}
	if err := l.Link("client", ClientAddr+"/24", "headend", HeadendAddr+"/24"); err != nil {
		return err
	}
	_, err := l.Exec("headend", "ip", "addr", "add", HeadendIn+"/32", "dev", "lo")
	return err
}
