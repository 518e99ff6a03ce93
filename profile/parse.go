package profile

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Enumerations of the values vpnc-go acts on, in schema order. Matching is
// case-insensitive; the canonical spelling is kept.
var (
	protocolValues             = []string{string(ProtocolSSL), string(ProtocolIPsec)}
	authMethodValues           = names(AuthMethods)
	boolValues                 = []string{"true", "false"}
	autoReconnectBehaviorValue = []string{DisconnectOnSuspend, ReconnectAfterResume}
	ipProtocolValues           = []string{"IPv4", "IPv6", "IPv4,IPv6", "IPv6,IPv4"}
	trustedPolicyValues        = []string{"Connect", "Pause", "Disconnect", "DoNothing"}
	untrustedPolicyValues      = []string{"Connect", "DoNothing"}
	connectFailureValues       = []string{"Closed", "Open"}
	keyUsageValues             = []string{
		"Decipher_Only", "Encipher_Only", "CRL_Sign", "Key_Cert_Sign", "Key_Agreement",
		"Data_Encipherment", "Key_Encipherment", "Non_Repudiation", "Digital_Signature",
	}
	extendedKeyUsageValues = []string{
		"ServerAuth", "ClientAuth", "CodeSign", "EmailProtect", "IPSecEndSystem",
		"IPSecTunnel", "IPSecUser", "TimeStamp", "OCSPSign", "DVCS", "IKEIntermediate",
	}
	// dnNameValues is the full list of the AnyConnect 4.x schema; the public
	// 3.x tree lists only its first twelve.
	dnNameValues = []string{
		"CN", "DC", "SN", "GN", "N", "I", "GENQ", "DNQ", "C", "L", "SP", "ST", "O", "OU", "T", "EA",
		"ISSUER-CN", "ISSUER-DC", "ISSUER-SN", "ISSUER-GN", "ISSUER-N", "ISSUER-I", "ISSUER-GENQ",
		"ISSUER-DNQ", "ISSUER-C", "ISSUER-L", "ISSUER-SP", "ISSUER-ST", "ISSUER-O", "ISSUER-OU",
		"ISSUER-T", "ISSUER-EA",
	}
	wildcardValues  = []string{"Disabled", "Enabled"}
	operatorValues  = []string{"Equal", "NotEqual"}
	matchCaseValues = []string{"Enabled", "Disabled"}
)

// ParseFile reads and parses one profile file. The problems name the file by
// path. Reading errors are reported as a problem, never as a panic.
func ParseFile(path string) (*Profile, Problems) {
	data, err := readLimited(path)
	if err != nil {
		return nil, Problems{{File: path, Message: err.Error(), Severity: SeverityError}}
	}
	return Parse(path, data)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("file is larger than %d bytes", MaxFileSize)
	}
	return data, nil
}

// Parse parses one profile. name is used in problems and as Profile.File.
// It returns the profile as far as it could be read (nil only when the XML is
// malformed or the root element is wrong) and every problem found. The
// profile must not be used when problems.HasErrors().
func Parse(name string, data []byte) (*Profile, Problems) {
	p := &parser{file: name}
	doc, err := readXML(data)
	if err != nil {
		var se *syntaxError
		line := 0
		if errors.As(err, &se) {
			line = se.line
		}
		p.problems = append(p.problems, Problem{File: name, Line: line, Message: err.Error(), Severity: SeverityError})
		return nil, p.problems
	}
	p.doc = doc
	prof := p.parseRoot(doc.root)
	// Report in document order; problems of one line keep the order found.
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
	return prof, p.problems
}

type parser struct {
	file     string
	doc      *xmlDoc
	ns       string
	problems Problems
	ignored  []Node
}

func (p *parser) add(sev Severity, e *etree.Element, path, format string, args ...any) {
	p.problems = append(p.problems, Problem{
		File: p.file, Line: p.doc.line(e), Path: path,
		Message: fmt.Sprintf(format, args...), Severity: sev,
	})
}

