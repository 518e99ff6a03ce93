package headend

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// Policy turns a Config into the headend's decisions: which EAP method a
// client gets, whether its password is right, what address it leases.
type Policy struct {
	cfg      *Config
	pools    map[string]*allocator
	clientCA *x509.CertPool
	profiles map[string]pushedProfile // by group policy
	now      func() time.Time
	log      func(string, ...any)
}

// NewPolicy prepares the policy of cfg.
func NewPolicy(cfg *Config, log func(string, ...any)) (*Policy, error) {
	p := &Policy{cfg: cfg, pools: map[string]*allocator{}, now: time.Now, log: log}
	if p.log == nil {
		p.log = func(string, ...any) {}
	}
	for name, pool := range cfg.Pools {
		p.pools[name] = newAllocator(pool)
	}
	var err error
	if p.profiles, err = loadProfiles(cfg); err != nil {
		return nil, err
	}
	if cfg.ClientCA != "" {
		cas, err := certs.LoadCAFile(cfg.Path(cfg.ClientCA))
		if err != nil {
			return nil, fmt.Errorf("client-ca: %w", err)
		}
		p.clientCA = x509.NewCertPool()
		for _, c := range cas {
			p.clientCA.AddCert(c)
		}
	}
	return p, nil
}

// ServerConfig builds the IKE responder's configuration.
func (p *Policy) ServerConfig() (ikev2.ServerConfig, error) {
	cfg := p.cfg
	rc := ikev2.ServerConfig{
		Config: ikev2.Config{
			CiscoVendorIDs: cfg.Crypto.Fragmentation != "rfc7383",
			ForceEncap:     cfg.Crypto.ForceEncap,
			FragmentSize:   cfg.Crypto.FragmentSize,
			Timers: ikev2.Timers{ChildRekey: cfg.Crypto.ChildLifetime.Duration, IKERekey: cfg.Crypto.IKELifetime.Duration,
				DPD: cfg.Crypto.DPD.Duration},
			Log: p.log,
		},
		AskIdentity:  func(c ikev2.EAPClient) bool { return !c.AnyConnect },
		EAP:          p.eapFor,
		Assign:       p.assign,
		VerifyClient: p.verifyClient,
		// An ASA with fragmentation off still sends its other vendor IDs.
		NoFragmentation: cfg.Crypto.Fragmentation == "off",
	}
	var err error
	if len(cfg.Crypto.IKE) > 0 {
		if rc.IKEProposals, err = ikev2.ParseProposals(strings.Join(cfg.Crypto.IKE, ","), iana.ProtoIKE); err != nil {
			return rc, fmt.Errorf("crypto.ike: %w", err)
		}
	}
	if len(cfg.Crypto.ESP) > 0 {
		if rc.ESPProposals, err = ikev2.ParseProposals(strings.Join(cfg.Crypto.ESP, ","), iana.ProtoESP); err != nil {
			return rc, fmt.Errorf("crypto.esp: %w", err)
		}
	}
	cred, err := certs.LoadCredentials(cfg.Path(cfg.Certificate), cfg.Path(cfg.Key), nil)
	if err != nil {
		return rc, fmt.Errorf("headend certificate: %w", err)
	}
	rc.Credentials = cred
	if cfg.Identity != "" {
		rc.Identity = wire.ID{IDType: wire.ID_FQDN, Data: []byte(cfg.Identity)}
	}
	return rc, nil
}

// groupAuth tells the lease policy which tunnel group a standard EAP
// client landed in.
type groupAuth struct {
	eap.Authenticator
	group string
}

func (g groupAuth) Group() string { return g.group }

// standardGroup picks the tunnel group of a client that is not AnyConnect:
// the one its IDi names (a group name or alias, as IOS matches key-id
// identities), else the first group with a standard EAP method.
func (p *Policy) standardGroup(id ikev2.EAPClient) (*TunnelGroup, error) {
	names := p.cfg.groupNames()
	for _, n := range names {
		g := p.cfg.TunnelGroups[n]
		if string(id.ID.Data) == n || slices.Contains(g.Aliases, string(id.ID.Data)) {
			return g, nil
		}
	}
	for _, n := range names {
		if g := p.cfg.TunnelGroups[n]; strings.HasPrefix(g.Auth, "eap-") && g.Auth != "eap-anyconnect" {
			return g, nil
		}
	}
	return nil, errors.New("no tunnel group with a standard EAP method for a client that is not AnyConnect")
}

