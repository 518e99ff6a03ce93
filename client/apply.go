package client

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/vpnc-go/vpnc-go/client/netcfg"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// apply carries out the state machine's actions. It returns a closedError
// when the IKE SA ended, any other error when the OS side failed.
func (c *attempt) apply(ctx context.Context, acts []ikev2.Action) error {
	s := c.s
	for _, a := range acts {
		switch a := a.(type) {
		case ikev2.Send:
			if err := c.dp.SendIKE(a.To, a.Encap, a.Datagrams); err != nil {
				s.opts.Log("sending to %s: %v", a.To, err)
			}
		case ikev2.Progress:
			if st, ok := stageOf(a); ok {
				s.emit(ctx, StageEvent{Stage: st, Detail: a.Detail})
			}
		case ikev2.NeedInput:
			s.emit(ctx, FormEvent{Form: formOf(a.Form)})
		case ikev2.IKEKeys:
			s.keyLog(a.IKEKeyLogLine(), "IKE SA keys")
		case ikev2.InstallChild:
			// The SA carries what its traffic selectors allow; anything
			// else that enters the TUN device (IPv6 router solicitations
			// on an IPv4 tunnel, say) is dropped, never sent in clear.
			if err := c.dp.Install(a.SA, a.SA.PeerPrefixes()); err != nil {
				return fmt.Errorf("installing %s: %w", a.SA, err)
			}
			c.child = a.SA
			for _, l := range a.SA.ESPKeyLogLines() {
				s.keyLog(l, "ESP SA keys")
			}
		case ikev2.RemoveChild:
			c.dp.Remove(a.SA)
		case ikev2.Established:
			if err := c.established(ctx, a); err != nil {
				return err
			}
		case ikev2.Closed:
			c.teardown()
			return closedError{a.Err}
		}
	}
	return nil
}

// keyLog writes one key-table line. The first one carries a warning.
func (s *Session) keyLog(line, what string) {
	if s.opts.KeyLog == nil {
		return
	}
	fmt.Fprintf(s.opts.KeyLog, "%s\n", line)
	s.opts.Log("wrote %s to the key log: anyone with it can decrypt this session", what)
}

// established configures the OS for the tunnel and reports it up.
func (c *attempt) established(ctx context.Context, e ikev2.Established) error {
	s := c.s
	tc := e.Config
	s.emit(ctx, StageEvent{Stage: StageConfiguring})
	dev, mtu := c.dp.Device()
	if s.opts.MTU > 0 {
		mtu = s.opts.MTU
	} else if s.deps.PathMTU != nil {
		if path, err := s.deps.PathMTU(tc.Headend.Addr()); err == nil {
			mtu = tunnelMTU(path, tc.ESPSuite, tc.Headend.Addr())
		} else {
			s.opts.Log("path MTU to %s unknown (%v); keeping %d", tc.Headend.Addr(), err, mtu)
		}
	}
	nc := netcfg.Config{Interface: dev, MTU: mtu, Headend: tc.Headend.Addr()}
	for _, p := range []netip.Prefix{tc.Address4, tc.Address6} {
		if p.IsValid() {
			nc.Addresses = append(nc.Addresses, p)
		}
	}
	if len(nc.Addresses) == 0 {
		return fmt.Errorf("the headend assigned no address")
	}
	if !s.opts.NoRoutes {
		nc.Include = tc.Include
		nc.Exclude = append(nc.Exclude, tc.Exclude...)
		if s.opts.LocalLAN {
			nc.Exclude = append(nc.Exclude, tc.LocalLAN...)
		}
	}
	if !s.opts.NoDNS {
		nc.DNS, nc.Domains = tc.DNS, tc.Domains
		// A split tunnel with domains resolves only those through it.
		nc.SplitDNS = len(tc.Domains) > 0 && !fullTunnel(tc.Include)
	}
	if s.deps.NetConfig != nil {
		if err := s.deps.NetConfig.Apply(ctx, nc); err != nil {
			return fmt.Errorf("configuring the system for the tunnel: %w", err)
		}
		c.applied = true
	}
	c.up, c.wasUp = true, true
	s.upAt = time.Now()
	s.loggedIn()
	s.emit(ctx, StageEvent{Stage: StageConnected, Detail: tc.Headend.String()})
	s.emit(ctx, ConnectedEvent{Settings: Settings{
		Headend: tc.Headend, Address4: tc.Address4, Address6: tc.Address6, DNS: tc.DNS, Domains: tc.Domains,
		Routes: nc.Include, Exclude: nc.Exclude, Banner: tc.Banner, IKESuite: tc.IKESuite.String(),
		ESPSuite: tc.ESPSuite.String(), MTU: mtu, Device: dev, SetupTime: time.Since(c.started),
	}})
	if c.stopFetch == nil { // once per attempt
		c.startProfileFetch(ctx, tc.Headend.Addr(), tc.AnyConnect)
	}
	return nil
}

func fullTunnel(ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Bits() == 0 {
			return true
		}
	}
	return false
}

// teardown undoes the OS configuration of this attempt.
func (c *attempt) teardown() {
	if c.applied && c.s.deps.NetConfig != nil {
		if err := c.s.deps.NetConfig.Revert(context.Background()); err != nil {
			c.s.opts.Log("restoring the system configuration: %v", err)
		}
		c.applied = false
	}
	c.up = false
}