func (p *parser) errorf(e *etree.Element, path, format string, args ...any) {
	p.add(SeverityError, e, path, format, args...)
}

func (p *parser) warnf(e *etree.Element, path, format string, args ...any) {
	p.add(SeverityWarning, e, path, format, args...)
}

// kids groups the child elements of e that are in the profile namespace by
// local name. Children not named in handled are recorded as ignored.
type kids struct {
	p      *parser
	path   string
	byName map[string][]*etree.Element
}

func (p *parser) children(e *etree.Element, path string, handled ...string) kids {
	k := kids{p: p, path: path, byName: map[string][]*etree.Element{}}
	count := map[string]int{}
	for _, c := range e.ChildElements() {
		count[c.Tag]++
	}
	seen := map[string]int{}
	for _, c := range e.ChildElements() {
		seen[c.Tag]++
		known := c.NamespaceURI() == p.ns && contains(handled, c.Tag)
		if known {
			k.byName[c.Tag] = append(k.byName[c.Tag], c)
			continue
		}
		cp := path + "/" + c.Tag
		if count[c.Tag] > 1 {
			cp = fmt.Sprintf("%s[%d]", cp, seen[c.Tag])
		}
		p.ignored = append(p.ignored, Node{Path: cp, Line: p.doc.line(c)})
	}
	return k
}

// one returns the single child called name, or nil. More than one is an
// error: the schema allows one and the values could disagree.
func (k kids) one(name string) (*etree.Element, string) {
	es := k.byName[name]
	path := k.path + "/" + name
	if len(es) == 0 {
		return nil, path
	}
	if len(es) > 1 {
		k.p.errorf(es[1], path, "element appears %d times (want at most one; first at line %d)", len(es), k.p.doc.line(es[0]))
	}
	return es[0], path
}

