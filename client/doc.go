// Package client runs one VPN connection's life: profile entry, IKE SA,
// ESP tunnel and OS network configuration, with reconnect, DPD and rekey
// policy. Callers drive it with commands and receive typed events; it never
// prints.
//
// Unfinished: nothing is implemented yet; the IKE SA state machines come first
// (see the README's status section).
package client
