package client

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/profile"
)

// Options describe one connection.
type Options struct {
	// Server is the headend: a host name or address, optionally with a
	// port (the IKE port, 500 by default). Backups are tried in order when
	// it does not answer within AuthTimeout.
	Server      string
	Backups     []string
	AuthTimeout time.Duration // 12 s (the profile default) when zero

	Auth  profile.AuthMethod // EAP-AnyConnect when empty
	Group string             // the AnyConnect tunnel group (profile UserGroup)
	// Identity is sent as IDi of type key ID (the profile's IKEIdentity).
	// When empty, EAP methods send the AnyConnect identity and
	// certificate methods the certificate's subject.
	Identity string
	Username string
	Password string // empty: asked through a FormEvent

	// ClientCert authenticates IKE-RSA/IKE-ECDSA and the certificate path
	// of EAP-AnyConnect.
	ClientCert *Certificate
	// CAFile adds trusted CAs; Pins are "pin-sha256:..." values.
	CAFile string
	Pins   []string
	// ServerName is what the headend's certificate must name; the host
	// part of Server when empty.
	ServerName string

	IKEProposals string // proposal strings; defaults when empty
	ESPProposals string
	Timers       Timers
	// StatsInterval is how often a connected session reports StatsEvent
	// and checks the CHILD SA's volume for a rekey; 5 s when zero.
	StatsInterval time.Duration
	// RekeyBytes rekeys the CHILD SA after it carried this many bytes
	// (a lifetime by volume, such as the seed ASA's 4608000 KB); 0: by
	// time only. The ESP sequence numbers force a rekey before they wrap
	// in any case.
	RekeyBytes uint64
	// MTU fixes the tunnel's MTU; 0 derives it from the path.
	MTU int

	// PushedProfileDir is where profiles the headend pushes are stored
	// once the tunnel is up (see ProfileEvent); profile.PushedDir() is
	// the folder profile.Discover reads. Empty: they are not fetched.
	PushedProfileDir string

	// HostScan is the user's posture-check wrapper, run when the headend
	// demands a host scan; nil: such headends are refused.
	HostScan func(HostScanRequest) (string, error)

	NoRoutes bool
	NoDNS    bool
	// LocalLAN keeps the local networks off the tunnel when the headend
	// allows it (profile LocalLanAccess).
	LocalLAN bool
	// AutoReconnect reconnects after the tunnel was up, whenever it ends
	// for a passing reason (the headend stopped answering or restarted,
	// the network went away), with a backoff of 1 s doubling to 30 s that
	// starts over once a tunnel stayed up a minute. Only authentication
	// and configuration errors, or the user, end the session.
	AutoReconnect bool
	// WaitForHeadend keeps trying, on the first connect, a headend that
	// never answered IKE_SA_INIT at all. Without it the session ends with
	// a *NoIKEv2Error once every address had AuthTimeout (a headend that
	// never answers may speak AnyConnect over SSL only). Other passing
	// failures of the first connect (no network, a setup lost in a lossy
	// network, a headend that answered then went silent) are retried
	// either way.
	WaitForHeadend bool
	// KeyLog, when set, receives the IKE and ESP keys in Wireshark's
	// key-table formats. It defeats the encryption: debugging only.
	KeyLog io.Writer
	// Log receives debug lines (never secrets).
	Log func(format string, args ...any)
}

func (o *Options) check() error {
	if strings.TrimSpace(o.Server) == "" {
		return fmt.Errorf("no headend given")
	}
	if o.Auth == "" {
		o.Auth = profile.AuthEAPAnyConnect
	}
	if _, err := profile.ParseAuthMethod(string(o.Auth)); err != nil {
		return err
	}
	if o.Auth.UsesCertificate() && o.ClientCert == nil {
		return fmt.Errorf("%s needs a client certificate", o.Auth)
	}
	if o.AuthTimeout == 0 {
		o.AuthTimeout = 12 * time.Second
	}
	if o.StatsInterval < 0 {
		return fmt.Errorf("the statistics interval (StatsInterval) is negative: %s", o.StatsInterval)
	}
	if o.StatsInterval == 0 {
		o.StatsInterval = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	return nil
}

// Timers tune retransmission, dead peer detection and the SA lifetimes;
// zero fields take the defaults.
type Timers = ikev2.Timers
