// Package agent is the privileged side of vpnc-go and the client of its
// control protocol.
//
// A Server owns at most one client.Session (the TUN device, routes and DNS
// with it) and serves unprivileged front ends on a Unix socket: each may
// ask for the hosts it may use, connect, answer the headend's forms, watch
// the session's events, read its status and disconnect. The tunnel belongs
// to the agent, not to the front end that started it: a front end that
// goes away leaves it up.
//
// The protocol is newline-delimited JSON, one request and one reply per
// command plus events, versioned by the hello command; PROTOCOL.md in this
// folder describes it with examples. Conn is its Go client: the CLI and
// the GUI use it, and it turns the agent's events back into client.Event
// values, so a front end handles a session the same way whether it runs
// the session itself or drives the agent.
package agent
