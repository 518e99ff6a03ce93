package netcfg

import (
	"context"
	"net/netip"
)

// resolvedDomain is one entry of SetLinkDomains: a search domain, or with
// RoutingOnly a domain whose names go to this link's servers only.
type resolvedDomain struct {
	Domain      string
	RoutingOnly bool
}

// resolvedAPI is the part of systemd-resolved's D-Bus API that is used; a
// fake stands in for it in unit tests.
type resolvedAPI interface {
	SetLinkDNS(ctx context.Context, ifindex int, servers []netip.Addr) error
	SetLinkDomains(ctx context.Context, ifindex int, domains []resolvedDomain) error
	SetLinkDefaultRoute(ctx context.Context, ifindex int, on bool) error
	RevertLink(ctx context.Context, ifindex int) error
	FlushCaches(ctx context.Context) error
	Close() error
}

// resolvedSettings are the calls that make cfg's DNS on a link. Split DNS:
// the domains are routing-only ("~corp.example") and the link is no default
// route, so no other name reaches the tunnel's servers. Otherwise the
// domains are search domains and "~." makes the tunnel's servers the only
// ones for names that no other link claims more specifically.
func resolvedSettings(cfg Config) (domains []resolvedDomain, defaultRoute bool) {
	for _, d := range cfg.Domains {
		if d = normDomain(d); d != "" {
			domains = append(domains, resolvedDomain{Domain: d, RoutingOnly: cfg.SplitDNS})
		}
	}
	if cfg.SplitDNS {
		return domains, false
	}
	return append(domains, resolvedDomain{Domain: ".", RoutingOnly: true}), true
}

// applyResolved sets DNS for cfg on the link. The link must be up and
// addressed: resolved accepts settings for a link without carrier but
// ignores them.
func applyResolved(ctx context.Context, api resolvedAPI, ifindex int, cfg Config) error {
	domains, def := resolvedSettings(cfg)
	if err := api.SetLinkDNS(ctx, ifindex, cfg.DNS); err != nil {
		return err
	}
	if err := api.SetLinkDomains(ctx, ifindex, domains); err != nil {
		return err
	}
	if err := api.SetLinkDefaultRoute(ctx, ifindex, def); err != nil {
		return err
	}
	// Answers cached before the change would keep going to the old servers.
	_ = api.FlushCaches(ctx)
	return nil
}
