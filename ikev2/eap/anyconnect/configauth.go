package anyconnect

import (
	"fmt"

	"github.com/beevik/etree"
)

// The config-auth documents of EAP-AnyConnect (TLV 0). Their shape comes
// from reverse-engineered code and from the recorded exchange in
// testdata/vectors/eap-anyconnect [RE]; nothing public specifies them. The
// package documentation lists the documents in the order they are sent.
//
// ParseConfigAuth turns a document into a ConfigAuth, Marshal turns it back;
// each element type below and in elements.go has its parse and its marshal
// side by side. Known elements become typed fields; unknown ones are kept
// verbatim in Extra fields. A parsed document remembers the order of its
// children, so that marshalling it again reproduces the same element order;
// a ConfigAuth built from scratch is marshalled in a fixed order matching
// the recordings. Whitespace between elements is not kept, except inside
// verbatim subtrees (Opaque, Extra).

// ConfigAuthType is the type attribute of the config-auth root.
type ConfigAuthType string

const (
	ConfigAuthHello       ConfigAuthType = "hello"        // headend: first request
	ConfigAuthInit        ConfigAuthType = "init"         // client: header and tunnel group
	ConfigAuthAuthRequest ConfigAuthType = "auth-request" // headend: form, certificate or host-scan request
	ConfigAuthAuthReply   ConfigAuthType = "auth-reply"   // client: answers
	ConfigAuthComplete    ConfigAuthType = "complete"     // headend: session and configuration
	ConfigAuthAck         ConfigAuthType = "ack"          // client: acknowledges complete
)

// Fixed values of the config-auth root [RE].
const (
	ConfigAuthClient               = "vpn"
	ConfigAuthAggregateAuthVersion = "2"
	configAuthRoot                 = "config-auth"
	// xmlDeclInst is the declaration written before the root; the
	// recordings carry exactly this one, and a newline after the root.
	xmlDeclInst = `version="1.0" encoding="UTF-8"`
)

// Limits that bound the parser's work. TLV 0 cannot exceed 65535 bytes.
const (
	maxConfigAuthLen   = 0xFFFF
	maxConfigAuthDepth = 32
)

// ConfigAuth is one config-auth document.
type ConfigAuth struct {
	Client               string // "vpn"
	Type                 ConfigAuthType
	AggregateAuthVersion string // "2"
	Attrs                []XMLAttr

	// Client header.
	Version      *ClientVersion
	DeviceID     *DeviceID
	MACAddresses []MACAddress // <mac-address-list>, omitted when empty

	GroupAccess string // omitted when empty
	GroupSelect string // omitted when empty

	SessionID    *string // nil: absent; "": <session-id/>
	SessionToken *string
	// Opaque is the headend's <opaque> subtree, kept verbatim; the client
	// echoes it back as it came.
	Opaque *etree.Element
	CSPort string // omitted when empty

	Auth              *Auth
	Capabilities      *Capabilities
	ClientCertRequest bool // <client-cert-request/>
	HostScan          *HostScan
	HostScanToken     *string
	Config            *Config
	Error             *AuthMessage // a top-level <error>

	Extra []*etree.Element // unknown children, verbatim

	order []string // child tags as parsed
}

// configAuthError builds parse errors that say where.
func configAuthError(path, format string, args ...any) error {
	return fmt.Errorf("eap: AnyConnect XML %s: %s", path, fmt.Sprintf(format, args...))
}

// ParseConfigAuth parses a config-auth document. Unknown elements and
// whitespace are tolerated; the root must be config-auth with a type.
func ParseConfigAuth(b []byte) (*ConfigAuth, error) {
	if len(b) > maxConfigAuthLen {
		return nil, fmt.Errorf("eap: AnyConnect XML of %d bytes exceeds %d", len(b), maxConfigAuthLen)
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{PreserveCData: true, MaxDepth: maxConfigAuthDepth}
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("eap: AnyConnect XML does not parse: %w", err)
	}
	roots := doc.ChildElements()
	if len(roots) != 1 {
		return nil, fmt.Errorf("eap: AnyConnect XML has %d root elements, want 1", len(roots))
	}
	for _, t := range doc.Child {
		if cd, ok := t.(*etree.CharData); ok && !cd.IsWhitespace() {
			return nil, fmt.Errorf("eap: AnyConnect XML has text outside the root element")
		}
	}
	root := roots[0]
	if root.FullTag() != configAuthRoot {
		return nil, fmt.Errorf("eap: AnyConnect XML root is <%s>, want <%s>", root.FullTag(), configAuthRoot)
	}
	c := &ConfigAuth{}
	for _, a := range root.Attr {
		switch a.FullKey() {
		case "client":
			c.Client = a.Value
		case "type":
			c.Type = ConfigAuthType(a.Value)
		case "aggregate-auth-version":
			c.AggregateAuthVersion = a.Value
		default:
			c.Attrs = append(c.Attrs, XMLAttr{a.FullKey(), a.Value})
		}
	}
	if c.Type == "" {
		return nil, configAuthError(configAuthRoot, "type attribute missing")
	}
	for _, e := range root.ChildElements() {
		tag := e.FullTag()
		c.order = append(c.order, tag)
		switch {
		case tag == "version" && c.Version == nil:
			c.Version = parseClientVersion(e)
		case tag == "device-id" && c.DeviceID == nil:
			c.DeviceID = parseDeviceID(e)
		case tag == "mac-address-list" && c.MACAddresses == nil:
			c.MACAddresses = parseMACList(e)
		case tag == "group-access" && c.GroupAccess == "":
			c.GroupAccess = trimText(e)
		case tag == "group-select" && c.GroupSelect == "":
			c.GroupSelect = trimText(e)
		case tag == "session-id" && c.SessionID == nil:
			c.SessionID = ptr(trimText(e))
		case tag == "session-token" && c.SessionToken == nil:
			c.SessionToken = ptr(trimText(e))
		case tag == "opaque" && c.Opaque == nil:
			c.Opaque = e.Copy()
		case tag == "csport" && c.CSPort == "":
			c.CSPort = trimText(e)
		case tag == "auth" && c.Auth == nil:
			c.Auth = parseAuth(e, c.Type == ConfigAuthAuthReply)
		case tag == "capabilities" && c.Capabilities == nil:
			c.Capabilities = parseCapabilities(e)
		case tag == "client-cert-request":
			c.ClientCertRequest = true
		case tag == "host-scan" && c.HostScan == nil:
			c.HostScan = parseHostScan(e)
		case tag == "host-scan-token" && c.HostScanToken == nil:
			c.HostScanToken = ptr(trimText(e))
		case tag == "config" && c.Config == nil:
			c.Config = parseConfig(e)
		case tag == "error" && c.Error == nil:
			c.Error = parseAuthMessage(e)
		default:
			c.Extra = append(c.Extra, e.Copy())
		}
	}
	return c, nil
}

