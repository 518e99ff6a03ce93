package gui

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/client/creds"
	"github.com/vpnc-go/vpnc-go/profile"
)

// Agent is what the presenter asks of the agent; *agent.Conn is one.
type Agent interface {
	Hosts(context.Context) (*agent.HostsResult, error)
	Subscribe(context.Context) (*agent.Status, error)
	Connect(context.Context, agent.ConnectRequest) (*agent.Status, error)
	Answer(context.Context, client.FormAnswer) error
	Disconnect(context.Context) (*agent.Status, error)
	Events() <-chan client.Event
	Err() error
	Close() error
}

// DialAgent connects to the agent at a socket.
func DialAgent(socket string) func(context.Context) (Agent, error) {
	return func(ctx context.Context) (Agent, error) {
		c, err := agent.Dial(ctx, socket)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// Presenter runs the model against the agent: it feeds the model the
// agent's replies and events, and carries out what the user asks. Every
// change of the view is passed to OnChange (from the presenter's
// goroutines: the window hands it to its UI thread).
type Presenter struct {
	Socket   string
	User     string // the desktop user, for the command that lets them in
	Dial     func(context.Context) (Agent, error)
	OnChange func(View)
	// Keyring turns on saved passwords (client/creds): a saved one is
	// sent without asking, "Save password" stores the one that worked.
	Keyring bool
	// Pins are the headend keys the user trusted; nil: none.
	Pins *PinStore
	// Profiles reads the user's own profiles (the agent reads only the
	// managed ones); their hosts are listed when manual hosts are
	// allowed. Nil: none.
	Profiles func() *profile.Catalog

	mu    sync.Mutex
	m     *Model
	conn  Agent
	epoch int // counts agent connections: a stale reader stops publishing
	hosts *agent.HostsResult
	user  *profile.Catalog // the user's profiles, when their hosts are listed
	login login
}

// login is what this window sent to log in, for the keyring.
type login struct {
	host           string
	key            creds.Key
	stored         string // the keyring's password, sent without asking
	user, password string // what was sent last
	save           bool
	retried        bool // the stored password was refused and is asked for
}

// NewPresenter makes a presenter for the agent at socket.
func NewPresenter(socket, user string, onChange func(View)) *Presenter {
	return &Presenter{Socket: socket, User: user, Dial: DialAgent(socket), OnChange: onChange, m: NewModel()}
}

// View returns the current view state.
func (p *Presenter) View() View {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m.View()
}

// update changes the model and publishes the view.
func (p *Presenter) update(f func(*Model)) {
	p.mu.Lock()
	f(p.m)
	v := p.m.View()
	p.mu.Unlock()
	if p.OnChange != nil {
		p.OnChange(v)
	}
}

// Attach connects to the agent, lists its hosts and follows its session.
// On failure the view explains it; Attach again (Retry) tries anew.
func (p *Presenter) Attach(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := p.Dial(ctx)
	if err == nil {
		err = p.start(ctx, c)
		if err != nil {
			c.Close()
		}
	}
	if err != nil {
		p.update(func(m *Model) { m.AgentLost(err, p.Socket, p.User) })
	}
	return err
}

func (p *Presenter) start(ctx context.Context, c Agent) error {
	hosts, err := c.Hosts(ctx)
	if err != nil {
		return err
	}
	st, err := c.Subscribe(ctx)
	if err != nil {
		return err
	}
	var own *profile.Catalog
	if hosts.ManualAllowed && p.Profiles != nil {
		own = p.Profiles()
	}
	p.mu.Lock()
	p.user = own
	if p.conn != nil {
		p.conn.Close()
	}
	p.conn = c
	p.hosts = hosts
	p.epoch++
	epoch := p.epoch
	p.mu.Unlock()
	p.update(func(m *Model) { m.SetHosts(hosts); m.AddUserHosts(userHosts(own, hosts)); m.Start(st) })
	go p.follow(c, epoch)
	return nil
}

// follow applies the events until the agent connection ends.
func (p *Presenter) follow(c Agent, epoch int) {
	for e := range c.Events() {
		p.update(func(m *Model) {
			m.Apply(e)
			if f, ok := e.(client.FormEvent); ok {
				p.formAsked(m, f.Form)
			}
		})
		switch e := e.(type) {
		case client.ConnectedEvent:
			p.saveLogin()
		case client.DisconnectedEvent:
			p.storedRefused(e.Err)
		}
	}
	err := c.Err()
	if err == nil {
		err = errors.New("the connection to the agent ended")
	}
	p.mu.Lock()
	current := p.epoch == epoch
	if current {
		p.conn = nil
	}
	p.mu.Unlock()
	if current {
		p.update(func(m *Model) { m.AgentLost(err, p.Socket, p.User) })
	}
}

func (p *Presenter) agent() (Agent, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil, errors.New("not connected to the agent")
	}
	return p.conn, nil
}

// Connect asks the agent for a session to host (a managed host's name, or
// a typed address). It returns once the agent accepted or refused.
func (p *Presenter) Connect(ctx context.Context, host, user string) error {
	return p.connect(ctx, host, user, false)
}

// connect sends the keyring's password unless ask (it was refused).
func (p *Presenter) connect(ctx context.Context, host, user string, ask bool) error {
	c, err := p.agent()
	if err != nil {
		return err
	}
	req := agent.ConnectRequest{Host: host, User: user}
	p.mu.Lock()
	managed := p.m.Managed(host)
	t := p.userTarget(host)
	p.mu.Unlock()
	if t != nil {
		// The user's profile decides, as with the CLI's connect: the
		// agent applies no profile to it.
		req.Host, req.Group, req.Identity = t.Address.Host, t.UserGroup, t.IKEIdentity
		req.Auth = string(t.AuthMethod)
		for _, b := range t.Backups {
			req.Backups = append(req.Backups, b.Host)
		}
	}
	if p.Pins != nil && !managed {
		pins, err := p.Pins.Pins(host)
		if err != nil {
			p.update(func(m *Model) { m.Connecting(host); m.ConnectFailed(err) })
			return err
		}
		req.ServerCert = pins
	}
	l := login{host: host, key: p.keyOf(host, user), retried: ask}
	if t != nil {
		l.key = creds.Key{Headend: t.Address.Host, Group: t.UserGroup, User: user}
	}
	if p.Keyring && !ask {
		if u, pw, err := creds.Load(l.key); err == nil {
			req.User, req.Password, l.stored, l.save = u, pw, pw, true
			l.key.User = u
		}
	}
	if ask {
		l.save = true // replace the refused one
	}
	l.user, l.password = req.User, req.Password
	p.mu.Lock()
	p.login = l
	p.mu.Unlock()
	p.update(func(m *Model) {
		m.Connecting(host)
		m.v.SavePassword = l.save
		if ask {
			m.v.KeyringNote = "The password saved in the keyring was refused: enter it again."
		}
	})
	if _, err := c.Connect(ctx, req); err != nil {
		p.update(func(m *Model) { m.ConnectFailed(err) })
		return err
	}
	return nil
}

// Answer sends the form's answer; save asks to store its password in the
// keyring once the tunnel is up. A refused answer (a required field
// empty) leaves the form open with the agent's reason as its error.
func (p *Presenter) Answer(ctx context.Context, a client.FormAnswer, save bool) error {
	c, err := p.agent()
	if err != nil {
		return err
	}
	p.mu.Lock()
	asked := p.m.v.Form
	if asked != nil {
		for _, f := range asked.Fields {
			v, ok := a[f.Name]
			switch {
			case !ok:
			case f.Kind == client.FieldPassword:
				p.login.password = v
			case f.Name == "username" && v != "":
				p.login.user = v
			}
		}
	}
	p.login.save = save
	p.m.v.SavePassword = save
	p.mu.Unlock()
	err = c.Answer(ctx, a)
	var ae *agent.Error
	if errors.As(err, &ae) && ae.Code == agent.CodeAnswer {
		p.update(func(m *Model) {
			if m.v.Form != nil {
				f := *m.v.Form
				f.Error = ae.Message
				m.v.Form = &f
			}
		})
		return err
	}
	if err == nil {
		p.update(func(m *Model) {
			if m.v.Phase == PhaseForm && m.v.Form == asked { // no newer form came meanwhile
				m.v.Form = nil
				m.set(PhaseConnecting, LightBusy, "Authenticating with "+m.v.Host)
			}
		})
	}
	return err
}

// Cancel ends an attempt (a form's Cancel) or the session (Disconnect,
// the banner's Disconnect).
func (p *Presenter) Cancel(ctx context.Context) error {
	c, err := p.agent()
	if err != nil {
		return err
	}
	p.update(func(m *Model) {
		m.v.Form, m.v.Banner = nil, ""
		m.set(PhaseDisconnecting, LightBusy, "Disconnecting from "+m.v.Host)
	})
	_, err = c.Disconnect(ctx)
	var ae *agent.Error
	if errors.As(err, &ae) && ae.Code == agent.CodeNoSession {
		p.update(func(m *Model) { m.idle() })
		return nil
	}
	return err
}

// TrustAndConnect is "Connect anyway" on an untrusted certificate: its
// pin is remembered for the host and the attempt starts again.
func (p *Presenter) TrustAndConnect(ctx context.Context) error {
	p.mu.Lock()
	v, l := p.m.View(), p.login
	p.mu.Unlock()
	if v.Untrusted == nil || v.UntrustedStrict || p.Pins == nil {
		return errors.New("no certificate to trust")
	}
	if err := p.Pins.Add(v.Host, v.Untrusted.PinSHA256); err != nil {
		p.update(func(m *Model) { m.DismissUntrusted(); m.fail(err.Error()); m.idle() })
		return err
	}
	return p.connect(ctx, v.Host, l.user, false)
}

// DismissUntrusted is Cancel on an untrusted certificate.
func (p *Presenter) DismissUntrusted() { p.update(func(m *Model) { m.DismissUntrusted() }) }

// AcceptBanner records Accept on the banner.
func (p *Presenter) AcceptBanner() { p.update(func(m *Model) { m.BannerAccepted() }) }

// Close ends the connection to the agent (its session stays up).
func (p *Presenter) Close() {
	p.mu.Lock()
	c := p.conn
	p.conn = nil
	p.epoch++
	p.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// keyOf names host's password in the keyring as the CLI does: a managed
// host by its address and tunnel group, a typed one as typed.
func (p *Presenter) keyOf(host, user string) creds.Key {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hosts != nil {
		for _, h := range p.hosts.Hosts {
			if h.Name == host || h.Address == host {
				return creds.Key{Headend: hostOnly(h.Address), Group: h.Group, User: user}
			}
		}
	}
	return creds.Key{Headend: hostOnly(host), User: user}
}

// hostOnly drops a port from host:port.
func hostOnly(s string) string {
	if h, _, err := net.SplitHostPort(s); err == nil {
		return h
	}
	return s
}

// saveLogin stores the password that worked, when asked to.
func (p *Presenter) saveLogin() {
	p.mu.Lock()
	l := p.login
	p.login.stored = l.password // stored once: a reconnect does not store again
	p.mu.Unlock()
	if !p.Keyring || !l.save || l.password == "" || l.user == "" || l.password == l.stored {
		return
	}
	k := l.key
	k.User = l.user
	note := "The password for " + k.Account() + " is saved in the keyring."
	if err := creds.Store(k, l.password); err != nil {
		note = "The password was not saved: " + err.Error()
	}
	p.update(func(m *Model) { m.v.KeyringNote = note })
}

// formAsked notes a form that refuses the keyring's password: the
// headend asks again, and the answer replaces the saved one. It runs
// inside update (p.mu held).
func (p *Presenter) formAsked(m *Model, f *client.Form) {
	l := p.login
	if f.Error != "" && l.stored != "" && l.password == l.stored {
		p.login.save = true
		m.v.SavePassword = true
		m.v.KeyringNote = "The password saved in the keyring was refused: enter it again."
	}
}

// storedRefused asks for the password again, once, when the keyring's
// was refused: the new one replaces it after the login.
func (p *Presenter) storedRefused(err error) {
	p.mu.Lock()
	l := p.login
	p.mu.Unlock()
	if !errors.Is(err, client.ErrAuthFailed) || l.stored == "" || l.password != l.stored || l.retried {
		return
	}
	go p.connect(context.Background(), l.host, l.user, true)
}

// userHosts lists the hosts of the user's own profiles that the agent's
// managed ones do not name.
func userHosts(c *profile.Catalog, managed *agent.HostsResult) []Host {
	if c == nil {
		return nil
	}
	taken := map[string]bool{}
	for _, h := range managed.Hosts {
		taken[pinHost(h.Name)] = true
	}
	var out []Host
	for _, e := range c.Entries {
		if e.Class != profile.ClassUser || taken[pinHost(e.Name)] {
			continue
		}
		out = append(out, Host{Label: e.Name, Value: e.Name, Address: e.Address.Host, Usable: e.Supported, Reason: e.Reason, Own: true})
	}
	return out
}

// userTarget is host's entry in the user's own profiles, or nil (p.mu
// held).
func (p *Presenter) userTarget(host string) *profile.Target {
	if p.user == nil {
		return nil
	}
	for _, h := range p.m.v.Hosts {
		if h.Own && h.Value == host {
			t, err := p.user.Lookup(host)
			if err != nil {
				return nil
			}
			return t
		}
	}
	return nil
}
