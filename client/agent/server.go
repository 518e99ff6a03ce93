package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
)

// Config sets up a Server.
type Config struct {
	Policy *Policy
	// NewSession makes the session for a connect request's options: the
	// OS side (TUN device, network configuration) is chosen here.
	NewSession func(client.Options) (*client.Session, error)
	// Authorize decides who may use the agent, by the peer's credentials
	// (GroupAccess in production); nil lets everyone in.
	Authorize func(Peer) error
	// Logger receives what the agent does (never a secret); nil: none.
	Logger *slog.Logger
	// Build names the agent's version in hello replies.
	Build string
	// Recent keeps the log lines and events diag returns. When set,
	// Logger is expected to feed it (Recent.Handler), so that lines of
	// the agent's other parts (netcfg) are in it too; nil: the server
	// keeps one, fed by Logger.
	Recent *Recent
}

// Server is the agent: it holds at most one session and serves the
// control protocol to any number of front ends.
type Server struct {
	cfg Config
	log *slog.Logger

	// ctx is the sessions' lifetime: the agent's, not a front end's.
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	sess      *session
	lastError string
	conns     map[*conn]struct{}
	listeners []net.Listener
	closed    bool
	recent    *Recent             // the log and events diag returns
	lastTrust *client.ServerTrust // of the last session, once it ended
}

// session is the running client.Session and what the agent knows of it.
type session struct {
	cs      *client.Session
	status  Status
	formSeq int           // counts forms, so an answer clears only its own
	owner   *conn         // the front end that connected
	wasUp   bool          // the tunnel came up at least once
	done    chan struct{} // closed once the session ended and its last event went out
}

// conn is one front end.
type conn struct {
	nc         net.Conn
	peer       Peer
	out        chan Message
	gone       chan struct{}
	once       sync.Once
	finish     chan struct{} // closed: write what is queued, then close
	finishOnce sync.Once
	hello      bool // hello accepted
	subscribed bool // guarded by Server.mu
}

// outQueue is how many messages may wait for a front end; one that falls
// further behind is cut off rather than holding up the others.
const outQueue = 256

// maxConns bounds the front ends connected at once, so that no user of
// the agent can exhaust its file descriptors.
const maxConns = 64

// NewServer checks the configuration.
func NewServer(cfg Config) (*Server, error) {
	if cfg.NewSession == nil {
		return nil, errors.New("agent: no NewSession")
	}
	if cfg.Policy == nil {
		cfg.Policy = &Policy{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, log: log, recent: cfg.Recent, ctx: ctx, cancel: cancel, conns: map[*conn]struct{}{}}
	if s.recent == nil {
		s.recent = &Recent{}
		s.log = slog.New(s.recent.Handler(log.Handler()))
	}
	return s, nil
}

// Serve accepts front ends on l until Shutdown; it returns nil then.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("agent: shut down")
	}
	s.listeners = append(s.listeners, l)
	s.mu.Unlock()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		go s.handle(nc)
	}
}

// Shutdown stops accepting front ends, ends the session cleanly (the
// headend told, the OS restored) and closes every connection.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for _, l := range s.listeners {
		l.Close()
	}
	sess := s.sess
	s.mu.Unlock()
	var err error
	if sess != nil {
		s.log.Info("shutting down: disconnecting", "host", sess.status.Host)
		go sess.cs.Disconnect()
		select {
		case <-sess.done:
		case <-ctx.Done():
			err = fmt.Errorf("agent: the session did not end in time: %w", ctx.Err())
		}
	}
	s.cancel()
	s.mu.Lock()
	for c := range s.conns {
		c.finishOnce.Do(func() { close(c.finish) })
	}
	s.mu.Unlock()
	return err
}

