package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/profile"
)

// chooseMode picks how connect runs and says so in one line: through the
// agent when its socket answers, else in this process when root. It
// returns the agent connection, or nil for the foreground.
func (f *connectFlags) chooseMode(cmd *cobra.Command) (*agent.Conn, error) {
	out := cmd.OutOrStdout()
	if f.foreground {
		fmt.Fprintln(out, "foreground mode (--foreground): this process runs the tunnel until interrupted")
		return nil, nil
	}
	c, reachable, err := dialAgent(f.socket)
	switch {
	case err == nil:
		fmt.Fprintf(out, "agent mode: the vpnc-go agent at %s runs the tunnel (it stays up after this command; vpnc-go disconnect ends it)\n", f.socket)
		return c, nil
	case reachable:
		return nil, refusedError(f.socket, err)
	case os.Geteuid() == 0:
		fmt.Fprintf(out, "foreground mode: no vpnc-go agent at %s; this process runs the tunnel until interrupted\n", f.socket)
		return nil, nil
	}
	return nil, noAgentError(f.socket, err)
}

// agentOnlyFlags are connect's flags that set what belongs to the agent
// (its trust, devices and files): the agent takes them from its own
// command line, never from a front end.
var agentOnlyFlags = []string{"cafile", "cert", "key", "cert-password", "keylog", "interface", "mtu", "state-file", "csd-wrapper", "child-lifetime", "ike-lifetime", "dpd"}

// sentLogin is what this front end gave the agent to log in with, for
// --save-password once the tunnel is up.
type sentLogin struct{ user, password string }

func (l *sentLogin) SavedPassword() (string, string) { return l.user, l.password }

func (l *sentLogin) answered(a client.FormAnswer) {
	if u := a["username"]; u != "" {
		l.user = u
	}
	if p, ok := a["password"]; ok {
		l.password = p
	}
}

// runConnectAgent connects through the agent and returns once the tunnel
// is up (or the session failed).
func runConnectAgent(cmd *cobra.Command, f *connectFlags, c *agent.Conn, host string) error {
	out := cmd.OutOrStdout()
	for _, name := range agentOnlyFlags {
		if cmd.Flags().Changed(name) {
			return fmt.Errorf("--%s is the agent's setting (vpnc-go agent --help); through the agent it cannot be chosen per connection (--foreground as root runs without the agent)", name)
		}
	}
	if f.dnsMode != "auto" && f.dnsMode != "none" {
		return fmt.Errorf("--dns %s is the agent's setting (vpnc-go agent --dns); through the agent only --dns none (or --no-dns) applies", f.dnsMode)
	}
	req := agent.ConnectRequest{
		User: f.user, Group: f.group, Auth: f.auth, IKE: f.ike, ESP: f.esp, ServerCert: f.servercert,
		Identity: f.identity, NoDNS: f.noDNS || f.dnsMode == "none", NoRoutes: f.noRoute, NoReconnect: f.noReconnect,
	}
	// This user's view of the profiles names the host for the keyring
	// and carries the user's own profiles, which the agent does not read.
	keyHost, login := host, client.Options{Group: f.group, Username: f.user}
	t, err := f.target(host)
	switch {
	case err == nil && t.Class == profile.ClassSystem:
		req.Host = t.Name // the agent applies the managed profile itself
	case err == nil:
		req.Host = addressString(t.Address)
		for _, b := range t.Backups {
			req.Backups = append(req.Backups, addressString(b))
		}
		if req.Group == "" {
			req.Group = t.UserGroup
		}
		if req.Auth == "" && !t.Manual {
			req.Auth = string(t.AuthMethod)
		}
		if req.Identity == "" {
			req.Identity = t.IKEIdentity
		}
	case host != "":
		req.Host = host // the agent's managed profiles decide
	default:
		return err
	}
	if err == nil {
		keyHost = t.Address.Host
		if login.Group == "" {
			login.Group = t.UserGroup
		}
		login.Auth = t.AuthMethod
		if t.Note != "" {
			fmt.Fprintln(out, t.Note)
		}
	}
	if req.Auth != "" {
		m, err := profile.ParseAuthMethod(req.Auth)
		if err != nil {
			return fmt.Errorf("--auth: %w", err)
		}
		login.Auth = m
	}
	proposals := client.Options{IKEProposals: req.IKE, ESPProposals: req.ESP}
	remember, err := f.hostProposals(&proposals, keyHost, out)
	if err != nil {
		return err
	}
	req.IKE, req.ESP = proposals.IKEProposals, proposals.ESPProposals
	if f.passwdOnStdin {
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password from standard input: %w", err)
		}
		login.Password = strings.TrimRight(line, "\r\n")
	}
	// The keyring is read here, as the user: the agent never sees it.
	sl := loadStoredLogin(&login, keyHost, f.savePassword, f.verbose, out, cmd.ErrOrStderr())
	req.User, req.Password = login.Username, login.Password

	// Ctrl-C before the tunnel is up abandons the attempt.
	finished := make(chan struct{})
	defer close(finished)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		select {
		case <-sig:
			fmt.Fprintln(out, "interrupted: asking the agent to disconnect")
			c.Disconnect(context.Background())
		case <-finished:
		}
	}()
	ctx := context.Background()
	for {
		sent := &sentLogin{user: req.User, password: req.Password}
		fmt.Fprintf(out, "connecting to %s through the agent\n", req.Host)
		if _, err := c.Connect(ctx, req); err != nil {
			return err
		}
		err := followConnect(cmd, c, sent, func() {
			sl.connected(sent)
			if remember != nil {
				remember()
			}
		})
		if sl.retryWithoutStored(&login, err) {
			req.Password = login.Password
			continue
		}
		return err
	}
}

// followConnect prints the session's events and answers its forms on the
// terminal until the tunnel is up (nil) or the session ended (its error).
func followConnect(cmd *cobra.Command, c *agent.Conn, sent *sentLogin, onConnected func()) error {
	out := cmd.OutOrStdout()
	ctx := context.Background()
	var last client.StageEvent
	for e := range c.Events() {
		switch e := e.(type) {
		case client.FormEvent:
			for {
				a, err := askForm(cmd, e.Form)
				if err != nil {
					c.Disconnect(ctx)
					err = fmt.Errorf("no answer to the headend's form (%v)", err)
					if e.Form.Error != "" {
						err = fmt.Errorf("authentication failed: %s; %w", e.Form.Error, err)
					}
					return err
				}
				err = c.Answer(ctx, a)
				var ae *agent.Error
				if errors.As(err, &ae) && ae.Code == agent.CodeAnswer {
					fmt.Fprintln(out, "  ", ae.Message)
					continue
				}
				if err != nil {
					return err
				}
				sent.answered(a)
				break
			}
		case client.ConnectedEvent:
			printSettings(out, e.Settings)
			if w := client.WeakSuiteWarning(e.Settings); w != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			onConnected()
			return nil
		case client.DisconnectedEvent:
			printEvent(cmd, e, &last)
			if e.Err == nil {
				return errors.New("the session was ended before the tunnel came up")
			}
			return e.Err
		default:
			printEvent(cmd, e, &last)
		}
	}
	return fmt.Errorf("lost the agent: %w", c.Err())
}
