//go:build !linux

package main

import "github.com/spf13/cobra"

// addPlatformCommands: demo and bench build Linux network namespaces.
func addPlatformCommands(*cobra.Command) {}