// handle serves one front end: its credentials first, then requests
// until it goes away.
func (s *Server) handle(nc net.Conn) {
	peer, err := peerOf(nc)
	if err != nil {
		s.log.Warn("refused a front end whose credentials cannot be read", "reason", err.Error())
		refuse(nc, &Error{CodeForbidden, "not allowed to use the vpnc-go agent: " + err.Error()})
		return
	}
	if s.cfg.Authorize != nil {
		if err := s.cfg.Authorize(peer); err != nil {
			s.log.Warn("refused a front end", "uid", peer.UID, "pid", peer.PID, "reason", err.Error())
			refuse(nc, &Error{CodeForbidden, "not allowed to use the vpnc-go agent: " + err.Error()})
			return
		}
	}
	c := &conn{nc: nc, peer: peer, out: make(chan Message, outQueue), gone: make(chan struct{}), finish: make(chan struct{})}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		refuse(nc, &Error{CodeUnavailable, "the agent is shutting down"})
		return
	case len(s.conns) >= maxConns:
		s.mu.Unlock()
		s.log.Warn("refused a front end: too many connections", "uid", peer.UID, "pid", peer.PID, "connections", maxConns)
		refuse(nc, &Error{CodeUnavailable, fmt.Sprintf("the agent serves at most %d front ends at once", maxConns)})
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.log.Debug("front end connected", "uid", peer.UID, "pid", peer.PID)
	go c.write()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		abandoned := s.sess
		if abandoned != nil && (abandoned.owner != c || abandoned.wasUp) {
			abandoned = nil
		}
		s.mu.Unlock()
		c.close()
		if abandoned != nil {
			// Nobody is left to answer its forms: a login the front end
			// gave up is not kept waiting (a tunnel that was up stays).
			s.log.Info("the front end that connected left before the tunnel came up: abandoning the attempt", "uid", peer.UID, "pid", peer.PID)
			go abandoned.cs.Disconnect()
		}
		s.log.Debug("front end left", "uid", peer.UID, "pid", peer.PID)
	}()
	br := bufio.NewReaderSize(nc, 4096)
	for {
		line, err := readLine(br, MaxLine)
		switch {
		case errors.Is(err, errLineTooLong):
			c.send(errorReply(0, &Error{CodeTooLong, fmt.Sprintf("request longer than %d bytes; skipped", MaxLine)}))
			continue
		case err != nil:
			return
		}
		req, err := DecodeRequest(line)
		if err != nil {
			c.send(errorReply(idOf(line), err))
			continue
		}
		s.dispatch(c, req)
	}
}

// refuse writes one error and closes the connection.
func refuse(nc net.Conn, e *Error) {
	nc.SetWriteDeadline(time.Now().Add(time.Second))
	if b, err := json.Marshal(errorReply(0, e)); err == nil {
		nc.Write(append(b, '\n'))
	}
	nc.Close()
}

// idOf salvages the id of a request that did not decode, so the error
// reply can name it; 0 when there is none.
func idOf(line []byte) uint64 {
	var r struct {
		ID uint64 `json:"id"`
	}
	if json.Unmarshal(line, &r) != nil {
		return 0
	}
	return r.ID
}

func errorReply(id uint64, err error) Message {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{CodeBadRequest, err.Error()}
	}
	return Message{Type: TypeReply, ID: id, Error: e}
}

func (s *Server) dispatch(c *conn, r *Request) {
	if r.Cmd != CmdHello && !c.hello {
		c.send(errorReply(r.ID, &Error{CodeHelloFirst, "say hello (with the protocol version) first"}))
		return
	}
	switch r.Cmd {
	case CmdHello:
		if r.Version != Version {
			c.send(errorReply(r.ID, &Error{CodeVersion, fmt.Sprintf("the agent speaks protocol version %d, not %d", Version, r.Version)}))
			return
		}
		c.hello = true
		c.send(Message{Type: TypeReply, ID: r.ID, Hello: &HelloResult{
			Version: Version, Agent: s.cfg.Build, UID: c.peer.UID, PID: c.peer.PID,
			Rights: []string{"connect", "disconnect", "watch", "diag"},
		}})
	case CmdDiag:
		c.send(Message{Type: TypeReply, ID: r.ID, Diag: s.diag()})
	case CmdHosts:
		c.send(Message{Type: TypeReply, ID: r.ID, Hosts: s.cfg.Policy.hosts()})
	case CmdStatus:
		c.send(Message{Type: TypeReply, ID: r.ID, Status: s.status()})
	case CmdSubscribe:
		// The status and the subscription under one lock: no event
		// falls between them.
		s.mu.Lock()
		c.subscribed = true
		c.send(Message{Type: TypeReply, ID: r.ID, Status: s.statusLocked()})
		s.mu.Unlock()
	case CmdConnect:
		s.connect(c, r)
	case CmdAnswer:
		s.answer(c, r)
	case CmdDisconnect:
		s.disconnect(c, r)
	}
}

