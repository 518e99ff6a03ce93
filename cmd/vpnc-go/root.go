package main

import (
	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree. It holds no global state, so tests can
// build a fresh tree per case.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "vpnc-go",
		Short: "AnyConnect-compatible IKEv2 VPN client",
		Long: `vpnc-go is an IKEv2 remote-access VPN client for Cisco headends (ASA, FTD,
IOS) that speaks the AnyConnect EAP method, and for standards headends
(strongSwan and others) through EAP-MSCHAPv2, EAP-MD5, EAP-GTC or certificates.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCmd())
	root.AddCommand(newConnectCmd())
	root.AddCommand(newResponderCmd())
	addPlatformCommands(root)
	root.AddCommand(newProfilesCmd())
	root.AddCommand(newForgetCmd())
	root.AddCommand(newProbeCmd())
	root.AddCommand(newAgentCmd(), newStatusCmd(), newDisconnectCmd())
	root.AddCommand(newDiagCmd())
	root.AddCommand(newGenManCmd())
	return root
}
