package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/profile"
)

// Policy is what the administrator decides: the managed profiles, read by
// the agent itself (never sent by a front end), and the trust and OS
// settings of every session.
type Policy struct {
	// Profiles discovers the managed profiles; it is called for every
	// hosts and connect request, so new profiles count at once. The
	// catalog must hold managed profiles only: a user's own profile
	// folder is the front end's, and its hosts come as manual hosts.
	Profiles func() *profile.Catalog
	// CAFile adds trusted CAs for every headend.
	CAFile string
	// Timers apply to every session.
	Timers client.Timers
	// PushedProfileDir is where profiles the headend pushes are stored
	// (profile.PushedDir); nothing is fetched when empty.
	PushedProfileDir string
	// CertDirs are the folders searched for a client certificate when a
	// host needs one; client.CertDirs() when nil.
	CertDirs []string
}

// hosts lists the managed hosts.
func (p *Policy) hosts() *HostsResult {
	cat := p.catalog()
	res := &HostsResult{Hosts: []Host{}}
	res.ManualAllowed, res.ManualForbiddenBy = cat.ManualHostInputAllowed()
	for _, e := range cat.Entries {
		group, _ := e.TunnelGroup()
		auth := profile.AuthEAPAnyConnect
		if e.StandardAuthOnly {
			auth = e.AuthMethod
		}
		res.Hosts = append(res.Hosts, Host{
			Name: e.Name, Address: e.Address.String(), Group: group, Auth: string(auth),
			Source: e.Source, Usable: e.Supported, Reason: e.Reason,
		})
	}
	return res
}

func (p *Policy) catalog() *profile.Catalog {
	if p.Profiles == nil {
		return &profile.Catalog{}
	}
	return p.Profiles()
}

// policyError is a request the managed profiles do not allow.
func policyError(format string, a ...any) *Error {
	return &Error{CodePolicy, fmt.Sprintf(format, a...)}
}

// options turns a connect request into session options: a managed host
// keeps its profile's address, backups, group, authentication and
// certificate trust (a request that names others is refused, not
// silently changed); any other host is accepted only when the managed
// profiles allow manual host input.
func (p *Policy) options(req *ConnectRequest) (client.Options, *profile.Target, error) {
	cat := p.catalog()
	t, err := cat.Lookup(req.Host)
	if err != nil {
		return client.Options{}, nil, policyError("%v", err)
	}
	if t.Manual {
		if ok, src := cat.ManualHostInputAllowed(); !ok {
			return client.Options{}, nil, policyError("%q is not a managed host, and %s forbids other hosts (AllowManualHostInput is false)", req.Host, src)
		}
	} else if err := managedOverrides(req, t); err != nil {
		return client.Options{}, nil, err
	}
	o := client.Options{
		Server:           t.Address.Host,
		Group:            t.UserGroup,
		Auth:             t.AuthMethod,
		AutoReconnect:    t.AutoReconnect && !req.NoReconnect,
		LocalLAN:         t.LocalLanAccess,
		AuthTimeout:      t.AuthenticationTimeout,
		Identity:         t.IKEIdentity,
		Username:         req.User,
		Password:         req.Password,
		CAFile:           p.CAFile,
		PushedProfileDir: p.PushedProfileDir,
		IKEProposals:     req.IKE,
		ESPProposals:     req.ESP,
		NoDNS:            req.NoDNS,
		NoRoutes:         req.NoRoutes,
		Timers:           p.Timers,
	}
	for _, b := range t.Backups {
		o.Backups = append(o.Backups, b.Host)
	}
	if t.Manual {
		o.AutoReconnect = !req.NoReconnect
		o.Backups = append(o.Backups, req.Backups...)
		o.Pins = req.ServerCert
		if req.Identity != "" {
			o.Identity = req.Identity
		}
	}
	if req.Group != "" {
		o.Group = req.Group
	}
	if req.Auth != "" {
		m, err := profile.ParseAuthMethod(req.Auth)
		if err != nil {
			return client.Options{}, nil, &Error{CodeBadRequest, "connect: auth: " + err.Error()}
		}
		o.Auth = m
	}
	if _, err := client.CheckProposals(req.IKE, req.ESP); err != nil {
		return client.Options{}, nil, &Error{CodeBadRequest, "connect: " + err.Error()}
	}
	if o.Auth.UsesCertificate() || t.CertificateMatch != nil {
		dirs := p.CertDirs
		if dirs == nil {
			dirs = client.CertDirs()
		}
		cred, err := client.SelectCertificate(dirs, t.CertificateMatch, time.Now())
		if err != nil && o.Auth != profile.AuthEAPAnyConnect {
			return client.Options{}, nil, &Error{CodeConnect, err.Error()}
		}
		o.ClientCert = cred
	}
	return o, t, nil
}

// managedOverrides refuses what a user may not change about a managed
// host: where it is, which tunnel group and authentication it uses, and
// which certificates it trusts.
func managedOverrides(req *ConnectRequest, t *profile.Target) error {
	switch {
	case len(req.Backups) > 0:
		return policyError("%q is a managed host (%s): its backup servers come from the profile", t.Name, t.Source)
	case req.Group != "" && t.UserGroup != "" && !strings.EqualFold(req.Group, t.UserGroup):
		return policyError("%q is a managed host (%s): its tunnel group is %q, not %q", t.Name, t.Source, t.UserGroup, req.Group)
	case req.Auth != "" && !strings.EqualFold(req.Auth, string(t.AuthMethod)):
		return policyError("%q is a managed host (%s): its authentication is %s, not %s", t.Name, t.Source, t.AuthMethod, req.Auth)
	case len(req.ServerCert) > 0:
		return policyError("%q is a managed host (%s): which headend certificates it trusts is the administrator's choice", t.Name, t.Source)
	case req.Identity != "" && req.Identity != t.IKEIdentity:
		return policyError("%q is a managed host (%s): its IKE identity comes from the profile", t.Name, t.Source)
	}
	return nil
}
