package headend

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.zx2c4.com/wireguard/tun"

	"github.com/vpnc-go/vpnc-go/client/dataplane"
	"github.com/vpnc-go/vpnc-go/esp"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// Run serves clients with the headend emulator until ctx ends: IKE on UDP
// 500 and 4500 of cfg.Listen, ESP in UDP on 4500, and a TUN device whose
// traffic goes to this network namespace's networks. It sets
// net.ipv4.ip_forward when cfg.Tunnel.Forward asks, routes the pools to
// the TUN device, and undoes both when it returns.
func Run(ctx context.Context, cfg *Config, logf func(string, ...any)) error {
	pol, err := NewPolicy(cfg, logf)
	if err != nil {
		return err
	}
	rc, err := pol.ServerConfig()
	if err != nil {
		return err
	}
	listen, _ := netip.ParseAddr(cfg.Listen)
	rc.Local = netip.AddrPortFrom(listen, uint16(cfg.IKEPort))
	srv, err := ikev2.NewServer(rc)
	if err != nil {
		return err
	}
	ike, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(rc.Local))
	if err != nil {
		return fmt.Errorf("IKE port: %w", err)
	}
	natt, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(listen, uint16(cfg.NATTPort))))
	if err != nil {
		ike.Close()
		return fmt.Errorf("NAT-T port: %w", err)
	}
	name, mtu := cfg.Tunnel.Interface, cfg.Tunnel.MTU
	if name == "" {
		name = "vpnc-headend"
	}
	if mtu == 0 {
		mtu = 1400
	}
	dev, err := tun.CreateTUN(name, mtu)
	if err != nil {
		ike.Close()
		natt.Close()
		return fmt.Errorf("creating TUN device %s: %w", name, err)
	}
	type inbound struct {
		from  netip.AddrPort
		encap bool
		msg   []byte
	}
	in := make(chan inbound, 256)
	nattBC, err := esp.NewBatchConn(natt)
	var ikeBC esp.BatchConn
	if err == nil {
		ikeBC, err = esp.NewBatchConn(ike)
	}
	if err != nil {
		dev.Close()
		ike.Close()
		natt.Close()
		return err
	}
	plane, err := dataplane.Start(esp.TunnelConfig{
		TUN:     dev,
		Sockets: []esp.Socket{{Conn: nattBC}, {Conn: ikeBC, RawIKE: true}},
		OnIKE: func(from netip.AddrPort, encap bool, msg []byte) {
			select {
			case in <- inbound{from, encap, append([]byte(nil), msg...)}:
			default:
			}
		},
		Log: logf,
	})
	if err != nil {
		dev.Close()
		ike.Close()
		natt.Close()
		return err
	}
	defer plane.Close()

	undo, err := setupHost(name, cfg)
	defer undo()
	if err != nil {
		return err
	}
	stopServices, err := serveClientServices(ctx, cfg, pol)
	if err != nil {
		return err
	}
	defer stopServices()
	logf("headend listening on %s (IKE) and %s (NAT-T), tunnel device %s", ike.LocalAddr(), natt.LocalAddr(), name)

	apply := func(acts []ikev2.Action) {
		for _, a := range acts {
			switch a := a.(type) {
			case ikev2.Send:
				if err := plane.SendIKE(a.To, a.Encap, a.Datagrams); err != nil {
					logf("sending to %s: %v", a.To, err)
				}
			case ikev2.InstallChild:
				// A client's CHILD SA carries the client's addresses, the
				// peer's side of its traffic selectors.
				if err := plane.Install(a.SA, a.SA.PeerPrefixes()); err != nil {
					logf("installing %s: %v", a.SA, err)
				}
			case ikev2.RemoveChild:
				plane.Remove(a.SA)
			case ikev2.PeerMoved:
				plane.PeerMoved(a.Children)
			case ikev2.Established:
				logf("session up: %s from %s, address %s, %s / %s", a.User, a.Config.Headend, a.Config.Address4.Addr(),
					a.Config.IKESuite, a.Config.ESPSuite)
			case ikev2.Closed:
				if a.Err != nil {
					logf("session ended: %v", a.Err)
				} else {
					logf("session ended")
				}
			}
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := time.Hour
		if d := srv.NextDeadline(); !d.IsZero() {
			wait = max(time.Until(d), 0)
		}
		timer.Reset(wait)
		select {
		case m := <-in:
			apply(srv.HandleDatagram(time.Now(), m.from, m.encap, m.msg))
		case <-timer.C:
			apply(srv.HandleTimeout(time.Now()))
		case <-plane.Done():
			return fmt.Errorf("data plane: %w", plane.Err())
		case <-ctx.Done():
			// Tell every client, and give the Deletes a moment.
			apply(srv.Close(time.Now()))
			deadline := time.After(2 * time.Second)
			for srv.Sessions() > 0 {
				select {
				case m := <-in:
					apply(srv.HandleDatagram(time.Now(), m.from, m.encap, m.msg))
				case <-deadline:
					return nil
				}
			}
			return nil
		}
	}
}
