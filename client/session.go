package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/profile"
)

// Session is one VPN connection, across reconnects. Drive it with Run;
// read Events until the channel closes; answer forms with Answer; end it
// with Disconnect (or by cancelling Run's context).
type Session struct {
	opts Options
	deps Deps

	events chan Event
	cmds   chan command
	done   chan struct{} // closed when Run returns
	ikeIn  chan datagram
	alive  chan struct{}

	// answers remembers what the user typed, so that a reconnect does not
	// ask again while the headend still accepts it.
	answers eap.FormAnswer

	// changes are the network changes Deps.Paths reports; nil without.
	changes <-chan PathChange
	device  string    // the tunnel's device
	everUp  bool      // a tunnel was up in this session
	upAt    time.Time // when the latest tunnel came up

	mu    sync.Mutex
	login struct{ user, password string } // of the last successful login
	trust *ServerTrust                    // the last headend chain checked
}

type datagram struct {
	from  netip.AddrPort
	encap bool // came on the NAT-T port
	msg   []byte
}

type command struct {
	answer     eap.FormAnswer
	disconnect bool
	reply      chan error
}

// New checks the options and prepares a session.
func New(opts Options, deps Deps) (*Session, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if deps.NewDataPlane == nil {
		return nil, errors.New("client: no data plane")
	}
	if deps.Resolve == nil {
		deps.Resolve = resolve
	}
	s := &Session{
		opts: opts, deps: deps,
		events: make(chan Event, 64),
		cmds:   make(chan command),
		done:   make(chan struct{}),
		ikeIn:  make(chan datagram, 64),
		alive:  make(chan struct{}, 1),
	}
	if opts.Password != "" {
		s.answers = eap.FormAnswer{"password": opts.Password}
	}
	return s, nil
}

