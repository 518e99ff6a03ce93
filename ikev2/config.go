package ikev2

import (
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// Timers holds the time policy of an IKE SA. Zero fields take defaults.
type Timers struct {
	// Retransmit is the first retransmission timeout of an established
	// SA's requests (rekeys, Deletes); each retry doubles it (RFC 7296
	// section 2.1) up to RetransmitTries sends in all. This schedule stays
	// the slow one: section 2.4 suggests retransmitting for long before
	// giving up on an SA.
	//
	// Setup requests (IKE_SA_INIT, IKE_AUTH) use a schedule of their own:
	// the first timeout is Retransmit until a round trip is measured on
	// the first exchange, then four round trips (between 200 ms and
	// Retransmit); it doubles on each retry up to twice Retransmit, and
	// the setup gives up when the conservative schedule would have, that
	// is Retransmit × (2^RetransmitTries − 1) after the first send.
	Retransmit      time.Duration
	RetransmitTries int
	// DPD is how long the peer may stay silent before we send an empty
	// INFORMATIONAL request to check it is alive (section 2.4). Zero
	// takes the default; negative disables.
	DPD time.Duration
	// DPDRetransmit is the first retransmission timeout of a liveness
	// check, doubling on each retry, and DPDTries the sends in all before
	// the peer is declared dead. Zero takes a tenth of DPD (between
	// 250 ms and 2 s) and 4 tries: a silent peer is declared dead 1.5 DPD
	// intervals after the check starts, 2.5 after it was last heard.
	DPDRetransmit time.Duration
	DPDTries      int
	// ChildRekey and IKERekey are how long an SA lives before we rekey it.
	// Zero takes the default; negative disables.
	ChildRekey time.Duration
	IKERekey   time.Duration
	// HalfOpen bounds the whole setup, from IKE_SA_INIT to established.
	HalfOpen time.Duration
}

// DefaultTimers follow common practice: the seed ASA's lifetimes are 8 h
// for CHILD SAs and 24 h for the IKE SA; rekeying happens a little earlier.
var DefaultTimers = Timers{
	Retransmit:      time.Second,
	RetransmitTries: 6,
	DPD:             30 * time.Second,
	ChildRekey:      8*time.Hour - 10*time.Minute,
	IKERekey:        24*time.Hour - 20*time.Minute,
	HalfOpen:        2 * time.Minute,
}

func (t Timers) withDefaults() Timers {
	d := DefaultTimers
	if t.Retransmit > 0 {
		d.Retransmit = t.Retransmit
	}
	if t.RetransmitTries > 0 {
		d.RetransmitTries = t.RetransmitTries
	}
	if t.DPD != 0 {
		d.DPD = t.DPD
	}
	d.DPDRetransmit, d.DPDTries = t.DPDRetransmit, t.DPDTries
	if d.DPDRetransmit <= 0 {
		d.DPDRetransmit = min(max(d.DPD/10, 250*time.Millisecond), 2*time.Second)
	}
	if d.DPDTries <= 0 {
		d.DPDTries = 4
	}
	if t.ChildRekey != 0 {
		d.ChildRekey = t.ChildRekey
	}
	if t.IKERekey != 0 {
		d.IKERekey = t.IKERekey
	}
	if t.HalfOpen > 0 {
		d.HalfOpen = t.HalfOpen
	}
	return d
}

// DefaultFragmentSize is the largest IKE datagram sent before fragmenting:
// 1280 (the IPv6 minimum MTU) less the IP and UDP headers and the non-ESP
// marker, as RFC 7383 section 2.5.1 suggests for unknown paths.
const DefaultFragmentSize = 1280 - 40 - 8 - 4

// Config is the configuration both roles share.
type Config struct {
	Rand         io.Reader       // defaults to crypto/rand
	IKEProposals []wire.Proposal // defaults to DefaultIKEProposals
	ESPProposals []wire.Proposal // defaults to DefaultESPProposals
	Timers       Timers
	FragmentSize int // defaults to DefaultFragmentSize
	// CiscoVendorIDs sends the vendor IDs a Cisco peer expects and
	// enables the Cisco quirks (AUTH hash, fragmentation vendor ID).
	CiscoVendorIDs bool
	// ForceEncap makes both sides use UDP encapsulation (port 4500, ESP
	// in UDP) even without a NAT: our NAT detection hash is made not to
	// match, so the peer sees a NAT too (RFC 7296 section 2.23 lets a
	// sender do this). vpnc-go's data plane speaks only ESP in UDP.
	ForceEncap bool
	// ExportKeys emits an IKEKeys action whenever an IKE SA gets keys, for
	// a key log (debugging with Wireshark).
	ExportKeys bool
	// Log, when set, receives debug lines (never secrets).
	Log func(format string, args ...any)
}

func (c *Config) fill() error {
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	var err error
	if c.IKEProposals == nil {
		if c.IKEProposals, err = ParseProposals(DefaultIKEProposals, iana.ProtoIKE); err != nil {
			return err
		}
	}
	if c.ESPProposals == nil {
		if c.ESPProposals, err = ParseProposals(DefaultESPProposals, iana.ProtoESP); err != nil {
			return err
		}
	}
	for _, p := range c.IKEProposals {
		if p.Protocol != iana.ProtoIKE {
			return fmt.Errorf("ikev2: IKE proposal %d is for %s", p.Number, p.Protocol)
		}
	}
	for _, p := range c.ESPProposals {
		if p.Protocol != iana.ProtoESP {
			return fmt.Errorf("ikev2: ESP proposal %d is for %s", p.Number, p.Protocol)
		}
	}
	if c.FragmentSize == 0 {
		c.FragmentSize = DefaultFragmentSize
	}
	if c.FragmentSize < 576-28 {
		return fmt.Errorf("ikev2: fragment size %d is below the 548 bytes every path carries", c.FragmentSize)
	}
	c.Timers = c.Timers.withDefaults()
	if c.Log == nil {
		c.Log = func(string, ...any) {}
	}
	return nil
}

// Cisco vendor IDs, all seven in the IKE_SA_INIT recorded in
// testdata/vectors/eap-anyconnect. Cisco's documentation or widely used
// implementations confirm DELETE-REASON, COPYRIGHT, GRE-MODE and
// FRAGMENTATION; the ANYCONNECT and NGE ones are known only from
// reverse-engineered code.
var (
	vidCiscoDeleteReason = []byte("CISCO-DELETE-REASON")
	vidCiscoCopyright    = []byte("CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc.")
	vidCiscoGREMode      = []byte("CISCO-GRE-MODE")
	vidCiscoStrap        = []byte("CISCO-ANYCONNECT-STRAP")
	vidCiscoEAP          = []byte("CISCO-ANYCONNECT-EAP")
	vidCiscoNGE          = []byte("CISCO-NGE-LEVEL")
	// vidCiscoFragmentation is MD5("FRAGMENTATION"): Cisco-style
	// fragmentation with payload 132.
	vidCiscoFragmentation = []byte{0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3}
)

// ciscoVendorIDs are the vendor IDs of IKE_SA_INIT: the Cisco peer ones
// (an ASA sends these) when cisco is set, and those an AnyConnect client
// sends with EAP-AnyConnect when anyConnect is. A headend tells an
// EAP-AnyConnect client by CISCO-ANYCONNECT-EAP.
func ciscoVendorIDs(cisco, anyConnect bool) []wire.Payload {
	var ids [][]byte
	if cisco {
		ids = append(ids, vidCiscoDeleteReason, vidCiscoCopyright, vidCiscoFragmentation, vidCiscoGREMode)
	}
	if anyConnect {
		ids = append(ids, vidCiscoStrap, vidCiscoEAP, vidCiscoNGE)
	}
	out := make([]wire.Payload, len(ids))
	for i, id := range ids {
		out[i] = &wire.VendorID{Data: id}
	}
	return out
}
