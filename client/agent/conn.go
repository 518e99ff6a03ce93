package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/vpnc-go/vpnc-go/client"
)

// Conn is a front end's connection to the agent. Its methods may be
// called from several goroutines; events arrive on Events once
// subscribed (Subscribe, or Connect, which subscribes).
type Conn struct {
	nc    net.Conn
	hello HelloResult

	wmu    sync.Mutex // one request line at a time
	mu     sync.Mutex
	nextID uint64
	wait   map[uint64]chan Message
	err    error // why the connection ended

	events chan client.Event
	done   chan struct{}
}

// Dial connects to the agent's socket and says hello. A refusal (the
// caller is not allowed in) is an *Error with Code CodeForbidden.
func Dial(ctx context.Context, path string) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	return NewConn(ctx, nc)
}

// NewConn says hello on an open connection to the agent.
func NewConn(ctx context.Context, nc net.Conn) (*Conn, error) {
	c := &Conn{nc: nc, wait: map[uint64]chan Message{}, events: make(chan client.Event, 1024), done: make(chan struct{})}
	go c.read()
	m, err := c.call(ctx, Request{Cmd: CmdHello, Version: Version})
	if err != nil {
		nc.Close()
		return nil, err
	}
	if m.Hello == nil {
		nc.Close()
		return nil, errors.New("agent: hello reply without a result")
	}
	c.hello = *m.Hello
	return c, nil
}

// Hello returns what the agent answered to hello.
func (c *Conn) Hello() HelloResult { return c.hello }

// Events delivers the session's events as client.Event values, the same
// types a client.Session sends. It is closed when the connection ends.
// Read it promptly: while it is full, replies wait too.
func (c *Conn) Events() <-chan client.Event { return c.events }

// Err says why the connection ended (nil while it is open).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the connection. The agent's session is not affected.
func (c *Conn) Close() error { return c.nc.Close() }

// Hosts lists the managed hosts and whether others are allowed.
func (c *Conn) Hosts(ctx context.Context) (*HostsResult, error) {
	m, err := c.call(ctx, Request{Cmd: CmdHosts})
	if err != nil {
		return nil, err
	}
	if m.Hosts == nil {
		return nil, errors.New("agent: hosts reply without hosts")
	}
	return m.Hosts, nil
}

// Connect starts a session; its events follow on Events. It returns once
// the agent accepted the request, not once the tunnel is up.
func (c *Conn) Connect(ctx context.Context, req ConnectRequest) (*Status, error) {
	return c.statusCall(ctx, Request{Cmd: CmdConnect, Connect: &req})
}

// Answer fills in the form of the last form event.
func (c *Conn) Answer(ctx context.Context, a client.FormAnswer) error {
	if a == nil {
		a = client.FormAnswer{}
	}
	_, err := c.call(ctx, Request{Cmd: CmdAnswer, Answer: a})
	return err
}

// Disconnect ends the agent's session and returns once it ended.
func (c *Conn) Disconnect(ctx context.Context) (*Status, error) {
	return c.statusCall(ctx, Request{Cmd: CmdDisconnect})
}

// Status returns the agent's state.
func (c *Conn) Status(ctx context.Context) (*Status, error) {
	return c.statusCall(ctx, Request{Cmd: CmdStatus})
}

// Subscribe asks for the session's events and returns the state they
// start from (with the form waiting for an answer, if any).
func (c *Conn) Subscribe(ctx context.Context) (*Status, error) {
	return c.statusCall(ctx, Request{Cmd: CmdSubscribe})
}

// Diag returns the agent's status, recent log and events. An agent that
// predates the command says so in an *Error with Code CodeBadRequest.
func (c *Conn) Diag(ctx context.Context) (*DiagResult, error) {
	m, err := c.call(ctx, Request{Cmd: CmdDiag})
	if err != nil {
		return nil, err
	}
	if m.Diag == nil {
		return nil, errors.New("agent: diag reply without a result")
	}
	return m.Diag, nil
}

func (c *Conn) statusCall(ctx context.Context, r Request) (*Status, error) {
	m, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	if m.Status == nil {
		return nil, fmt.Errorf("agent: %s reply without a status", r.Cmd)
	}
	return m.Status, nil
}

// call sends a request and waits for its reply; an error reply is
// returned as *Error.
func (c *Conn) call(ctx context.Context, r Request) (Message, error) {
	reply := make(chan Message, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return Message{}, err
	}
	c.nextID++
	r.ID = c.nextID
	c.wait[r.ID] = reply
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.wait, r.ID)
		c.mu.Unlock()
	}()
	b, err := json.Marshal(r)
	if err != nil {
		return Message{}, err
	}
	c.wmu.Lock()
	_, err = c.nc.Write(append(b, '\n'))
	c.wmu.Unlock()
	if err != nil {
		// The agent may have refused us and closed: its reason is better
		// than the broken pipe.
		select {
		case <-c.done:
			var ae *Error
			if errors.As(c.Err(), &ae) {
				return Message{}, ae
			}
		case <-ctx.Done():
		}
		return Message{}, fmt.Errorf("agent: %w", err)
	}
	select {
	case m := <-reply:
		if m.Error != nil {
			return m, m.Error
		}
		return m, nil
	case <-c.done:
		return Message{}, c.Err()
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// read passes replies to their callers and events to Events.
func (c *Conn) read() {
	br := bufio.NewReaderSize(c.nc, 4096)
	var err error
	for {
		var line []byte
		line, err = readLine(br, MaxLine<<4) // settings and forms may be long
		if err != nil {
			break
		}
		var m Message
		if err = json.Unmarshal(line, &m); err != nil {
			err = fmt.Errorf("agent: bad message: %v", err)
			break
		}
		if m.Type == TypeEvent && m.Event != nil {
			e, eerr := m.Event.ClientEvent()
			if eerr != nil {
				continue // a newer agent's event this front end does not know
			}
			c.events <- e
			continue
		}
		if m.ID == 0 && m.Error != nil {
			if m.Error.Code == CodeForbidden || m.Error.Code == CodeUnavailable {
				err = m.Error // the agent refused the connection
				break
			}
			continue // about a line that was not ours to answer
		}
		c.mu.Lock()
		ch := c.wait[m.ID]
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
	c.mu.Lock()
	if c.err == nil {
		c.err = fmt.Errorf("agent: connection closed: %w", err)
		var ae *Error
		if errors.As(err, &ae) {
			c.err = ae
		}
	}
	c.mu.Unlock()
	c.nc.Close()
	close(c.done)
	close(c.events)
}