func resolve(host string) ([]netip.Addr, error) {
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil {
		return nil, err
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips, nil
}

// Events returns the channel of events; it is closed after the
// DisconnectedEvent.
func (s *Session) Events() <-chan Event { return s.events }

// Answer fills in the form of the last FormEvent. An answer the form does
// not accept (a required field left empty) is returned as an error and the
// form stays open.
func (s *Session) Answer(a FormAnswer) error {
	reply := make(chan error, 1)
	select {
	case s.cmds <- command{answer: eap.FormAnswer(a), reply: reply}:
		return <-reply
	case <-s.done:
		return ErrDisconnected
	}
}

// Disconnect ends the session; Run returns once the headend is told. It
// returns at once when the session has ended already.
func (s *Session) Disconnect() {
	reply := make(chan error, 1)
	select {
	case s.cmds <- command{disconnect: true, reply: reply}:
		<-reply
	case <-s.done:
	}
}

func (s *Session) emit(ctx context.Context, e Event) {
	select {
	case s.events <- e:
	case <-ctx.Done():
	}
}

// Run connects and keeps the tunnel up until the user disconnects, the
// context ends, or the connection fails for good. It returns nil after a
// disconnect the user asked for.
func (s *Session) Run(ctx context.Context) (err error) {
	defer func() {
		err = publicError(err)
		close(s.done)
		s.emit(context.Background(), DisconnectedEvent{Err: err})
		close(s.events)
	}()
	dp, err := s.deps.NewDataPlane(DataPlaneConfig{
		OnIKE: func(from netip.AddrPort, encap bool, msg []byte) {
			select {
			case s.ikeIn <- datagram{from, encap, append([]byte(nil), msg...)}:
			default: // the driver is behind; IKE retransmits
			}
		},
		OnActivity: func() {
			select {
			case s.alive <- struct{}{}:
			default:
			}
		},
		Log: s.opts.Log,
	})
	if err != nil {
		return err
	}
	defer dp.Close()
	s.device, _ = dp.Device()

	if err := s.askCredentials(ctx); err != nil {
		if errors.Is(err, ErrDisconnected) {
			return nil
		}
		return err
	}
	if s.deps.Paths != nil {
		if s.changes, err = s.deps.Paths.Watch(ctx); err != nil {
			s.opts.Log("%v; network changes will be noticed by liveness checks only", err)
		}
	}
	var r retrier
	for {
		wasUp, err := s.connect(ctx, dp)
		switch {
		case errors.Is(err, ErrDisconnected) || ctx.Err() != nil:
			return nil
		case !s.retryable(err, wasUp):
			return err
		}
		if wasUp {
			s.everUp = true
			r.wentDown(time.Since(s.upAt))
		}
		delay, try := r.next(err)
		s.opts.Log("%v; try %d in %s", err, try, delay)
		s.emit(ctx, ErrorEvent{Err: err})
		s.emit(ctx, StageEvent{Stage: StageReconnecting, Detail: fmt.Sprintf("in %s", delay)})
		if stop := s.waitRetry(ctx, delay); stop {
			return nil
		}
	}
}

// Reconnect backoff: the first retry after a failure waits minRetryDelay,
// each further one twice as long up to maxRetryDelay; a tunnel that stayed
// up stableAfter starts the sequence over.
const (
	minRetryDelay = time.Second
	maxRetryDelay = 30 * time.Second
	stableAfter   = time.Minute
)

// retrier paces the connection attempts of a session.
type retrier struct {
	delay time.Duration // the next delay; zero: minRetryDelay
	tries int           // failed attempts since the last stable tunnel
}

// wentDown records a tunnel that was up for d.
func (r *retrier) wentDown(d time.Duration) {
	if d >= stableAfter {
		r.delay, r.tries = 0, 0
	}
}

// next returns how long to wait after the failure err and the number of
// the try that follows. Without a network path the wait is not a try: it
// does not grow, and ends early when the network changes.
func (r *retrier) next(err error) (time.Duration, int) {
	if errors.Is(err, ErrNoPath) {
		return maxRetryDelay, r.tries + 1
	}
	r.tries++
	d := max(r.delay, minRetryDelay)
	r.delay = min(2*d, maxRetryDelay)
	return d, r.tries + 1
}

// retryable tells whether a failed connection is tried again: passing
// failures are (see passing), except a headend that never answered on the
// first connect unless WaitForHeadend, and anything after the tunnel was up
// without AutoReconnect.
func (s *Session) retryable(err error, wasUp bool) bool {
	var dns *net.DNSError
	switch {
	case (wasUp || s.everUp) && errors.As(err, &dns):
		// The name resolved before: an offline resolver may well say it
		// does not exist now.
		return s.opts.AutoReconnect
	case !passing(err):
		return false
	case wasUp || s.everUp:
		return s.opts.AutoReconnect
	case errors.Is(err, ErrNoAnswer):
		return s.opts.WaitForHeadend
	}
	return true
}

// waitRetry waits delay before the next attempt, or less when the network
// changes (connect then checks for a path); it reports true when the user
// or ctx ended the session meanwhile.
func (s *Session) waitRetry(ctx context.Context, delay time.Duration) (stop bool) {
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return false
		case <-ctx.Done():
			return true
		case c := <-s.cmds:
			c.reply <- nil
			if c.disconnect {
				return true
			}
		case c, ok := <-s.changes:
			if !ok {
				s.changes = nil
				continue
			}
			if s.ownDevice(c) {
				continue
			}
			s.opts.Log("network change: %s; trying again now", c)
			return false
		}
	}
}

// ownDevice reports whether c concerns the tunnel's own device, whose
// changes are the session's doing, not the path's.
func (s *Session) ownDevice(c PathChange) bool {
	return c.Link != "" && c.Link == s.device
}

// askCredentials asks for the user name and password up front when a
// standard EAP method needs them and none were given (EAP-AnyConnect asks
// with the headend's own form instead).
func (s *Session) askCredentials(ctx context.Context) error {
	o := s.opts
	if o.Auth == profile.AuthEAPAnyConnect || o.Auth.UsesCertificate() || (s.answers["password"] != "" && o.Username != "") {
		return nil
	}
	form := &eap.Form{Title: "Login to " + o.Server, Fields: []eap.Field{
		{Name: "username", Label: "Username", Kind: eap.FieldText, Value: o.Username},
		{Name: "password", Label: "Password", Kind: eap.FieldPassword},
	}}
	s.emit(ctx, FormEvent{Form: formOf(form)})
	for {
		select {
		case <-ctx.Done():
			return ErrDisconnected
		case c := <-s.cmds:
			if c.disconnect {
				c.reply <- nil
				return ErrDisconnected
			}
			values, err := form.Resolve(c.answer)
			c.reply <- err
			if err != nil {
				continue
			}
			s.opts.Username = values["username"]
			s.remember(eap.FormAnswer{"password": values["password"]})
			return nil
		}
	}
}