// Marshal returns the document's XML: declaration, newline, root, newline,
// as in the recordings.
func (c *ConfigAuth) Marshal() ([]byte, error) {
	if c.Type == "" {
		return nil, fmt.Errorf("eap: AnyConnect XML: config-auth without a type")
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", xmlDeclInst)
	doc.CreateText("\n")
	root := doc.CreateElement(configAuthRoot)
	root.CreateAttr("client", def(c.Client, ConfigAuthClient))
	root.CreateAttr("type", string(c.Type))
	root.CreateAttr("aggregate-auth-version", def(c.AggregateAuthVersion, ConfigAuthAggregateAuthVersion))
	addAttrs(root, c.Attrs)
	for _, e := range orderChildren(c.children(), c.order) {
		root.AddChild(e)
	}
	doc.CreateText("\n")
	return doc.WriteToBytes()
}

// children builds the root's children in the fixed order of the
// recordings; orderChildren then applies a parsed document's own order.
func (c *ConfigAuth) children() []*etree.Element {
	var out []*etree.Element
	add := func(e *etree.Element) { out = append(out, e) }
	if c.Version != nil {
		add(c.Version.element())
	}
	if c.DeviceID != nil {
		add(c.DeviceID.element())
	}
	if len(c.MACAddresses) > 0 {
		add(macListElement(c.MACAddresses))
	}
	if c.GroupAccess != "" {
		add(textElement("group-access", c.GroupAccess))
	}
	// In an init the group-select follows group-access; in an auth-reply
	// it follows the answers in <auth> [RE].
	groupSelect := func() {
		if c.GroupSelect != "" {
			add(textElement("group-select", c.GroupSelect))
		}
	}
	if c.Type == ConfigAuthInit {
		groupSelect()
	}
	if c.SessionID != nil {
		add(textElement("session-id", *c.SessionID))
	}
	if c.SessionToken != nil {
		add(textElement("session-token", *c.SessionToken))
	}
	if c.Opaque != nil {
		add(c.Opaque.Copy())
	}
	if c.CSPort != "" {
		add(textElement("csport", c.CSPort))
	}
	if c.Auth != nil {
		add(c.Auth.element())
	}
	if c.Type != ConfigAuthInit {
		groupSelect()
	}
	if c.Capabilities != nil {
		add(c.Capabilities.element())
	}
	if c.ClientCertRequest {
		add(etree.NewElement("client-cert-request"))
	}
	if c.HostScan != nil {
		add(c.HostScan.element())
	}
	if c.HostScanToken != nil {
		add(textElement("host-scan-token", *c.HostScanToken))
	}
	if c.Config != nil {
		add(c.Config.element())
	}
	if c.Error != nil {
		add(c.Error.element("error"))
	}
	for _, e := range c.Extra {
		add(e.Copy())
	}
	return out
}

// orderChildren puts built children into the order a parsed document had:
// for each tag of order, the next unused child with that tag; children
// order does not mention follow in their built order.
func orderChildren(built []*etree.Element, order []string) []*etree.Element {
	if len(order) == 0 {
		return built
	}
	queues := map[string][]int{}
	for i, e := range built {
		queues[e.FullTag()] = append(queues[e.FullTag()], i)
	}
	used := make([]bool, len(built))
	out := make([]*etree.Element, 0, len(built))
	for _, tag := range order {
		if q := queues[tag]; len(q) > 0 {
			out = append(out, built[q[0]])
			used[q[0]] = true
			queues[tag] = q[1:]
		}
	}
	for i, e := range built {
		if !used[i] {
			out = append(out, e)
		}
	}
	return out
}