// eapFor picks a client's EAP method: EAP-AnyConnect for AnyConnect
// clients, their tunnel group's method for the others.
func (p *Policy) eapFor(c ikev2.EAPClient) (eap.Authenticator, error) {
	// An AnyConnect client announces the method with a vendor ID; the
	// IDi (*$AnyConnectClient$*) is the same with standard methods.
	if c.AnyConnect {
		return p.anyConnect(c), nil
	}
	g, err := p.standardGroup(c)
	if err != nil {
		return nil, err
	}
	a, err := p.standardMethod(g, c)
	if err != nil {
		return nil, err
	}
	return groupAuth{a, g.name}, nil
}

func (p *Policy) standardMethod(g *TunnelGroup, c ikev2.EAPClient) (eap.Authenticator, error) {
	u := p.cfg.user(c.Identity)
	if u == nil || u.Disabled || !u.allowed(g.name) {
		p.log("EAP: user %q is unknown, disabled or not in tunnel group %s", c.Identity, g.name)
		// Run the method against a password nobody knows, so that an
		// unknown user looks like a wrong password.
		u = &User{Name: c.Identity, Password: randomSecret()}
	}
	switch g.Auth {
	case "eap-mschapv2":
		if u.NTHash == "" && u.Password == "" {
			return nil, fmt.Errorf("user %q has no nt-hash for EAP-MSCHAPv2", u.Name)
		}
		a := &eap.MSCHAPv2Authenticator{Name: "vpnc-go", UserName: u.Name, Password: u.Password, Rand: rand.Reader, Retries: 1}
		if u.NTHash != "" {
			a.NTHash, _ = ntHash(u.NTHash)
			a.Password = ""
		}
		return a, nil
	case "eap-md5":
		if u.Password == "" {
			return nil, fmt.Errorf("user %q has no password for EAP-MD5 (CHAP needs it in the clear)", u.Name)
		}
		return &eap.MD5Authenticator{Secret: u.Password, Rand: rand.Reader}, nil
	case "eap-gtc":
		return &eap.GTCAuthenticator{Prompt: "Password:", Check: func(answer string) error { return u.check(answer) }}, nil
	}
	return nil, fmt.Errorf("tunnel group %s takes %s, not EAP", g.name, g.Auth)
}

// anyConnect builds the EAP-AnyConnect headend for every tunnel group that
// uses it.
func (p *Policy) anyConnect(c ikev2.EAPClient) eap.Authenticator {
	a := &anyconnect.Authenticator{Rand: rand.Reader, Retries: 2, CSPort: strconv.Itoa(p.cfg.ClientServicesPort)}
	for _, name := range p.cfg.groupNames() {
		g := p.cfg.TunnelGroups[name]
		if g.Auth != "eap-anyconnect" {
			continue
		}
		tg := anyconnect.TunnelGroup{Name: name, Aliases: g.Aliases, GroupURLs: g.GroupURLs, Password: g.password(),
			ClientCert: g.ClientCertificate, Banner: g.Banner}
		if g.SecondFactor {
			tg.SecondFactor = &anyconnect.SecondFactor{Label: "Second password:", Check: func(_, user, value string) error {
				u := p.cfg.user(user)
				if u == nil || u.SecondFactor == "" || bcrypt.CompareHashAndPassword([]byte(u.SecondFactor), []byte(value)) != nil {
					return anyconnect.ErrWrongPassword
				}
				return nil
			}}
		}
		if pp, ok := p.profiles[g.GroupPolicy]; ok {
			tg.Profiles = []anyconnect.ProfileFile{pp.file}
		}
		if g.HostScan {
			tg.HostScan = &anyconnect.HostScanDemand{Ticket: randomSecret(), Token: randomSecret()}
		}
		if g.MaxTries > 0 {
			a.Retries = g.MaxTries - 1
		}
		a.Groups = append(a.Groups, tg)
	}
	if dg := p.cfg.TunnelGroups[p.cfg.DefaultTunnelGroup]; dg.Auth == "eap-anyconnect" {
		a.DefaultGroup = dg.name
	}
	a.CheckPassword = func(group, user, pass string) error {
		u := p.cfg.user(user)
		switch {
		case u == nil:
			return anyconnect.ErrUnknownUser
		case u.Disabled:
			return anyconnect.ErrAccountDisabled
		case !u.allowed(group):
			return fmt.Errorf("%w: not a member of %s", anyconnect.ErrUnknownUser, group)
		}
		return u.check(pass)
	}
	a.VerifyCert = func(chain []*x509.Certificate, sig []byte) error {
		if err := p.verifyChain(chain); err != nil {
			return err
		}
		return ikev2.VerifyAnyConnect(chain[0].PublicKey, c.PRFHash, c.InitiatorOctets(), sig)
	}
	return a
}