// candidate is one address to try, with the name the user (or the
// profile) gave for it, which its certificate must carry.
type candidate struct {
	host string
	addr netip.AddrPort
}

// candidates resolves the headend and its backups, in order.
func (s *Session) candidates(ctx context.Context) ([]candidate, error) {
	var out []candidate
	var errs []error
	for _, server := range append([]string{s.opts.Server}, s.opts.Backups...) {
		host, port, err := splitHostPort(server)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if a, err := netip.ParseAddr(host); err == nil {
			out = append(out, candidate{host, netip.AddrPortFrom(a, port)})
			continue
		}
		s.emit(ctx, StageEvent{Stage: StageResolving, Detail: host})
		addrs, err := s.deps.Resolve(host)
		if err != nil {
			errs = append(errs, fmt.Errorf("resolving %s: %w", host, err))
			continue
		}
		for _, a := range addrs {
			out = append(out, candidate{host, netip.AddrPortFrom(a, port)})
		}
	}
	if len(out) == 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// splitHostPort reads "host", "host:port", "[v6]:port" or a bare IPv6
// address; the port defaults to 500.
func splitHostPort(s string) (string, uint16, error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String(), 500, nil
	}
	host, portText, err := net.SplitHostPort(s)
	if err != nil {
		return s, 500, nil
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return "", 0, fmt.Errorf("headend %q: bad port %q", s, portText)
	}
	return host, uint16(port), nil
}

// connect runs one connection: through the candidates until one answers,
// then until the tunnel ends. wasUp reports whether it got established.
func (s *Session) connect(ctx context.Context, dp DataPlane) (wasUp bool, err error) {
	cands, err := s.candidates(ctx)
	if err != nil {
		return false, err
	}
	var tried []netip.AddrPort
	for i, cand := range cands {
		if p := s.deps.Paths; p != nil {
			if err := p.Usable(cand.addr.Addr()); err != nil {
				return false, &noPathError{cand.addr.Addr(), err}
			}
		}
		c, err := s.newAttempt(cand, dp)
		if err != nil {
			return false, err
		}
		wasUp, err := c.run(ctx)
		tried = append(tried, cand.addr)
		if errors.Is(err, errNoAnswer) && i+1 < len(cands) {
			s.emit(ctx, ErrorEvent{Err: fmt.Errorf("%s did not answer within %s; trying %s", cand.addr, s.opts.AuthTimeout, cands[i+1].addr)})
			continue
		}
		switch {
		case errors.Is(err, errNoAnswer):
			err = &NoIKEv2Error{Tried: tried, Timeout: s.opts.AuthTimeout}
		case refusedInit(err):
			err = &NoIKEv2Error{Tried: tried, Timeout: s.opts.AuthTimeout, Refusal: err}
		}
		return wasUp, err
	}
	return false, &NoIKEv2Error{Tried: tried, Timeout: s.opts.AuthTimeout}
}

// SavedPassword returns the user name and the password of the last
// successful login (the tunnel came up with them): what the user typed or
// Options gave, for a caller that stores it in a keyring. Both are empty
// before a login succeeded; the password is empty for certificate
// logins. Safe to call from any goroutine, typically on a ConnectedEvent.
func (s *Session) SavedPassword() (user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.login.user, s.login.password
}

// loggedIn records the credentials of a login the headend accepted.
func (s *Session) loggedIn() {
	user := s.answers[anyconnect.UserNameField]
	if user == "" {
		user = s.opts.Username
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.login.user, s.login.password = user, s.answers["password"]
}

// remember keeps typed answers (passwords included, in memory only) for
// reconnects.
func (s *Session) remember(a eap.FormAnswer) {
	if s.answers == nil {
		s.answers = eap.FormAnswer{}
	}
	for k, v := range a {
		s.answers[k] = v
	}
}