// all returns every child called name with its indexed path.
func (k kids) all(name string) ([]*etree.Element, []string) {
	es := k.byName[name]
	paths := make([]string, len(es))
	for i := range es {
		paths[i] = fmt.Sprintf("%s/%s[%d]", k.path, name, i+1)
	}
	return es, paths
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// text returns the element's own character data (not its children's),
// trimmed. Comments inside the value are skipped.
func text(e *etree.Element) string {
	if e == nil {
		return ""
	}
	var b strings.Builder
	for _, t := range e.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// enum matches v case-insensitively against values and returns the canonical
// spelling.
func enum(v string, values []string) (string, bool) {
	for _, w := range values {
		if strings.EqualFold(v, w) {
			return w, true
		}
	}
	return "", false
}

func unknownValue(v string, values []string) string {
	return fmt.Sprintf("unknown value %q (want one of %s)", v, strings.Join(values, ", "))
}

// enumElem reads an enumerated element's text; absent or empty gives def.
func (p *parser) enumElem(e *etree.Element, path string, values []string, def string) string {
	v := text(e)
	if v == "" {
		return def
	}
	c, ok := enum(v, values)
	if !ok {
		p.errorf(e, path, "%s", unknownValue(v, values))
		return def
	}
	return c
}

func (p *parser) boolElem(e *etree.Element, path string, def bool) bool {
	v := text(e)
	if v == "" {
		return def
	}
	c, ok := enum(v, boolValues)
	if !ok {
		p.errorf(e, path, "%s", unknownValue(v, boolValues))
		return def
	}
	return c == "true"
}

func (p *parser) enumAttr(e *etree.Element, path, attr string, values []string, def string) string {
	if e == nil {
		return def
	}
	a := e.SelectAttr(attr)
	if a == nil {
		return def
	}
	v := strings.TrimSpace(a.Value)
	if v == "" {
		return def
	}
	c, ok := enum(v, values)
	if !ok {
		p.errorf(e, path+"/@"+attr, "%s", unknownValue(v, values))
		return def
	}
	return c
}

func (p *parser) boolAttr(e *etree.Element, path, attr string, def bool) bool {
	d := "false"
	if def {
		d = "true"
	}
	return p.enumAttr(e, path, attr, boolValues, d) == "true"
}

// intElem reads a whole number within [lo, hi]; absent or empty gives def.
func (p *parser) intElem(e *etree.Element, path string, lo, hi, def int, unit string) int {
	v := text(e)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.errorf(e, path, "%q is not a whole number of %s", v, unit)
		return def
	}
	if n < lo || n > hi {
		p.errorf(e, path, "%d is out of range (want %d to %d %s)", n, lo, hi, unit)
		return def
	}
	return n
}

func (p *parser) parseRoot(root *etree.Element) *Profile {
	path := "/" + root.Tag
	if root.Tag != "AnyConnectProfile" {
		p.errorf(root, path, "root element is <%s>, want <AnyConnectProfile>", root.Tag)
		return nil
	}
	p.ns = root.NamespaceURI()
	switch p.ns {
	case Namespace:
	case "":
		p.warnf(root, path, "no namespace; real profiles declare xmlns=%q (accepted)", Namespace)
	default:
		p.errorf(root, path, "namespace is %q, want %q", p.ns, Namespace)
	}
	prof := &Profile{File: p.file, Namespace: p.ns, Client: DefaultClientInitialization()}
	k := p.children(root, path, "ClientInitialization", "ServerList")
	if ci, cpath := k.one("ClientInitialization"); ci != nil {
		p.parseClient(ci, cpath, &prof.Client)
	}
	sl, slpath := k.one("ServerList")
	if sl == nil {
		p.errorf(root, path, "no ServerList: the profile names no headend")
	} else {
		prof.Hosts = p.parseServerList(sl, slpath)
	}
	sort.SliceStable(p.ignored, func(i, j int) bool { return p.ignored[i].Line < p.ignored[j].Line })
	prof.Ignored = p.ignored
	return prof
}

func (p *parser) parseServerList(sl *etree.Element, path string) []HostEntry {
	k := p.children(sl, path, "HostEntry")
	es, paths := k.all("HostEntry")
	if len(es) == 0 {
		p.errorf(sl, path, "ServerList has no HostEntry")
		return nil
	}
	var hosts []HostEntry
	first := map[string]int{}
	for i, e := range es {
		h, ok := p.parseHostEntry(e, paths[i])
		if !ok {
			continue
		}
		key := strings.ToLower(h.Name)
		if line, dup := first[key]; dup {
			p.errorf(e, paths[i]+"/HostName", "duplicate HostName %q (first at line %d)", h.Name, line)
			continue
		}
		first[key] = h.Line
		hosts = append(hosts, h)
	}
	return hosts
}

// parseHostEntry returns false when the entry has no usable HostName.
func (p *parser) parseHostEntry(e *etree.Element, path string) (HostEntry, bool) {
	h := HostEntry{Line: p.doc.line(e), Protocol: ProtocolSSL}
	k := p.children(e, path, "HostName", "HostAddress", "UserGroup", "BackupServerList",
		"LoadBalancingServerList", "PrimaryProtocol", "CertificatePinList")

	// Protocol first: it decides how strict the address checks are.
	if pp, pppath := k.one("PrimaryProtocol"); pp != nil {
		h.Protocol = Protocol(p.enumElem(pp, pppath, protocolValues, string(ProtocolSSL)))
		h.ProtocolSet = text(pp) != ""
		p.parseStandardAuth(pp, pppath, &h)
		if h.Protocol == ProtocolSSL && h.StandardAuthOnly {
			p.warnf(pp, pppath+"/StandardAuthenticationOnly", "ignored: PrimaryProtocol is SSL, whose headend (an ASA or FTD) speaks EAP-AnyConnect over IKEv2")
		}
	}
	if h.Protocol == ProtocolSSL {
		// An SSL host is an AnyConnect headend; over IKEv2 it speaks
		// EAP-AnyConnect. StandardAuthenticationOnly belongs to IPsec.
		h.StandardAuthOnly = false
		h.IKEIdentity = ""
		h.AuthMethod = ""
	}
	if h.AuthMethod == "" {
		h.AuthMethod = AuthEAPAnyConnect
	}

	ok := true
	hn, hnpath := k.one("HostName")
	h.Name = text(hn)
	switch {
	case hn == nil:
		p.errorf(e, path, "HostEntry has no HostName")
		ok = false
	case h.Name == "":
		p.errorf(hn, hnpath, "HostName is empty")
		ok = false
	}
	if ha, hapath := k.one("HostAddress"); ha != nil && text(ha) != "" {
		h.HostAddressSet = true
		a, err := ParseAddress(text(ha))
		if err != nil {
			p.errorf(ha, hapath, "%v", err)
		}
		h.Address = a
	} else if ok {
		a, err := ParseAddress(h.Name)
		if err != nil {
			sev := SeverityError
			if h.Protocol == ProtocolSSL {
				sev = SeverityWarning
			}
			p.add(sev, hn, hnpath, "HostName %q is not a host address and HostAddress is absent", h.Name)
		}
		h.Address = a
	}
	if ug, _ := k.one("UserGroup"); ug != nil {
		h.UserGroup = text(ug)
	}
	if bl, blpath := k.one("BackupServerList"); bl != nil {
		h.Backup = p.parseAddressList(bl, blpath, h.Protocol == ProtocolIPsec)
	}
	if lb, lbpath := k.one("LoadBalancingServerList"); lb != nil {
		h.LoadBalancing = p.parseAddressList(lb, lbpath, h.Protocol == ProtocolIPsec)
	}
	if pl, plpath := k.one("CertificatePinList"); pl != nil {
		h.Pins = p.parsePins(pl, plpath)
	}
	return h, ok
}

func (p *parser) parseStandardAuth(pp *etree.Element, path string, h *HostEntry) {
	k := p.children(pp, path, "StandardAuthenticationOnly")
	sa, sapath := k.one("StandardAuthenticationOnly")
	if sa == nil {
		return
	}
	h.StandardAuthOnly = p.boolElem(sa, sapath, false)
	k2 := p.children(sa, sapath, "AuthMethodDuringIKENegotiation", "IKEIdentity")
	am, ampath := k2.one("AuthMethodDuringIKENegotiation")
	method := AuthMethod(p.enumElem(am, ampath, authMethodValues, string(DefaultStandardAuthMethod)))
	id, idpath := k2.one("IKEIdentity")
	if h.StandardAuthOnly {
		h.AuthMethod = method
		h.IKEIdentity = text(id)
		return
	}
	if am != nil && text(am) != "" {
		p.warnf(am, ampath, "ignored: StandardAuthenticationOnly is false, so the method is EAP-AnyConnect")
	}
	if id != nil && text(id) != "" {
		p.warnf(id, idpath, "ignored: StandardAuthenticationOnly is false")
	}
}

// parseAddressList reads BackupServerList or LoadBalancingServerList.
// Invalid addresses are errors when the list is used (strict), warnings
// otherwise; invalid ones are dropped.
func (p *parser) parseAddressList(list *etree.Element, path string, strict bool) []Address {
	k := p.children(list, path, "HostAddress")
	es, paths := k.all("HostAddress")
	var out []Address
	for i, e := range es {
		v := text(e)
		if v == "" {
			continue
		}
		a, err := ParseAddress(v)
		if err != nil {
			sev := SeverityWarning
			if strict {
				sev = SeverityError
			}
			p.add(sev, e, paths[i], "%v", err)
			continue
		}
		out = append(out, a)
	}
	return out
}

func (p *parser) parsePins(list *etree.Element, path string) []Pin {
	k := p.children(list, path, "Pin")
	es, paths := k.all("Pin")
	var pins []Pin
	for i, e := range es {
		pin := Pin{Hash: text(e)}
		if a := e.SelectAttr("Subject"); a != nil {
			pin.Subject = a.Value
		}
		if a := e.SelectAttr("Issuer"); a != nil {
			pin.Issuer = a.Value
		}
		if pin.Hash == "" {
			p.warnf(e, paths[i], "empty Pin ignored")
			continue
		}
		pin.SHA512 = decodeHash(pin.Hash, 64)
		if pin.SHA512 == nil {
			p.warnf(e, paths[i], "pin is not a SHA-512 hash in base64 or hex; kept as written")
		}
		pins = append(pins, pin)
	}
	return pins
}

// decodeHash decodes s as hex or base64 and returns it when it has size
// bytes.
func decodeHash(s string, size int) []byte {
	s = strings.Join(strings.Fields(s), "")
	clean := strings.ReplaceAll(s, ":", "")
	if b, err := hex.DecodeString(clean); err == nil && len(b) == size {
		return b
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == size {
			return b
		}
	}
	return nil
}

func (p *parser) parseClient(ci *etree.Element, path string, c *ClientInitialization) {
	k := p.children(ci, path, "AutoReconnect", "LocalLanAccess", "BackupServerList",
		"CertificateMatch", "AutomaticCertSelection", "AutoConnectOnStart", "AllowManualHostInput",
		"IPProtocolSupport", "AuthenticationTimeout", "AutomaticVPNPolicy",
		"DisableCaptivePortalDetection", "CertificatePinning")

	if e, ep := k.one("AutoReconnect"); e != nil {
		c.AutoReconnect = p.boolElem(e, ep, c.AutoReconnect)
		c.AutoReconnectUserControllable = p.boolAttr(e, ep, "UserControllable", false)
		k2 := p.children(e, ep, "AutoReconnectBehavior")
		if b, bp := k2.one("AutoReconnectBehavior"); b != nil {
			c.AutoReconnectBehavior = p.enumElem(b, bp, autoReconnectBehaviorValue, DisconnectOnSuspend)
			p.boolAttr(b, bp, "UserControllable", false)
		}
	}
	if e, ep := k.one("LocalLanAccess"); e != nil {
		c.LocalLanAccess = p.boolElem(e, ep, false)
		c.LocalLanAccessUserControllable = p.boolAttr(e, ep, "UserControllable", true)
	}
	if e, ep := k.one("AutomaticCertSelection"); e != nil {
		c.AutomaticCertSelection = p.boolElem(e, ep, true)
		p.boolAttr(e, ep, "UserControllable", true)
	}
	if e, ep := k.one("AutoConnectOnStart"); e != nil {
		c.AutoConnectOnStart = p.boolElem(e, ep, false)
		p.boolAttr(e, ep, "UserControllable", true)
	}
	if e, ep := k.one("AllowManualHostInput"); e != nil {
		c.AllowManualHostInput = p.boolElem(e, ep, true)
	}
	if e, ep := k.one("DisableCaptivePortalDetection"); e != nil {
		c.DisableCaptivePortalDetection = p.boolElem(e, ep, false)
		p.boolAttr(e, ep, "UserControllable", true)
	}
	if e, ep := k.one("IPProtocolSupport"); e != nil {
		v := strings.Join(strings.Fields(text(e)), "")
		if v != "" {
			if canon, ok := enum(v, ipProtocolValues); ok {
				c.IPProtocolSupport = strings.Split(canon, ",")
			} else {
				p.errorf(e, ep, "%s", unknownValue(text(e), ipProtocolValues))
			}
		}
	}
	if e, ep := k.one("AuthenticationTimeout"); e != nil {
		n := p.intElem(e, ep, int(MinAuthenticationTimeout/time.Second), int(MaxAuthenticationTimeout/time.Second),
			int(DefaultAuthenticationTimeout/time.Second), "seconds")
		c.AuthenticationTimeout = time.Duration(n) * time.Second
	}
	if e, ep := k.one("BackupServerList"); e != nil {
		c.BackupServers = p.parseAddressList(e, ep, true)
	}
	if e, ep := k.one("CertificateMatch"); e != nil {
		c.CertificateMatch = p.parseCertificateMatch(e, ep)
	}
	if e, ep := k.one("CertificatePinning"); e != nil {
		c.CertificatePinning = p.boolElem(e, ep, false)
		k2 := p.children(e, ep, "CertificatePinList")
		if pl, plp := k2.one("CertificatePinList"); pl != nil {
			c.Pins = p.parsePins(pl, plp)
		}
	}
	if e, ep := k.one("AutomaticVPNPolicy"); e != nil {
		p.parseAutomaticVPNPolicy(e, ep, &c.AutomaticVPNPolicy)
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (p *parser) parseAutomaticVPNPolicy(e *etree.Element, path string, a *AutomaticVPNPolicy) {
	a.Enabled = p.boolElem(e, path, false)
	k := p.children(e, path, "TrustedDNSDomains", "TrustedDNSServers", "TrustedHttpsServerList",
		"TrustedNetworkPolicy", "UntrustedNetworkPolicy", "AlwaysOn")
	if d, _ := k.one("TrustedDNSDomains"); d != nil {
		a.TrustedDNSDomains = splitList(text(d))
	}
	if d, _ := k.one("TrustedDNSServers"); d != nil {
		a.TrustedDNSServers = splitList(text(d))
	}
	if l, lp := k.one("TrustedHttpsServerList"); l != nil {
		k2 := p.children(l, lp, "TrustedHttpsServer")
		es, paths := k2.all("TrustedHttpsServer")
		for i, s := range es {
			k3 := p.children(s, paths[i], "Address", "Port", "CertificateHash")
			var ts TrustedHTTPSServer
			ad, adp := k3.one("Address")
			ts.Address = text(ad)
			if ts.Address == "" {
				p.errorf(s, adp, "TrustedHttpsServer has no Address")
				continue
			}
			po, pop := k3.one("Port")
			ts.Port = p.intElem(po, pop, 1, 65535, 443, "(port)")
			ch, _ := k3.one("CertificateHash")
			ts.CertificateHash = text(ch)
			a.TrustedHTTPSServers = append(a.TrustedHTTPSServers, ts)
		}
	}
	if t, tp := k.one("TrustedNetworkPolicy"); t != nil {
		a.TrustedNetworkPolicy = p.enumElem(t, tp, trustedPolicyValues, a.TrustedNetworkPolicy)
	}
	if t, tp := k.one("UntrustedNetworkPolicy"); t != nil {
		a.UntrustedNetworkPolicy = p.enumElem(t, tp, untrustedPolicyValues, a.UntrustedNetworkPolicy)
	}
	ao, aop := k.one("AlwaysOn")
	if ao == nil {
		return
	}
	a.AlwaysOn = p.boolElem(ao, aop, false)
	k2 := p.children(ao, aop, "ConnectFailurePolicy", "AllowVPNDisconnect")
	if d, dp := k2.one("AllowVPNDisconnect"); d != nil {
		a.AllowVPNDisconnect = p.boolElem(d, dp, true)
	}
	cf, cfp := k2.one("ConnectFailurePolicy")
	if cf == nil {
		return
	}
	a.ConnectFailurePolicy = p.enumElem(cf, cfp, connectFailureValues, "Closed")
	k3 := p.children(cf, cfp, "AllowCaptivePortalRemediation", "ApplyLastVPNLocalResourceRules")
	if r, rp := k3.one("ApplyLastVPNLocalResourceRules"); r != nil {
		a.ApplyLastVPNLocalResourceRules = p.boolElem(r, rp, false)
	}
	cp, cpp := k3.one("AllowCaptivePortalRemediation")
	if cp == nil {
		return
	}
	a.AllowCaptivePortalRemediation = p.boolElem(cp, cpp, false)
	k4 := p.children(cp, cpp, "CaptivePortalRemediationTimeout")
	if t, tp := k4.one("CaptivePortalRemediationTimeout"); t != nil {
		n := p.intElem(t, tp, 0, 100, 5, "minutes")
		a.CaptivePortalRemediationTimeout = time.Duration(n) * time.Minute
	}
}

func (p *parser) parseCertificateMatch(e *etree.Element, path string) *CertificateMatch {
	m := &CertificateMatch{}
	k := p.children(e, path, "MatchOnlyCertsWithEKU", "MatchOnlyCertsWithKU", "KeyUsage",
		"ExtendedKeyUsage", "DistinguishedName")
	if x, xp := k.one("MatchOnlyCertsWithEKU"); x != nil {
		m.MatchOnlyCertsWithEKU = p.boolElem(x, xp, false)
	}
	if x, xp := k.one("MatchOnlyCertsWithKU"); x != nil {
		m.MatchOnlyCertsWithKU = p.boolElem(x, xp, false)
	}
	if ku, kup := k.one("KeyUsage"); ku != nil {
		es, paths := p.children(ku, kup, "MatchKey").all("MatchKey")
		for i, x := range es {
			if v := p.enumElem(x, paths[i], keyUsageValues, ""); v != "" {
				m.KeyUsage = append(m.KeyUsage, v)
			}
		}
	}
	if eku, ekup := k.one("ExtendedKeyUsage"); eku != nil {
		k2 := p.children(eku, ekup, "ExtendedMatchKey", "CustomExtendedMatchKey")
		es, paths := k2.all("ExtendedMatchKey")
		for i, x := range es {
			if v := p.enumElem(x, paths[i], extendedKeyUsageValues, ""); v != "" {
				m.ExtendedKeyUsage = append(m.ExtendedKeyUsage, v)
			}
		}
		es, paths = k2.all("CustomExtendedMatchKey")
		for i, x := range es {
			v := text(x)
			if v == "" {
				continue
			}
			if !isOID(v) {
				p.errorf(x, paths[i], "%q is not an OID such as 1.3.6.1.5.5.7.3.11", v)
				continue
			}
			m.CustomExtendedKeyUsage = append(m.CustomExtendedKeyUsage, v)
		}
	}
	if dn, dnp := k.one("DistinguishedName"); dn != nil {
		es, paths := p.children(dn, dnp, "DistinguishedNameDefinition").all("DistinguishedNameDefinition")
		for i, x := range es {
			if r, ok := p.parseDNRule(x, paths[i]); ok {
				m.DistinguishedName = append(m.DistinguishedName, r)
			}
		}
	}
	return m
}

func (p *parser) parseDNRule(e *etree.Element, path string) (DNRule, bool) {
	r := DNRule{
		Wildcard:  p.enumAttr(e, path, "Wildcard", wildcardValues, "Disabled") == "Enabled",
		NotEqual:  p.enumAttr(e, path, "Operator", operatorValues, "Equal") == "NotEqual",
		MatchCase: p.enumAttr(e, path, "MatchCase", matchCaseValues, "Enabled") == "Enabled",
	}
	k := p.children(e, path, "Name", "Pattern")
	n, np := k.one("Name")
	pat, patp := k.one("Pattern")
	ok := true
	if text(n) == "" {
		p.errorf(e, np, "DistinguishedNameDefinition has no Name")
		ok = false
	} else if r.Name = p.enumElem(n, np, dnNameValues, ""); r.Name == "" {
		ok = false
	}
	r.Pattern = strings.Join(strings.Fields(text(pat)), " ")
	if r.Pattern == "" {
		p.errorf(e, patp, "DistinguishedNameDefinition has no Pattern")
		ok = false
	}
	return r, ok
}

func isOID(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, part := range parts {
		if part == "" || len(part) > 10 {
			return false
		}
		for _, c := range part {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
