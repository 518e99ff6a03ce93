package ikev2

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// The state machines of this package are "sans-IO": they never touch a
// socket, a clock or a goroutine. A driver feeds them events (a datagram
// arrived, the deadline passed, the user answered a form) together with the
// current time, and carries out the Actions they return: send these bytes,
// install these CHILD SA keys, show this form. NextDeadline tells the driver
// when to call HandleTimeout next.

// Action is something a state machine asks its driver to do.
type Action interface{ isAction() }

// Send asks the driver to send datagrams to a peer. With Encap the driver
// sends from its NAT-T socket (port 4500) and puts the four-byte non-ESP
// marker before each datagram (RFC 3948 section 2.2).
type Send struct {
	To        netip.AddrPort
	Encap     bool
	Datagrams [][]byte
}

// InstallChild asks the driver to install a CHILD SA's keys in the data
// plane. During a rekey both the old and the new SA stay installed until a
// RemoveChild for the old one follows (make-before-break).
type InstallChild struct{ SA *ChildSA }

// RemoveChild asks the driver to remove a CHILD SA from the data plane.
type RemoveChild struct{ SA *ChildSA }

// PeerMoved tells the driver that the peer's address or port changed (a
// NAT rebinding seen in an authenticated message): ESP of these CHILD SAs
// now goes to their Remote.
type PeerMoved struct{ Children []*ChildSA }

// Progress tells the driver, for the user, that the SA starts an exchange:
// IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA for a rekey, or INFORMATIONAL to
// delete the IKE SA.
type Progress struct {
	Exchange iana.ExchangeType
	Detail   string // the peer, the SA rekeyed
}

// NeedInput asks the user to fill in a form (EAP-AnyConnect); the driver
// answers with Initiator.Answer.
type NeedInput struct{ Form *eap.Form }

// Established reports the IKE SA and its first CHILD SA up, with the
// settings the headend gave.
type Established struct {
	Config *Assignment
	Child  *ChildSA
	User   string // on the headend: who authenticated
}

// Closed reports the end of an IKE SA: Err is nil after an orderly close,
// and says why otherwise. No action follows it.
type Closed struct{ Err error }

func (Send) isAction()         {}
func (InstallChild) isAction() {}
func (RemoveChild) isAction()  {}
func (PeerMoved) isAction()    {}
func (Progress) isAction()     {}
func (NeedInput) isAction()    {}
func (Established) isAction()  {}
func (Closed) isAction()       {}

// ChildSA is one negotiated CHILD SA (an ESP SA pair) with its keys.
type ChildSA struct {
	InSPI, OutSPI uint32 // what we receive on, what we send with
	Suite         Suite
	In, Out       ikecrypto.SAKeys
	// TSi and TSr are as the IKE_AUTH exchange named them (the client's
	// side, the headend's side), whoever initiated later rekeys.
	TSi, TSr []wire.TrafficSelector
	Created  time.Time
	// Remote is where ESP in UDP goes: the peer's address, port 4500.
	Remote netip.AddrPort
	// Initiated says we initiated the exchange that made this SA: the peer
	// has it installed already, so the data plane may send on it at once
	// (otherwise it waits for the peer's first packet on it).
	Initiated bool

	localIsTSi bool // we were the IKE_AUTH initiator: TSi is our side
	rekeyAt    time.Time
	rekeying   bool     // a CREATE_CHILD_SA of ours is in flight for it
	replaced   bool     // a new SA took over; waiting for its Delete
	collision  [][]byte // the nonces of a simultaneous rekey by the peer
}

// PeerTS returns the peer's side of the traffic selectors: the networks
// the SA carries packets to.
func (c *ChildSA) PeerTS() []wire.TrafficSelector {
	if c.localIsTSi {
		return c.TSr
	}
	return c.TSi
}

// PeerPrefixes returns the networks of PeerTS.
func (c *ChildSA) PeerPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, ts := range c.PeerTS() {
		out = append(out, ts.Prefixes()...)
	}
	return out
}

func (c *ChildSA) localTS() []wire.TrafficSelector {
	if c.localIsTSi {
		return c.TSi
	}
	return c.TSr
}

// setTS stores selectors given as ours and the peer's.
func (c *ChildSA) setTS(local, peer []wire.TrafficSelector) {
	if c.localIsTSi {
		c.TSi, c.TSr = local, peer
	} else {
		c.TSi, c.TSr = peer, local
	}
}

func (c *ChildSA) String() string {
	return fmt.Sprintf("ESP in %08x out %08x %s", c.InSPI, c.OutSPI, c.Suite)
}

// Assignment is what the headend assigned in its CFG_REPLY and the
// narrowed traffic selectors, plus what EAP-AnyConnect said.
type Assignment struct {
	Address4   netip.Prefix // address with its netmask; invalid when none
	Address6   netip.Prefix
	DNS        []netip.Addr
	NBNS       []netip.Addr
	Domains    []string       // search / split-DNS domains
	Include    []netip.Prefix // split include networks; 0.0.0.0/0 for full tunnel
	Exclude    []netip.Prefix // split exclude networks
	LocalLAN   []netip.Prefix // networks the headend lets stay local
	Banner     string
	AppVersion string
	// AnyConnect is what EAP-AnyConnect's complete message gave (session
	// token, profile manifest, ...), nil with other methods.
	AnyConnect *anyconnect.Complete
	Headend    netip.AddrPort
	IKESuite   Suite
	ESPSuite   Suite
}
