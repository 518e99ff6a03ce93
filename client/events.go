package client

import (
	"fmt"
	"net/netip"
	"time"
)

// Event is what a Session tells its user interface. The concrete types are
// StageEvent, FormEvent, ConnectedEvent, StatsEvent, ErrorEvent and
// DisconnectedEvent.
type Event interface{ isEvent() }

// Stage is a step of a connection's life.
type Stage int

const (
	StageResolving Stage = iota + 1
	StageConnecting
	StageAuthenticating
	StageConfiguring
	StageConnected
	StageRekeying
	StageReconnecting
	StageDisconnecting
	StageDisconnected
)

var stageNames = map[Stage]string{
	StageResolving: "resolving", StageConnecting: "IKE_SA_INIT", StageAuthenticating: "authenticating",
	StageConfiguring: "configuring", StageConnected: "tunnel up", StageRekeying: "rekeying",
	StageReconnecting: "reconnecting", StageDisconnecting: "disconnecting", StageDisconnected: "disconnected",
}

func (s Stage) String() string {
	if n, ok := stageNames[s]; ok {
		return n
	}
	return fmt.Sprintf("stage(%d)", int(s))
}

// StageEvent reports progress.
type StageEvent struct {
	Stage  Stage
	Detail string // the headend address, the suite, ...
}

// FormEvent asks the user to fill in a form; answer with Session.Answer.
type FormEvent struct{ Form *Form }

// Settings is what the tunnel was set up with.
type Settings struct {
	Headend  netip.AddrPort
	Address4 netip.Prefix
	Address6 netip.Prefix
	DNS      []netip.Addr
	Domains  []string
	Routes   []netip.Prefix // through the tunnel
	Exclude  []netip.Prefix // kept off it
	Banner   string
	IKESuite string
	ESPSuite string
	MTU      int
	Device   string
	// SetupTime is from the first IKE_SA_INIT to the tunnel being up.
	SetupTime time.Duration
}

// ConnectedEvent reports the tunnel up (again, after a reconnect).
type ConnectedEvent struct{ Settings Settings }

// Stats are traffic counters of the tunnel.
type Stats struct {
	PacketsIn, PacketsOut uint64
	BytesIn, BytesOut     uint64
	Dropped               uint64
}

// StatsEvent reports the counters, periodically while connected.
type StatsEvent struct{ Stats Stats }

// ErrorEvent reports a problem. Fatal errors end the session; others
// (a rekey refused, a DNS setting that failed) are for the log.
type ErrorEvent struct {
	Err   error
	Fatal bool
}

// DisconnectedEvent is the last event of a session: Err is nil after a
// disconnect the user asked for.
type DisconnectedEvent struct{ Err error }

func (StageEvent) isEvent()        {}
func (FormEvent) isEvent()         {}
func (ConnectedEvent) isEvent()    {}
func (StatsEvent) isEvent()        {}
func (ErrorEvent) isEvent()        {}
func (DisconnectedEvent) isEvent() {}
