package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
)

// exitError ends the program with its own exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCodeOf is the exit status for an error of a command.
func exitCodeOf(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// exitNoAgent is the status of a command that needs an agent (or root)
// and found neither.
const exitNoAgent = 2

// dialAgent connects to the agent at socket. reachable is false when no
// agent listens there (nothing to connect to, or the socket refuses this
// user at the file level); err then says why.
func dialAgent(socket string) (c *agent.Conn, reachable bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err = agent.Dial(ctx, socket)
	if err == nil {
		return c, true, nil
	}
	var ae *agent.Error
	if errors.As(err, &ae) {
		return nil, true, err // the agent answered, and refused
	}
	return nil, false, err
}

// noAgentError explains to an unprivileged user what to do without an
// agent.
func noAgentError(socket string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return &exitError{exitNoAgent, fmt.Errorf("the vpnc-go agent's socket %s is not open to this user (%v): the agent serves root and the members of its group (vpnc-go unless configured otherwise); ask to be added to it", socket, err)}
	}
	return &exitError{exitNoAgent, fmt.Errorf("no vpnc-go agent is reachable at %s (%v).\n"+
		"Start it (as root: vpnc-go agent, or systemctl start vpnc-go-agent), or run connect as root: sudo vpnc-go connect --foreground", socket, err)}
}

// refusedError words the agent's refusal of this user.
func refusedError(socket string, err error) error {
	return &exitError{exitNoAgent, fmt.Errorf("the vpnc-go agent at %s refused this user: %w", socket, err)}
}

// statusAgent connects for status and disconnect, which need an agent.
func statusAgent(socket string) (*agent.Conn, error) {
	c, reachable, err := dialAgent(socket)
	switch {
	case err == nil:
		return c, nil
	case reachable:
		return nil, refusedError(socket, err)
	}
	return nil, noAgentError(socket, err)
}

func newStatusCmd() *cobra.Command {
	var socket string
	var asJSON, follow bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the agent's tunnel (and follow its events)",
		Long: `Show what the vpnc-go agent is doing: idle, or the session's host, stage,
settings and traffic counters. --follow then prints every event until
interrupted. --json prints the status as one JSON object (the protocol's
status, see client/agent/PROTOCOL.md); with --follow, {"status":...} first and
then one {"event":...} line per event.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := statusAgent(socket)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx := context.Background()
			if !follow {
				st, err := c.Status(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(st)
				}
				printStatus(cmd.OutOrStdout(), st)
				return nil
			}
			return followStatus(cmd, c, asJSON)
		},
	}
	cmd.Flags().StringVar(&socket, "socket", agent.DefaultSocket, "the agent's socket `PATH`")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "print the events as they come, until interrupted")
	return cmd
}

func followStatus(cmd *cobra.Command, c *agent.Conn, asJSON bool) error {
	out := cmd.OutOrStdout()
	st, err := c.Subscribe(context.Background())
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	if asJSON {
		if err := enc.Encode(map[string]any{"status": st}); err != nil {
			return err
		}
	} else {
		printStatus(out, st)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	var last client.StageEvent
	for {
		select {
		case <-sig:
			return nil
		case e, ok := <-c.Events():
			if !ok {
				return fmt.Errorf("the agent closed the connection: %w", c.Err())
			}
			if asJSON {
				if err := enc.Encode(map[string]any{"event": agent.EventOf(e)}); err != nil {
					return err
				}
				continue
			}
			printEvent(cmd, e, &last)
		}
	}
}

// printEvent prints one event as connect does (forms are for the front
// end that connected: a watcher only says one is waiting).
func printEvent(cmd *cobra.Command, e client.Event, last *client.StageEvent) {
	out := cmd.OutOrStdout()
	switch e := e.(type) {
	case client.StageEvent:
		if e == *last {
			return
		}
		*last = e
		if e.Detail != "" {
			fmt.Fprintf(out, "%s: %s\n", e.Stage, e.Detail)
		} else {
			fmt.Fprintf(out, "%s\n", e.Stage)
		}
	case client.FormEvent:
		fmt.Fprintf(out, "waiting for an answer to the form %q\n", e.Form.Title)
	case client.ConnectedEvent:
		printSettings(out, e.Settings)
	case client.StatsEvent:
	case client.ErrorEvent:
		fmt.Fprintln(cmd.ErrOrStderr(), "error:", e.Err)
	case client.DisconnectedEvent:
		if e.Err != nil {
			fmt.Fprintln(out, "disconnected:", e.Err)
		} else {
			fmt.Fprintln(out, "disconnected")
		}
	}
}

func printStatus(w io.Writer, st *agent.Status) {
	if st.State == agent.StateIdle {
		fmt.Fprintln(w, "not connected")
		if st.LastError != "" {
			fmt.Fprintln(w, "last session ended:", st.LastError)
		}
		return
	}
	fmt.Fprintf(w, "%s: %s (%s)", st.State, st.Host, st.Server)
	if st.Group != "" {
		fmt.Fprintf(w, ", group %s", st.Group)
	}
	if st.User != "" {
		fmt.Fprintf(w, ", user %s", st.User)
	}
	fmt.Fprintf(w, ", started by uid %d at %s\n", st.OwnerUID, st.Since.Local().Format(time.DateTime))
	if st.Settings != nil {
		printSettings(w, st.Settings.ClientSettings())
	}
	if s := st.Stats; s != nil {
		fmt.Fprintf(w, "  traffic   in %d packets (%d bytes), out %d packets (%d bytes), %d dropped\n",
			s.PacketsIn, s.BytesIn, s.PacketsOut, s.BytesOut, s.Dropped)
	}
	if st.Form != nil {
		fmt.Fprintf(w, "  waiting for an answer to the form %q\n", st.Form.Title)
	}
	if st.LastError != "" {
		fmt.Fprintln(w, "  last error:", st.LastError)
	}
}

func newDisconnectCmd() *cobra.Command {
	var socket string
	cmd := &cobra.Command{
		Use:   "disconnect",
		Short: "End the agent's tunnel",
		Long:  "End the vpnc-go agent's session, whoever started it: the headend is told, routes and DNS are restored.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := statusAgent(socket)
			if err != nil {
				return err
			}
			defer c.Close()
			before, err := c.Status(context.Background())
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := c.Disconnect(ctx); err != nil {
				var ae *agent.Error
				if errors.As(err, &ae) && ae.Code == agent.CodeNoSession {
					return errors.New("not connected")
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "disconnected from %s\n", before.Host)
			return nil
		},
	}
	cmd.Flags().StringVar(&socket, "socket", agent.DefaultSocket, "the agent's socket `PATH`")
	return cmd
}
