// Command vpnc-go is an AnyConnect-compatible IKEv2 remote-access VPN client.
//
// Each subcommand lives in its own file and registers itself on the root
// command built by newRootCmd, so tests can run the CLI in-process.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "vpnc-go:", err)
		os.Exit(exitCodeOf(err))
	}
}
