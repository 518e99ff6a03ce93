//go:build !linux

package client

// NetlinkPaths returns nil outside Linux: sessions then learn of network
// changes only through their liveness checks.
func NetlinkPaths() PathMonitor { return nil }
