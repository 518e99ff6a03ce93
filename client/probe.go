package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// ProbeOptions tune Probe.
type ProbeOptions struct {
	// Timeout is how long one family may go unanswered (5 s when zero);
	// the request is retransmitted after 1 s, then 2 s, ... within it.
	Timeout time.Duration
	// Resolve looks a host name up; the system resolver when nil.
	Resolve func(host string) ([]netip.Addr, error)
	// Log receives debug lines.
	Log func(format string, args ...any)
}

// ProbeResult is the headend's answer for one family of IKE suites.
type ProbeResult struct {
	Family  string // such as "AES-GCM" or "AES-CBC with a weak DH group"
	Offered string // the proposal string offered
	// Accepted: the headend chose Suite out of the offer.
	Accepted bool
	Suite    string // the chosen suite, such as "aes192-sha1-prfsha1-modp1024"
	// IKE is the --ike value (IKEProposals) that offers exactly Suite.
	IKE string
	// Weak says why Suite is weak (RFC 8247 rates it SHOULD NOT or worse);
	// empty for a sound suite.
	Weak []string
	// Refused is the headend's error notify (NO_PROPOSAL_CHOSEN, ...) or
	// "no answer" when it did not accept.
	Refused string
	// AskedGroups are the DH groups the headend asked for with
	// INVALID_KE_PAYLOAD.
	AskedGroups []string
}

// Probe asks the headend host (a name or address, optionally with the IKE
// port, 500 by default) which IKE suites it accepts: one unauthenticated
// IKE_SA_INIT per family of ikev2.ProbeFamilies, as ike-scan does. It sends
// to that one address only, and nothing beyond IKE_SA_INIT. The answers
// are unauthenticated: they help the user choose what to offer, and
// vpnc-go never acts on them by itself.
func Probe(ctx context.Context, host string, opts ProbeOptions) ([]ProbeResult, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	remote, err := probeAddress(host, opts.Resolve)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(remote))
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", host, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()

	var out []ProbeResult
	answered := false
	for _, fam := range ikev2.ProbeFamilies {
		r, err := probeFamily(ctx, conn, local, remote, fam, opts)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		if err != nil {
			return out, fmt.Errorf("probe %s (%s): %w", host, fam.Name, err)
		}
		if r.Refused == "no answer" && !answered {
			return out, fmt.Errorf("probe %s: no answer to IKE_SA_INIT on %s within %s", host, remote, opts.Timeout)
		}
		answered = true
		out = append(out, r)
	}
	return out, nil
}

func probeAddress(host string, lookup func(string) ([]netip.Addr, error)) (netip.AddrPort, error) {
	name, port, err := splitHostPort(host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if a, err := netip.ParseAddr(name); err == nil {
		return netip.AddrPortFrom(a, port), nil
	}
	if lookup == nil {
		lookup = resolve
	}
	addrs, err := lookup(name)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("resolving %s: %w", name, err)
	}
	if len(addrs) == 0 {
		return netip.AddrPort{}, fmt.Errorf("resolving %s: no address", name)
	}
	return netip.AddrPortFrom(addrs[0], port), nil
}

// probeFamily runs one exchange over conn.
func probeFamily(ctx context.Context, conn *net.UDPConn, local, remote netip.AddrPort, fam ikev2.ProbeFamily, opts ProbeOptions) (ProbeResult, error) {
	r := ProbeResult{Family: fam.Name, Offered: fam.Proposals}
	ps, err := ikev2.ParseProposals(fam.Proposals, iana.ProtoIKE)
	if err != nil {
		return r, err
	}
	p, err := ikev2.NewProbe(ikev2.ProbeConfig{Local: local, Remote: remote, Proposals: ps, AnyConnect: true})
	if err != nil {
		return r, err
	}
	buf := make([]byte, 65536)
	deadline := time.Now().Add(opts.Timeout)
	wait := time.Second
	for {
		if _, err := conn.Write(p.Request()); err != nil {
			return r, err
		}
		next := time.Now().Add(wait)
		wait *= 2
		for {
			if next.After(deadline) {
				next = deadline
			}
			conn.SetReadDeadline(next)
			n, err := conn.Read(buf)
			if ctx.Err() != nil {
				return r, ctx.Err()
			}
			if err != nil && !isTimeout(err) {
				return r, err
			}
			if err != nil { // timeout: retransmit, or give up
				if !time.Now().Before(deadline) {
					r.Refused = "no answer"
					return r, nil
				}
				break
			}
			step, err := p.Handle(buf[:n])
			if err != nil {
				opts.Log("probe %s: %v", fam.Name, err)
			}
			if step == ikev2.ProbeSend {
				wait = time.Second
				break
			}
			if step == ikev2.ProbeDone {
				return probeResult(r, p.Result()), nil
			}
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func probeResult(r ProbeResult, res ikev2.ProbeResult) ProbeResult {
	for _, g := range res.AskedGroups {
		r.AskedGroups = append(r.AskedGroups, ikev2.GroupName(g))
	}
	if res.Refused != 0 {
		r.Refused = res.Refused.String()
		return r
	}
	r.Accepted, r.Suite, r.IKE = true, res.Suite.String(), ikev2.ProposalValue(res.Suite)
	r.Weak = ikev2.WeakAlgorithms([]wire.Proposal{res.Suite.Proposal(1, iana.ProtoIKE, nil)})
	return r
}
