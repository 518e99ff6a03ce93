// Package dataplane joins the IKE layer to the ESP pipeline: it turns a
// negotiated CHILD SA into the esp package's SA pair and runs an
// esp.Tunnel between a TUN device and UDP sockets, keeping what the rekey
// policy needs to know about each SA. The client's session and the headend
// emulator both use it, each from its own side; it imports neither.
package dataplane

import (
	"context"
	"net/netip"
	"sync"

	"github.com/vpnc-go/vpnc-go/esp"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// Plane is a running ESP pipeline with its CHILD SAs.
type Plane struct {
	tunnel *esp.Tunnel
	cancel context.CancelFunc
	done   chan struct{} // closed when the pipeline stopped
	err    error         // why, once done is closed

	mu  sync.Mutex
	out map[uint32]*esp.OutboundSA // by inbound SPI
}

// Start builds the pipeline from cfg (it owns the TUN device and sockets
// from then on) and runs it until Close.
func Start(cfg esp.TunnelConfig) (*Plane, error) {
	t, err := esp.NewTunnel(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Plane{tunnel: t, cancel: cancel, done: make(chan struct{}), out: map[uint32]*esp.OutboundSA{}}
	go func() {
		p.err = t.Run(ctx)
		close(p.done)
	}()
	return p, nil
}

// NewSAPair builds the data plane's SA pair of a negotiated CHILD SA that
// carries the inner networks given.
func NewSAPair(c *ikev2.ChildSA, inner []netip.Prefix) (esp.SAPair, error) {
	cfg := esp.Config{SPI: c.InSPI, Encr: c.Suite.Encr, EncrKeyBits: int(c.Suite.KeyBits), Integ: c.Suite.Integ,
		ESN: c.Suite.ESN, EncrKey: c.In.Encr, IntegKey: c.In.Integ}
	in, err := esp.NewInboundSA(cfg)
	if err != nil {
		return esp.SAPair{}, err
	}
	cfg.SPI, cfg.EncrKey, cfg.IntegKey = c.OutSPI, c.Out.Encr, c.Out.Integ
	out, err := esp.NewOutboundSA(cfg)
	if err != nil {
		return esp.SAPair{}, err
	}
	return esp.SAPair{In: in, Out: out, Peer: c.Remote, Inner: inner, SendNow: c.Initiated}, nil
}

// Install adds a CHILD SA that carries traffic for the inner networks.
func (p *Plane) Install(c *ikev2.ChildSA, inner []netip.Prefix) error {
	pair, err := NewSAPair(c, inner)
	if err != nil {
		return err
	}
	if err := p.tunnel.Install(pair); err != nil {
		return err
	}
	p.mu.Lock()
	p.out[c.InSPI] = pair.Out
	p.mu.Unlock()
	return nil
}

// Remove takes a CHILD SA out.
func (p *Plane) Remove(c *ikev2.ChildSA) {
	p.tunnel.Remove(c.InSPI)
	p.mu.Lock()
	delete(p.out, c.InSPI)
	p.mu.Unlock()
}

// PeerMoved sends the ESP of these CHILD SAs to their peer's new address
// (a NAT rebinding the IKE layer saw in an authenticated message).
func (p *Plane) PeerMoved(children []*ikev2.ChildSA) {
	for _, c := range children {
		p.tunnel.SetPeer(c.InSPI, c.Remote)
	}
}

// SendIKE sends IKE datagrams; encap puts the Non-ESP Marker in front.
func (p *Plane) SendIKE(to netip.AddrPort, encap bool, msgs [][]byte) error {
	return p.tunnel.SendIKE(to, encap, msgs)
}

// Usage reports how many bytes a CHILD SA (by inbound SPI) has sent, and
// whether its sequence numbers near their end, for the rekey policy.
func (p *Plane) Usage(inSPI uint32) (bytes uint64, exhausted bool) {
	p.mu.Lock()
	out := p.out[inSPI]
	p.mu.Unlock()
	if out == nil {
		return 0, false
	}
	return out.Stats().Bytes, out.SoftLimitReached()
}

// Stats are the pipeline's counters.
func (p *Plane) Stats() esp.TunnelStats { return p.tunnel.Stats() }

// Done is closed when the pipeline stops (by itself or by Close); Err then
// says why.
func (p *Plane) Done() <-chan struct{} { return p.done }

// Err is the pipeline's error once Done is closed.
func (p *Plane) Err() error {
	<-p.done
	return p.err
}

// Close stops the pipeline; the TUN device and the sockets close with it.
func (p *Plane) Close() error {
	p.cancel()
	err := p.tunnel.Close()
	<-p.done
	return err
}
