package client

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// ErrDisconnected is the reason of a session the user ended.
var ErrDisconnected = errors.New("disconnected by the user")

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

	mu    sync.Mutex
	login struct{ user, password string } // of the last successful login
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
func (s *Session) Answer(a eap.FormAnswer) error {
	reply := make(chan error, 1)
	select {
	case s.cmds <- command{answer: a, reply: reply}:
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

	if err := s.askCredentials(ctx); err != nil {
		if errors.Is(err, ErrDisconnected) {
			return nil
		}
		return err
	}
	delay := time.Second
	for {
		wasUp, err := s.connect(ctx, dp)
		switch {
		case errors.Is(err, ErrDisconnected) || ctx.Err() != nil:
			return nil
		case !s.opts.AutoReconnect || !wasUp || !reconnectable(err):
			return err
		}
		s.emit(ctx, ErrorEvent{Err: err})
		s.emit(ctx, StageEvent{Stage: StageReconnecting, Detail: fmt.Sprintf("in %s", delay)})
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil
		case c := <-s.cmds:
			c.reply <- nil
			if c.disconnect {
				return nil
			}
		}
		delay = min(2*delay, 30*time.Second)
	}
}

// askCredentials asks for the user name and password up front when a
// standard EAP method needs them and none were given (EAP-AnyConnect asks
// with the headend's own form instead).
func (s *Session) askCredentials(ctx context.Context) error {
	o := s.opts
	if o.Auth == AuthAnyConnect || o.Auth.UsesCertificate() || (s.answers["password"] != "" && o.Username != "") {
		return nil
	}
	form := &eap.Form{Title: "Login to " + o.Server, Fields: []eap.Field{
		{Name: "username", Label: "Username", Kind: eap.FieldText, Value: o.Username},
		{Name: "password", Label: "Password", Kind: eap.FieldPassword},
	}}
	s.emit(ctx, FormEvent{Form: form})
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

// reconnectable tells failures worth a new attempt: a headend that went
// silent or dropped us, not refused credentials or configuration errors.
func reconnectable(err error) bool {
	return errors.Is(err, ikev2.ErrPeerDead) || errors.Is(err, ikev2.ErrClosedByPeer)
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
	for i, cand := range cands {
		c, err := s.newConn(cand, dp)
		if err != nil {
			return false, err
		}
		wasUp, err := c.run(ctx)
		if errors.Is(err, errNoAnswer) && i+1 < len(cands) {
			s.emit(ctx, ErrorEvent{Err: fmt.Errorf("%s did not answer within %s; trying %s", cand.addr, s.opts.AuthTimeout, cands[i+1].addr)})
			continue
		}
		return wasUp, err
	}
	return false, errNoAnswer
}

var errNoAnswer = errors.New("the headend did not answer")

// closeWait is how long a disconnect waits for the headend to confirm its
// Delete before leaving anyway.
const closeWait = 2 * time.Second

// conn is one attempt with one headend address.
type conn struct {
	s       *Session
	dp      DataPlane
	remote  netip.AddrPort
	ini     *ikev2.Initiator
	started time.Time
	heard   bool
	up      bool
	wasUp   bool
	applied bool
	waiting bool           // a form is out
	child   *ikev2.ChildSA // the newest CHILD SA
}

func (s *Session) newConn(cand candidate, dp DataPlane) (*conn, error) {
	remote := cand.addr
	local, err := dp.LocalAddr(remote)
	if err != nil {
		return nil, fmt.Errorf("no route to %s: %w", remote, err)
	}
	cfg, err := s.initiatorConfig(local, cand)
	if err != nil {
		return nil, err
	}
	ini, err := ikev2.NewInitiator(cfg)
	if err != nil {
		return nil, err
	}
	return &conn{s: s, dp: dp, remote: remote, ini: ini}, nil
}

// initiatorConfig translates the options for the IKE layer.
func (s *Session) initiatorConfig(local netip.AddrPort, cand candidate) (ikev2.InitiatorConfig, error) {
	o := s.opts
	remote := cand.addr
	cfg := ikev2.InitiatorConfig{
		// ForceEncap: the data plane sends ESP in UDP only, so the
		// headend must expect it even where there is no NAT.
		Config: ikev2.Config{Timers: o.Timers, CiscoVendorIDs: o.Auth == AuthAnyConnect, ExportKeys: o.KeyLog != nil,
			ForceEncap: true, Log: o.Log},
		Local: local, Remote: remote,
		EAPIdentity: o.Username,
		AppVersion:  "vpnc-go",
	}
	var err error
	if o.IKEProposals != "" {
		if cfg.IKEProposals, err = ikev2.ParseProposals(o.IKEProposals, wire.ProtoIKE); err != nil {
			return cfg, err
		}
		if weak := ikev2.WeakAlgorithms(cfg.IKEProposals); len(weak) > 0 {
			o.Log("offering weak IKE algorithms as asked: %s", strings.Join(weak, "; "))
		}
	}
	if o.ESPProposals != "" {
		if cfg.ESPProposals, err = ikev2.ParseProposals(o.ESPProposals, wire.ProtoESP); err != nil {
			return cfg, err
		}
	}
	if o.Identity != nil {
		cfg.Identity = *o.Identity
	}
	if cfg.VerifyPeer, err = s.verifier(cand.host); err != nil {
		return cfg, err
	}
	if o.ClientCert != nil {
		cfg.Credentials = &ikev2.Credentials{Signer: o.ClientCert.Signer}
		for _, c := range o.ClientCert.Chain {
			cfg.Credentials.Chain = append(cfg.Credentials.Chain, c.Raw)
		}
		if o.Auth.UsesCertificate() && o.Identity == nil {
			// Standards headends look the client's key up by the
			// certificate's subject, which is what IDi then says.
			cfg.Identity = wire.ID{IDType: wire.ID_DER_ASN1_DN, Data: o.ClientCert.Chain[0].RawSubject}
		}
	}
	if !o.Auth.UsesCertificate() {
		cfg.EAP = s.eapMethod(remote)
	}
	return cfg, nil
}

// verifier checks the headend's certificate against the system roots, the
// CA file and the pins, for the name dialled (ServerName overrides it).
func (s *Session) verifier(host string) (ikev2.PeerVerifier, error) {
	o := s.opts
	name := o.ServerName
	if name == "" {
		name = host
	}
	trust := certs.NewTrustConfig(name, time.Now())
	if o.CAFile != "" {
		cas, err := certs.LoadCAFile(o.CAFile)
		if err != nil {
			return nil, err
		}
		trust.ExtraCAs = cas
	}
	if _, err := certs.ParsePins(o.Pins); err != nil {
		return nil, err
	}
	trust.Pins = o.Pins
	return func(chain [][]byte) (*x509.Certificate, error) {
		trust.Now = time.Now()
		return certs.VerifyServer(chain, trust)
	}, nil
}

// eapMethod builds the EAP peer of the chosen method.
func (s *Session) eapMethod(remote netip.AddrPort) eap.Peer {
	o := s.opts
	switch o.Auth {
	case AuthMSCHAPv2:
		return &eap.MSCHAPv2Peer{UserName: o.Username, Password: s.answers["password"], Rand: rand.Reader, AskRetry: true}
	case AuthMD5:
		return &eap.MD5Peer{Secret: s.answers["password"]}
	case AuthGTC:
		return &eap.GTCPeer{UserName: o.Username, Password: s.answers["password"]}
	}
	peer := &eap.AnyConnectPeer{GroupAccess: o.Group, UserName: o.Username, Answers: maps.Clone(s.answers),
		HostScan: o.HostScan, Host: remote.Addr().String()}
	if o.ClientCert != nil {
		peer.Certificates = o.ClientCert.Chain
	}
	return peer
}

var stagesOf = map[ikev2.Stage]Stage{
	ikev2.StageSAInit: StageConnecting, ikev2.StageAuth: StageAuthenticating, ikev2.StageEAP: StageAuthenticating,
	ikev2.StageRekey: StageRekeying, ikev2.StageClosing: StageDisconnecting,
}

// run drives the IKE state machine until the connection ends.
func (c *conn) run(ctx context.Context) (wasUp bool, err error) {
	s := c.s
	c.started = time.Now()
	if err := c.apply(ctx, c.ini.Start(c.started)); err != nil {
		return false, err
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	stats := time.NewTicker(5 * time.Second)
	defer stats.Stop()
	closing := false
	var giveUp <-chan time.Time
	for {
		deadline := c.ini.NextDeadline()
		if !c.heard {
			if d := c.started.Add(s.opts.AuthTimeout); deadline.IsZero() || d.Before(deadline) {
				deadline = d
			}
		}
		wait := time.Hour
		if !deadline.IsZero() {
			wait = max(time.Until(deadline), 0)
		}
		timer.Reset(wait)

		var acts []ikev2.Action
		select {
		case d := <-s.ikeIn:
			c.heard = true
			acts = c.ini.HandleDatagram(time.Now(), d.from, d.encap, d.msg)
		case <-timer.C:
			now := time.Now()
			if !c.heard && !now.Before(c.started.Add(s.opts.AuthTimeout)) {
				c.ini.Close(now)
				return false, errNoAnswer
			}
			acts = c.ini.HandleTimeout(now)
		case <-s.alive:
			c.ini.PeerAlive(time.Now())
		case <-stats.C:
			if c.up {
				s.emit(ctx, StatsEvent{Stats: c.dp.Stats()})
				acts = c.rekeyByVolume()
			}
		case cmd := <-s.cmds:
			if cmd.disconnect {
				closing = true
				acts = c.ini.Close(time.Now())
				giveUp = time.After(closeWait)
				cmd.reply <- nil
				break
			}
			var err error
			acts, err = c.ini.Answer(time.Now(), cmd.answer)
			cmd.reply <- err
			if err == nil {
				s.remember(cmd.answer)
			}
		case <-ctx.Done():
			closing = true
			acts = c.ini.Close(time.Now())
			// Give the headend a moment to confirm the Delete, then leave
			// whether or not it did.
			ctx, giveUp = context.Background(), time.After(closeWait)
		case <-giveUp:
			c.teardown()
			return c.wasUp, ErrDisconnected
		}
		if err := c.apply(ctx, acts); err != nil {
			if closing && errors.Is(err, errClosed) {
				return c.wasUp, ErrDisconnected
			}
			if errors.Is(err, errClosed) {
				cause := unwrapClosed(err)
				if !c.heard && errors.Is(cause, ikev2.ErrPeerDead) {
					// IKE gave up before AuthTimeout: same as no answer.
					return false, errNoAnswer
				}
				return c.wasUp, cause
			}
			// The OS side failed: tell the headend (best effort) and undo.
			for _, a := range c.ini.Close(time.Now()) {
				if send, ok := a.(ikev2.Send); ok {
					c.dp.SendIKE(send.To, send.Encap, send.Datagrams)
				}
			}
			c.teardown()
			return c.wasUp, err
		}
	}
}

// rekeyByVolume rekeys the CHILD SA when its sequence numbers near their
// end or it carried RekeyBytes.
func (c *conn) rekeyByVolume() []ikev2.Action {
	if c.child == nil {
		return nil
	}
	bytes, exhausted := c.dp.Usage(c.child.InSPI)
	if limit := c.s.opts.RekeyBytes; exhausted || (limit > 0 && bytes >= limit) {
		c.s.opts.Log("rekeying %s after %d bytes (sequence numbers near their end: %v)", c.child, bytes, exhausted)
		c.child = nil // until the new one is installed
		return c.ini.RekeyChild(time.Now())
	}
	return nil
}

// errClosed wraps the reason of an ikev2.Closed action.
var errClosed = errors.New("closed")

type closedError struct{ err error }

func (e closedError) Error() string {
	if e.err == nil {
		return "closed"
	}
	return e.err.Error()
}
func (e closedError) Is(target error) bool { return target == errClosed }
func (e closedError) Unwrap() error        { return e.err }

func unwrapClosed(err error) error {
	var ce closedError
	if errors.As(err, &ce) {
		return ce.err
	}
	return err
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
	user := s.answers[eap.UserNameField]
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