// diag is the reply to diag: status, recent log and events, and the
// headend chain of the current or last session.
func (s *Server) diag() *DiagResult {
	lines, events := s.recent.snapshot()
	s.mu.Lock()
	st := s.statusLocked()
	var cs *client.Session
	if s.sess != nil {
		cs = s.sess.cs
	}
	last := s.lastTrust
	s.mu.Unlock()
	d := &DiagResult{Status: st, Log: lines, Events: events}
	if cs != nil {
		if t, ok := cs.ServerTrust(); ok {
			last = &t
		}
	}
	if last != nil {
		d.ServerTrust = ServerTrustOf(*last)
	}
	return d
}

func (s *Server) status() *Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

func (s *Server) statusLocked() *Status {
	if s.sess == nil {
		return &Status{State: StateIdle, LastError: s.lastError}
	}
	st := s.sess.status
	return &st
}

// busyLocked says which session is up, or returns nil.
func (s *Server) busyLocked() *Error {
	switch {
	case s.closed:
		return &Error{CodeUnavailable, "the agent is shutting down"}
	case s.sess != nil:
		st := s.sess.status
		return &Error{CodeBusy, fmt.Sprintf("already connected to %q (%s, %s, started by uid %d); disconnect first", st.Host, st.Server, st.State, st.OwnerUID)}
	}
	return nil
}

func (s *Server) connect(c *conn, r *Request) {
	req := r.Connect
	s.mu.Lock()
	busy := s.busyLocked()
	s.mu.Unlock()
	if busy != nil {
		c.send(errorReply(r.ID, busy))
		return
	}
	o, t, err := s.cfg.Policy.options(req)
	if err != nil {
		s.log.Warn("connect refused", "uid", c.peer.UID, "pid", c.peer.PID, "request", req.String(), "reason", err.Error())
		c.send(errorReply(r.ID, err))
		return
	}
	o.Log = func(format string, a ...any) { s.log.Debug(fmt.Sprintf(format, a...)) }
	cs, err := s.cfg.NewSession(o)
	if err != nil {
		c.send(errorReply(r.ID, &Error{CodeConnect, err.Error()}))
		return
	}
	sess := &session{cs: cs, owner: c, done: make(chan struct{}), status: Status{
		State: "starting", Host: t.Name, Server: o.Server, Group: o.Group, User: o.Username,
		OwnerUID: c.peer.UID, Since: time.Now().UTC().Truncate(time.Second),
	}}
	s.mu.Lock()
	if busy := s.busyLocked(); busy != nil {
		s.mu.Unlock()
		c.send(errorReply(r.ID, busy))
		return
	}
	s.sess = sess
	s.lastError = ""
	c.subscribed = true
	c.send(Message{Type: TypeReply, ID: r.ID, Status: s.statusLocked()})
	s.mu.Unlock()
	s.log.Info("connecting", "uid", c.peer.UID, "pid", c.peer.PID, "request", req.String(), "server", o.Server, "auth", string(o.Auth))
	s.run(sess)
}

