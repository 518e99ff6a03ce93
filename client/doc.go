// Package client runs one VPN connection's life: the headend and its
// backups, the IKE SA through the sans-IO state machine of package ikev2,
// the ESP data plane and the OS network configuration, with reconnects
// when the headend goes silent. Callers drive a Session with commands
// (Run, Answer, Disconnect) and receive typed events (stages, forms to
// fill, the tunnel's settings, statistics, errors); it never prints.
//
// Operating system effects sit behind two interfaces, DataPlane (the TUN
// device, the UDP socket and the ESP pipeline) and netcfg.Manager
// (addresses, routes, DNS), so tests run a Session against an in-process
// headend with fakes.
package client