func (u *User) allowed(group string) bool {
	if len(u.Groups) == 0 {
		return true
	}
	for _, g := range u.Groups {
		if g == group {
			return true
		}
	}
	return false
}

// check verifies a password typed into a form.
func (u *User) check(pass string) error {
	switch {
	case u.PasswordHash != "":
		if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pass)) != nil {
			return anyconnect.ErrWrongPassword
		}
		return nil
	case u.Password != "":
		if u.Password != pass {
			return anyconnect.ErrWrongPassword
		}
		return nil
	}
	return fmt.Errorf("%w: user %q has only an nt-hash, which cannot check a typed password", anyconnect.ErrWrongPassword, u.Name)
}

func randomSecret() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}

// verifyClient checks a client certificate chain (IKE-RSA, IKE-ECDSA).
func (p *Policy) verifyClient(chain [][]byte) (*x509.Certificate, error) {
	certsList := make([]*x509.Certificate, 0, len(chain))
	for _, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		certsList = append(certsList, c)
	}
	if len(certsList) == 0 {
		return nil, errors.New("no client certificate")
	}
	return certsList[0], p.verifyChain(certsList)
}

func (p *Policy) verifyChain(chain []*x509.Certificate) error {
	if p.clientCA == nil {
		return errors.New("client certificates are not accepted: no client-ca configured")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: p.clientCA, Intermediates: inter, CurrentTime: p.now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageIPSECUser, x509.ExtKeyUsageIPSECEndSystem}})
	return err
}

// assign leases an address from the client's tunnel group.
func (p *Policy) assign(ci ikev2.ClientInfo) (*ikev2.Lease, error) {
	name := ci.Group
	if name == "" {
		name = p.cfg.DefaultTunnelGroup
	}
	g, ok := p.cfg.TunnelGroups[name]
	if !ok {
		return nil, fmt.Errorf("tunnel group %q is not defined", name)
	}
	addr, addr6, release, err := p.pools[g.Pool].lease()
	if err != nil {
		return nil, err
	}
	gp := p.cfg.GroupPolicies[g.GroupPolicy]
	tc := &ikev2.Assignment{
		Address4: addr,
		Address6: addr6,
		DNS:      gp.dns,
		Include:  gp.include,
		Exclude:  gp.exclude,
		Banner:   gp.Banner,
	}
	if g.Banner != "" {
		tc.Banner = g.Banner
	}
	if gp.DefaultDomain != "" {
		tc.Domains = append(tc.Domains, gp.DefaultDomain)
	}
	tc.Domains = append(tc.Domains, gp.SplitDNS...)
	if len(tc.Include) == 0 {
		tc.Include = append(tc.Include, fullTunnel)
		if addr6.IsValid() {
			tc.Include = append(tc.Include, fullTunnel6)
		}
	}
	p.log("lease %s to %s (%s, group %s)", addr.Addr(), ci.User, ci.Remote, name)
	return &ikev2.Lease{Config: tc, Release: release}, nil
}
