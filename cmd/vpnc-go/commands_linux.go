package main

import "github.com/spf13/cobra"

// addPlatformCommands adds the commands that build network namespaces,
// which exist on Linux only.
func addPlatformCommands(root *cobra.Command) {
	root.AddCommand(newDemoCmd())
	root.AddCommand(newBenchCmd())
}
