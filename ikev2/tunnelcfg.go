package ikev2

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"

	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// tunnelConfig reads the CFG_REPLY and the narrowed TSr of the last
// IKE_AUTH answer. Unknown attributes are ignored; one that does not parse
// is skipped rather than fatal, since the tunnel works without it.
func tunnelConfig(ps []wire.Payload, tsr []wire.TrafficSelector) *Assignment {
	cfg := &Assignment{}
	var addr4 netip.Addr
	mask4 := 32
	if cp, ok := wire.Find[*wire.CP](ps); ok && cp.CfgType == wire.CFG_REPLY {
		for _, a := range cp.Attributes {
			switch a.AttrType {
			case wire.INTERNAL_IP4_ADDRESS:
				if v, err := a.Addr(); err == nil && v.Is4() {
					addr4 = v
				}
			case wire.INTERNAL_IP4_NETMASK:
				if len(a.Value) == 4 {
					if bits, ok := maskLen(a.Value); ok {
						mask4 = bits
					}
				}
			case wire.INTERNAL_IP6_ADDRESS:
				if p, err := a.Prefix(); err == nil {
					cfg.Address6 = netip.PrefixFrom(p.Addr(), p.Bits())
				}
			case wire.INTERNAL_IP4_DNS, wire.INTERNAL_IP6_DNS:
				if v, err := a.Addr(); err == nil {
					cfg.DNS = append(cfg.DNS, v)
				}
			case wire.INTERNAL_IP4_NBNS:
				if v, err := a.Addr(); err == nil {
					cfg.NBNS = append(cfg.NBNS, v)
				}
			case wire.INTERNAL_IP4_SUBNET, wire.INTERNAL_IP6_SUBNET:
				if p, err := a.Prefix(); err == nil {
					cfg.Include = appendPrefix(cfg.Include, p)
				}
			case wire.INTERNAL_DNS_DOMAIN, wire.UNITY_DEF_DOMAIN:
				cfg.Domains = appendDomains(cfg.Domains, string(a.Value))
			case wire.UNITY_SPLITDNS_NAME:
				cfg.Domains = appendDomains(cfg.Domains, strings.ReplaceAll(string(a.Value), ",", " "))
			case wire.UNITY_SPLIT_INCLUDE:
				for _, p := range unityNetworks(a.Value) {
					cfg.Include = appendPrefix(cfg.Include, p)
				}
			case wire.UNITY_LOCAL_LAN:
				cfg.LocalLAN = append(cfg.LocalLAN, unityNetworks(a.Value)...)
			case wire.UNITY_BANNER:
				cfg.Banner = string(a.Value)
			case wire.APPLICATION_VERSION:
				cfg.AppVersion = string(a.Value)
			}
		}
	}
	if addr4.IsValid() {
		cfg.Address4 = netip.PrefixFrom(addr4, mask4)
	}
	// The narrowed TSr names what the tunnel carries; a headend that
	// sends only that (as the recorded AnyConnect exchange shows) gives
	// its split networks this way, and 0.0.0.0/0 means a full tunnel.
	for _, ts := range tsr {
		for _, p := range ts.Prefixes() {
			cfg.Include = appendPrefix(cfg.Include, p)
		}
	}
	return cfg
}

func appendPrefix(ps []netip.Prefix, p netip.Prefix) []netip.Prefix {
	p = p.Masked()
	if slices.Contains(ps, p) {
		return ps
	}
	return append(ps, p)
}

func appendDomains(ds []string, s string) []string {
	for _, d := range strings.Fields(s) {
		d = strings.TrimSuffix(strings.TrimSpace(d), ".")
		if d != "" && !slices.Contains(ds, d) {
			ds = append(ds, d)
		}
	}
	return ds
}

func maskLen(m []byte) (int, bool) {
	v := binary.BigEndian.Uint32(m)
	ones := 0
	for v&0x80000000 != 0 {
		ones++
		v <<= 1
	}
	return ones, v == 0
}

// unityNetworks parses the Cisco Unity network list format of IKEv1 mode
// config: entries of address(4) | mask(4) | protocol(1) | source port(2) |
// destination port(2) | padding(1) = 14 octets. A bare address|mask pair
// is accepted too.
func unityNetworks(v []byte) []netip.Prefix {
	var out []netip.Prefix
	step := 14
	if len(v) == 8 {
		step = 8
	}
	for off := 0; off+8 <= len(v) && len(v)%step == 0; off += step {
		addr := netip.AddrFrom4([4]byte(v[off : off+4]))
		if bits, ok := maskLen(v[off+4 : off+8]); ok {
			out = append(out, netip.PrefixFrom(addr, bits).Masked())
		}
	}
	return out
}