// run starts the session and passes its events to the subscribers.
func (s *Server) run(sess *session) {
	runErr := make(chan error, 1)
	go func() { runErr <- sess.cs.Run(s.ctx) }()
	go func() {
		for e := range sess.cs.Events() {
			s.publish(sess, e)
		}
		err := <-runErr
		s.mu.Lock()
		s.sess = nil
		if t, ok := sess.cs.ServerTrust(); ok {
			s.lastTrust = &t
		}
		if err != nil {
			s.lastError = err.Error()
		}
		s.mu.Unlock()
		close(sess.done)
		s.log.Info("session ended", "host", sess.status.Host, "error", errString(err))
	}()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// publish records an event in the status and sends it to every
// subscriber.
func (s *Server) publish(sess *session, e client.Event) {
	w := EventOf(e)
	s.recent.addEvent(w, time.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &sess.status
	switch w.Kind {
	case KindStage:
		st.State = w.Stage
		s.log.Info("stage", "stage", w.Stage, "detail", w.Detail)
	case KindForm:
		st.Form = w.Form
		sess.formSeq++
		s.log.Info("form", "title", w.Form.Title, "error", w.Form.Error)
	case KindConnected:
		st.State, st.Settings, st.Form = "connected", w.Settings, nil
		sess.wasUp = true
		s.log.Info("tunnel up", "device", w.Settings.Device, "address", w.Settings.Address4.String(), "headend", w.Settings.Headend.String())
	case KindStats:
		st.Stats = w.Stats
	case KindError:
		st.LastError = w.Error
		s.log.Warn("session error", "error", w.Error, "fatal", w.Fatal)
	case KindDisconnected:
		st.State, st.Form = "disconnected", nil
		if w.Error != "" {
			st.LastError = w.Error
		}
	}
	m := Message{Type: TypeEvent, Event: &w}
	for c := range s.conns {
		if c.subscribed {
			c.send(m)
		}
	}
}

func (s *Server) answer(c *conn, r *Request) {
	s.mu.Lock()
	sess := s.sess
	var seq int
	var waiting bool
	if sess != nil {
		seq, waiting = sess.formSeq, sess.status.Form != nil
	}
	s.mu.Unlock()
	switch {
	case sess == nil:
		c.send(errorReply(r.ID, &Error{CodeNoSession, "no session: nothing to answer"}))
		return
	case !waiting:
		c.send(errorReply(r.ID, &Error{CodeNoForm, "no form is waiting for an answer"}))
		return
	}
	// The answer's values are secrets: they go to the session and
	// nowhere else.
	if err := sess.cs.Answer(client.FormAnswer(r.Answer)); err != nil {
		c.send(errorReply(r.ID, &Error{CodeAnswer, err.Error()}))
		return
	}
	s.mu.Lock()
	if sess.formSeq == seq {
		sess.status.Form = nil
	}
	s.mu.Unlock()
	s.log.Info("form answered", "uid", c.peer.UID, "pid", c.peer.PID)
	c.send(Message{Type: TypeReply, ID: r.ID})
}

func (s *Server) disconnect(c *conn, r *Request) {
	s.mu.Lock()
	sess := s.sess
	s.mu.Unlock()
	if sess == nil {
		c.send(errorReply(r.ID, &Error{CodeNoSession, "not connected"}))
		return
	}
	s.log.Info("disconnect asked", "uid", c.peer.UID, "pid", c.peer.PID, "host", sess.status.Host)
	sess.cs.Disconnect()
	select {
	case <-sess.done:
	case <-c.gone:
		return
	}
	c.send(Message{Type: TypeReply, ID: r.ID, Status: s.status()})
}

// send queues a message; a front end too slow to read is cut off.
func (c *conn) send(m Message) {
	select {
	case c.out <- m:
	case <-c.gone:
	default:
		c.close()
	}
}

func (c *conn) close() {
	c.once.Do(func() {
		close(c.gone)
		c.nc.Close()
	})
}

// write sends queued messages, one JSON document per line.
func (c *conn) write() {
	for {
		select {
		case m := <-c.out:
			if !c.writeOne(m) {
				return
			}
		case <-c.finish:
			for {
				select {
				case m := <-c.out:
					if !c.writeOne(m) {
						return
					}
				default:
					c.close()
					return
				}
			}
		case <-c.gone:
			return
		}
	}
}

func (c *conn) writeOne(m Message) bool {
	b, err := json.Marshal(m)
	if err == nil {
		c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, err = c.nc.Write(append(b, '\n'))
	}
	if err != nil {
		c.close()
		return false
	}
	return true
}
