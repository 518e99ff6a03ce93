package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpnc-go/vpnc-go/cmd/internal/headend"
)

func newResponderCmd() *cobra.Command {
	var config string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "responder --config FILE",
		Short: "Run the headend emulator (an ASA-like IKEv2 gateway) for tests and demos",
		Long: `Run vpnc-go's headend emulator: IKEv2 on UDP 500 and 4500 with EAP-AnyConnect,
EAP-MSCHAPv2, EAP-MD5, EAP-GTC or certificates, addresses from a pool, and a
data plane that forwards the clients' traffic to this host's networks through a
TUN device. The configuration file uses ASA concepts (tunnel groups, group
policies, pools, local users); testdata/headend/asa-seed.toml is an annotated
example. It routes the pools to the TUN device and, with [tunnel] forward =
true, sets net.ipv4.ip_forward; both are undone on exit. Needs root.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" {
				return errors.New("--config FILE is required")
			}
			cfg, err := headend.Load(config)
			if err != nil {
				return err
			}
			if os.Geteuid() != 0 {
				return errors.New("responder needs root (or CAP_NET_ADMIN) for its TUN device and the UDP ports 500 and 4500")
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logf := func(format string, args ...any) {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
			}
			quiet := func(format string, args ...any) {}
			if !verbose {
				// Session lines only: the IKE layer's debug goes away.
				return headend.Run(ctx, cfg, sessionsOnly(logf, quiet))
			}
			return headend.Run(ctx, cfg, logf)
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "headend configuration `FILE` (TOML)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print the IKE layer's debug lines too")
	return cmd
}

// sessionsOnly passes the headend's own lines (session up and down,
// leases) and drops the IKE layer's debug lines, which start with "IKE SA".
func sessionsOnly(logf, quiet func(string, ...any)) func(string, ...any) {
	return func(format string, args ...any) {
		if len(format) >= 6 && format[:6] == "IKE SA" {
			quiet(format, args...)
			return
		}
		logf(format, args...)
	}
}
