package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/profile"
)

type agentFlags struct {
	socket, group string
	profileDirs   []string
	cafile        string
	iface         string
	dnsMode       string
	stateFile     string
	verbose       bool
}

func newAgentCmd() *cobra.Command {
	f := &agentFlags{}
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the privileged agent that owns the tunnel for unprivileged front ends",
		Long: `Run the vpnc-go agent in the foreground until SIGTERM (systemd runs it as a
service). It needs root (or CAP_NET_ADMIN) for the TUN device, routes and DNS.

At start it undoes what a crashed run left (addresses, routes, DNS), then
listens on --socket (mode 0660, group --group). Root and the members of that
group may use it; anyone else is refused, and the refusal is logged. It holds
at most one session; vpnc-go connect, status, disconnect and the GUI drive it
(the protocol: client/agent/PROTOCOL.md). It reads the managed profiles
itself; other hosts are accepted only when they allow manual host input.
On SIGTERM it disconnects cleanly (Delete sent, OS configuration restored).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAgent(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.socket, "socket", agent.DefaultSocket, "listen on this Unix socket `PATH`")
	fl.StringVar(&f.group, "group", agent.DefaultGroup, "the `GROUP` whose members may use the agent")
	fl.StringArrayVar(&f.profileDirs, "profile-dir", nil, "read managed profiles from `DIR` instead of the system folders (repeatable)")
	fl.StringVar(&f.cafile, "cafile", "", "trust the CAs in `FILE` (PEM) besides the system roots, for every headend")
	fl.StringVar(&f.iface, "interface", "vpnc0", "TUN device `NAME`")
	fl.StringVar(&f.dnsMode, "dns", "auto", "how to set DNS: auto, resolved, file or none")
	fl.StringVar(&f.stateFile, "state-file", netcfg.DefaultStateFile, "where changes to the system are recorded for crash recovery")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log debug lines")
	return cmd
}

func runAgent(cmd *cobra.Command, f *agentFlags) error {
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	// Every part's lines go to stderr and to the ring diag reads.
	recent := &agent.Recent{}
	logger := slog.New(recent.Handler(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level})))
	dnsMode, err := netcfg.ParseDNSMode(f.dnsMode)
	if err != nil {
		return err
	}
	ncOpts := netcfg.Options{StateFile: f.stateFile, DNS: dnsMode, Logger: logger}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := netcfg.Recover(ctx, ncOpts); err != nil {
		logger.Warn("undoing what a previous run left", "error", err.Error())
	}
	nc, err := netcfg.NewLinux(ncOpts)
	if err != nil {
		return err
	}
	var dirs []string
	if len(f.profileDirs) > 0 {
		dirs = f.profileDirs
	}
	policy := &agent.Policy{
		CAFile:           f.cafile,
		PushedProfileDir: profile.PushedDir(),
		Profiles: func() *profile.Catalog {
			// Managed folders only: a user's own profiles reach the agent
			// as manual hosts, under AllowManualHostInput.
			return profile.Discover(profile.Options{SystemDirs: dirs, UserDirs: []string{}})
		},
	}
	for _, p := range policy.Profiles().Problems() {
		logger.Warn("managed profile", "problem", p.String())
	}
	srv, err := agent.NewServer(agent.Config{
		Policy: policy,
		NewSession: func(o client.Options) (*client.Session, error) {
			return client.New(o, client.Deps{NetConfig: nc, NewDataPlane: client.TunDataPlane(f.iface, 0), PathMTU: client.PathMTU, Paths: client.NetlinkPaths()})
		},
		Authorize: agent.GroupAccess(f.group),
		Logger:    logger,
		Build:     versionString(),
		Recent:    recent,
	})
	if err != nil {
		return err
	}
	l, err := agent.Listen(f.socket, f.group)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	logger.Info("agent listening", "socket", f.socket, "group", f.group, "protocol", agent.Version)
	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("agent: %w", err)
	}
	logger.Info("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-served
	logger.Info("agent stopped")
	return err
}
