package eap

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// The config-auth documents of EAP-AnyConnect (TLV 0). Their shape comes
// from reverse-engineered code and from the recorded exchange in
// testdata/vectors/eap-anyconnect (docs/anyconnect-ikev2.md section 3,
// tag [RE]); nothing public specifies them.
//
// ParseConfigAuth turns a document into a ConfigAuth, Marshal turns it back.
// Known elements become typed fields; unknown ones are kept verbatim in Extra
// fields. A parsed document remembers the order of its children, so that
// marshalling it again reproduces the same element order; a ConfigAuth built
// from scratch is marshalled in a fixed order matching the recordings.
// Whitespace between elements is not kept, except inside verbatim subtrees
// (Opaque, Extra).

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
	// xmlDecl is written before the root; the recordings carry exactly this
	// declaration and a newline after the root element.
	xmlDeclInst = `version="1.0" encoding="UTF-8"`
)

// Limits that bound the parser's work. TLV 0 cannot exceed 65535 bytes.
const (
	maxConfigAuthLen   = 0xFFFF
	maxConfigAuthDepth = 32
)

// XMLAttr is an attribute kept as it was, name with its prefix if any.
type XMLAttr struct {
	Name, Value string
}

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

// ClientVersion is <version who="vpn">4.10.07073</version>.
type ClientVersion struct {
	Who   string
	Value string
}

// DeviceID is <device-id ...>platform</device-id>.
type DeviceID struct {
	Platform        string // element text, for example "linux-64"
	ComputerName    string
	DeviceType      string
	PlatformVersion string
	UniqueID        string
	UniqueIDGlobal  string
	Attrs           []XMLAttr // other attributes
}

// MACAddress is one <mac-address> of the client header.
type MACAddress struct {
	Address         string
	PublicInterface bool // public-interface="true"
}

// Capabilities is <capabilities>.
type Capabilities struct {
	AuthMethods     []string // <auth-method>, client
	CryptoSupported []string // <crypto-supported>, headend
	Extra           []*etree.Element
	order           []string
}

// AuthMessage is a <message> or <error>: text with an id and numbered
// params (param1, param2, ...).
type AuthMessage struct {
	ID     string
	Params []string
	Text   string
	Attrs  []XMLAttr
}

// Auth is the <auth> element. In an auth-reply every child is an answer
// (Answers); elsewhere its children are the typed fields below.
type Auth struct {
	ID                     string
	Attrs                  []XMLAttr
	Title                  string
	Message                *AuthMessage
	Banner                 string
	Error                  *AuthMessage
	Form                   *AuthForm
	AuthenticationComplete bool
	Answers                []FormValue // auth-reply only
	Extra                  []*etree.Element
	order                  []string
}

// FormValue is one answer of an auth-reply: <name>value</name>.
type FormValue struct {
	Name, Value string
}

// AuthForm is the <form> of an auth-request.
type AuthForm struct {
	Method, Action string
	Attrs          []XMLAttr
	Items          []AuthFormItem
	Extra          []*etree.Element // children other than input and select
}

// AuthFormItem is an <input> or a <select>.
type AuthFormItem struct {
	Element    string // "input" or "select"
	Type       string // input type: text, password, hidden, ...
	Name       string
	Label      string
	Value      string
	SecondAuth bool // second-auth="1"
	Options    []AuthFormOption
	Attrs      []XMLAttr
}

// AuthFormOption is an <option> of a select. Its value is the value
// attribute, or the text when the attribute is absent.
type AuthFormOption struct {
	Value, Label string
	Selected     bool
}

// HostScan is the <host-scan> demand of an auth-request.
type HostScan struct {
	Ticket, Token, BaseURI, WaitURI string
	Extra                           []*etree.Element
	order                           []string
}

// Config is the <config> of a complete.
type Config struct {
	Attrs    []XMLAttr
	Banner   string
	CSPort   string
	Profiles []ProfileFile // vpn-profile-manifest/vpn/file
	Extra    []*etree.Element
	order    []string
}

// ProfileFile is one file of the profile manifest.
type ProfileFile struct {
	Type        string // "profile"
	ServiceType string // "user"
	URI         string
	Hash        string
	HashType    string // "sha1"
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
			c.Version = &ClientVersion{Who: e.SelectAttrValue("who", ""), Value: trimText(e)}
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

func ptr(s string) *string { return &s }

// text returns the character data directly inside e, CDATA included.
func text(e *etree.Element) string {
	var b strings.Builder
	for _, t := range e.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// trimText is text without surrounding whitespace, for identifiers, numbers
// and URIs that an indenting writer may have padded.
func trimText(e *etree.Element) string { return strings.TrimSpace(text(e)) }

func otherAttrs(e *etree.Element, known ...string) []XMLAttr {
	var out []XMLAttr
next:
	for _, a := range e.Attr {
		k := a.FullKey()
		for _, n := range known {
			if k == n {
				continue next
			}
		}
		out = append(out, XMLAttr{k, a.Value})
	}
	return out
}

func parseDeviceID(e *etree.Element) *DeviceID {
	return &DeviceID{
		Platform:        trimText(e),
		ComputerName:    e.SelectAttrValue("computer-name", ""),
		DeviceType:      e.SelectAttrValue("device-type", ""),
		PlatformVersion: e.SelectAttrValue("platform-version", ""),
		UniqueID:        e.SelectAttrValue("unique-id", ""),
		UniqueIDGlobal:  e.SelectAttrValue("unique-id-global", ""),
		Attrs:           otherAttrs(e, deviceIDAttrs...),
	}
}

var deviceIDAttrs = []string{"computer-name", "device-type", "platform-version", "unique-id", "unique-id-global"}

func parseMACList(e *etree.Element) []MACAddress {
	out := []MACAddress{}
	for _, m := range e.SelectElements("mac-address") {
		out = append(out, MACAddress{Address: trimText(m), PublicInterface: isTrue(m.SelectAttrValue("public-interface", ""))})
	}
	return out
}

func isTrue(s string) bool {
	s = strings.TrimSpace(s)
	return s == "1" || strings.EqualFold(s, "true") || strings.EqualFold(s, "yes")
}

func parseCapabilities(e *etree.Element) *Capabilities {
	c := &Capabilities{}
	for _, ch := range e.ChildElements() {
		tag := ch.FullTag()
		c.order = append(c.order, tag)
		switch tag {
		case "auth-method":
			c.AuthMethods = append(c.AuthMethods, trimText(ch))
		case "crypto-supported":
			c.CryptoSupported = append(c.CryptoSupported, trimText(ch))
		default:
			c.Extra = append(c.Extra, ch.Copy())
		}
	}
	return c
}

func parseAuthMessage(e *etree.Element) *AuthMessage {
	m := &AuthMessage{Text: text(e)}
	attrs := make(map[string]string, len(e.Attr))
	for _, a := range e.Attr {
		if _, dup := attrs[a.FullKey()]; !dup {
			attrs[a.FullKey()] = a.Value
		}
	}
	m.ID = attrs["id"]
	for i := 1; ; i++ {
		v, ok := attrs["param"+strconv.Itoa(i)]
		if !ok {
			break
		}
		m.Params = append(m.Params, v)
	}
	for _, a := range otherAttrs(e, "id") {
		if n, ok := strings.CutPrefix(a.Name, "param"); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 1 && i <= len(m.Params) && n == strconv.Itoa(i) {
				continue
			}
		}
		m.Attrs = append(m.Attrs, a)
	}
	return m
}

func parseAuth(e *etree.Element, reply bool) *Auth {
	a := &Auth{ID: e.SelectAttrValue("id", ""), Attrs: otherAttrs(e, "id")}
	for _, ch := range e.ChildElements() {
		tag := ch.FullTag()
		a.order = append(a.order, tag)
		if reply {
			a.Answers = append(a.Answers, FormValue{Name: tag, Value: text(ch)})
			continue
		}
		switch {
		case tag == "title" && a.Title == "":
			a.Title = text(ch)
		case tag == "message" && a.Message == nil:
			a.Message = parseAuthMessage(ch)
		case tag == "banner" && a.Banner == "":
			a.Banner = text(ch)
		case tag == "error" && a.Error == nil:
			a.Error = parseAuthMessage(ch)
		case tag == "form" && a.Form == nil:
			a.Form = parseForm(ch)
		case tag == "authentication-complete":
			a.AuthenticationComplete = true
		default:
			a.Extra = append(a.Extra, ch.Copy())
		}
	}
	return a
}

func parseForm(e *etree.Element) *AuthForm {
	f := &AuthForm{
		Method: e.SelectAttrValue("method", ""),
		Action: e.SelectAttrValue("action", ""),
		Attrs:  otherAttrs(e, "method", "action"),
	}
	for _, ch := range e.ChildElements() {
		switch ch.FullTag() {
		case "input":
			f.Items = append(f.Items, AuthFormItem{
				Element:    "input",
				Type:       strings.ToLower(strings.TrimSpace(ch.SelectAttrValue("type", "text"))),
				Name:       ch.SelectAttrValue("name", ""),
				Label:      ch.SelectAttrValue("label", ""),
				Value:      ch.SelectAttrValue("value", ""),
				SecondAuth: isTrue(ch.SelectAttrValue("second-auth", "")),
				Attrs:      otherAttrs(ch, "type", "name", "label", "value", "second-auth"),
			})
		case "select":
			it := AuthFormItem{
				Element:    "select",
				Name:       ch.SelectAttrValue("name", ""),
				Label:      ch.SelectAttrValue("label", ""),
				SecondAuth: isTrue(ch.SelectAttrValue("second-auth", "")),
				Attrs:      otherAttrs(ch, "name", "label", "second-auth"),
			}
			for _, o := range ch.SelectElements("option") {
				label := strings.TrimSpace(text(o))
				val := label
				if v := o.SelectAttr("value"); v != nil {
					val = v.Value
				}
				it.Options = append(it.Options, AuthFormOption{Value: val, Label: label, Selected: isTrue(o.SelectAttrValue("selected", ""))})
			}
			f.Items = append(f.Items, it)
		default:
			f.Extra = append(f.Extra, ch.Copy())
		}
	}
	return f
}

func parseHostScan(e *etree.Element) *HostScan {
	h := &HostScan{}
	for _, ch := range e.ChildElements() {
		tag := ch.FullTag()
		h.order = append(h.order, tag)
		switch tag {
		case "host-scan-ticket":
			h.Ticket = trimText(ch)
		case "host-scan-token":
			h.Token = trimText(ch)
		case "host-scan-base-uri":
			h.BaseURI = trimText(ch)
		case "host-scan-wait-uri":
			h.WaitURI = trimText(ch)
		default:
			h.Extra = append(h.Extra, ch.Copy())
		}
	}
	return h
}

func parseConfig(e *etree.Element) *Config {
	c := &Config{Attrs: otherAttrs(e)}
	for _, ch := range e.ChildElements() {
		tag := ch.FullTag()
		c.order = append(c.order, tag)
		switch {
		case tag == "banner" && c.Banner == "":
			c.Banner = text(ch)
		case tag == "csport" && c.CSPort == "":
			c.CSPort = trimText(ch)
		case tag == "vpn-profile-manifest" && c.Profiles == nil:
			c.Profiles = []ProfileFile{}
			for _, f := range ch.FindElements("./vpn/file") {
				c.Profiles = append(c.Profiles, ProfileFile{
					Type:        f.SelectAttrValue("type", ""),
					ServiceType: f.SelectAttrValue("service-type", ""),
					URI:         trimText(f.SelectElement("uri").NotNil()),
					Hash:        trimText(f.SelectElement("hash").NotNil()),
					HashType:    f.SelectElement("hash").NotNil().SelectAttrValue("type", ""),
				})
			}
		default:
			c.Extra = append(c.Extra, ch.Copy())
		}
	}
	return c
}

// DynamicSplitExcludeDomains returns the domains of
// <dynamic-split-exclude-domains>, wherever it sits below <config> (the
// recording has it in opaque/custom-attr), split at commas.
func (c *Config) DynamicSplitExcludeDomains() []string {
	return c.customList("dynamic-split-exclude-domains")
}

// DynamicSplitIncludeDomains is DynamicSplitExcludeDomains for
// <dynamic-split-include-domains>.
func (c *Config) DynamicSplitIncludeDomains() []string {
	return c.customList("dynamic-split-include-domains")
}

func (c *Config) customList(tag string) []string {
	for _, e := range c.Extra {
		var found *etree.Element
		if e.FullTag() == tag {
			found = e
		} else {
			found = e.FindElement(".//" + tag)
		}
		if found != nil {
			return splitList(text(found))
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
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

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func addAttrs(e *etree.Element, attrs []XMLAttr) {
	for _, a := range attrs {
		e.CreateAttr(a.Name, a.Value)
	}
}

func textElement(tag, value string) *etree.Element {
	e := etree.NewElement(tag)
	if value != "" {
		e.SetText(value)
	}
	return e
}

// children builds the root's children in the fixed order of the
// recordings; orderChildren then applies a parsed document's own order.
func (c *ConfigAuth) children() []*etree.Element {
	var out []*etree.Element
	add := func(e *etree.Element) { out = append(out, e) }
	if c.Version != nil {
		e := textElement("version", c.Version.Value)
		if c.Version.Who != "" {
			e.CreateAttr("who", c.Version.Who)
		}
		add(e)
	}
	if d := c.DeviceID; d != nil {
		e := textElement("device-id", d.Platform)
		for i, v := range []string{d.ComputerName, d.DeviceType, d.PlatformVersion, d.UniqueID, d.UniqueIDGlobal} {
			if v != "" {
				e.CreateAttr(deviceIDAttrs[i], v)
			}
		}
		addAttrs(e, d.Attrs)
		add(e)
	}
	if len(c.MACAddresses) > 0 {
		e := etree.NewElement("mac-address-list")
		for _, m := range c.MACAddresses {
			me := e.CreateElement("mac-address")
			if m.PublicInterface {
				me.CreateAttr("public-interface", "true")
			}
			if m.Address != "" {
				me.SetText(m.Address)
			}
		}
		add(e)
	}
	if c.GroupAccess != "" {
		add(textElement("group-access", c.GroupAccess))
	}
	// In an init the group-select follows group-access (section 3 of the
	// shared document); in an auth-reply it follows the answers.
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

func (c *Capabilities) element() *etree.Element {
	e := etree.NewElement("capabilities")
	var ch []*etree.Element
	for _, m := range c.AuthMethods {
		ch = append(ch, textElement("auth-method", m))
	}
	for _, m := range c.CryptoSupported {
		ch = append(ch, textElement("crypto-supported", m))
	}
	for _, x := range c.Extra {
		ch = append(ch, x.Copy())
	}
	for _, x := range orderChildren(ch, c.order) {
		e.AddChild(x)
	}
	return e
}

func (m *AuthMessage) element(tag string) *etree.Element {
	e := textElement(tag, m.Text)
	if m.ID != "" {
		e.CreateAttr("id", m.ID)
	}
	for i, p := range m.Params {
		e.CreateAttr("param"+strconv.Itoa(i+1), p)
	}
	addAttrs(e, m.Attrs)
	return e
}

func (a *Auth) element() *etree.Element {
	e := etree.NewElement("auth")
	if a.ID != "" {
		e.CreateAttr("id", a.ID)
	}
	addAttrs(e, a.Attrs)
	var ch []*etree.Element
	if a.Title != "" {
		ch = append(ch, textElement("title", a.Title))
	}
	if a.Message != nil {
		ch = append(ch, a.Message.element("message"))
	}
	if a.Banner != "" {
		ch = append(ch, textElement("banner", a.Banner))
	}
	if a.Error != nil {
		ch = append(ch, a.Error.element("error"))
	}
	if a.Form != nil {
		ch = append(ch, a.Form.element())
	}
	if a.AuthenticationComplete {
		ch = append(ch, etree.NewElement("authentication-complete"))
	}
	for _, v := range a.Answers {
		ch = append(ch, textElement(v.Name, v.Value))
	}
	for _, x := range a.Extra {
		ch = append(ch, x.Copy())
	}
	for _, x := range orderChildren(ch, a.order) {
		e.AddChild(x)
	}
	return e
}

func (f *AuthForm) element() *etree.Element {
	e := etree.NewElement("form")
	if f.Method != "" {
		e.CreateAttr("method", f.Method)
	}
	if f.Action != "" {
		e.CreateAttr("action", f.Action)
	}
	addAttrs(e, f.Attrs)
	for _, it := range f.Items {
		el := def(it.Element, "input")
		x := e.CreateElement(el)
		if el == "input" {
			x.CreateAttr("type", def(it.Type, "text"))
		}
		x.CreateAttr("name", it.Name)
		if it.Label != "" {
			x.CreateAttr("label", it.Label)
		}
		if it.Value != "" && el == "input" {
			x.CreateAttr("value", it.Value)
		}
		if it.SecondAuth {
			x.CreateAttr("second-auth", "1")
		}
		addAttrs(x, it.Attrs)
		for _, o := range it.Options {
			oe := x.CreateElement("option")
			label := def(o.Label, o.Value)
			if o.Value != label {
				oe.CreateAttr("value", o.Value)
			}
			if o.Selected {
				oe.CreateAttr("selected", "true")
			}
			oe.SetText(label)
		}
	}
	for _, x := range f.Extra {
		e.AddChild(x.Copy())
	}
	return e
}

func (h *HostScan) element() *etree.Element {
	e := etree.NewElement("host-scan")
	var ch []*etree.Element
	for _, kv := range [][2]string{
		{"host-scan-ticket", h.Ticket}, {"host-scan-token", h.Token},
		{"host-scan-base-uri", h.BaseURI}, {"host-scan-wait-uri", h.WaitURI},
	} {
		if kv[1] != "" {
			ch = append(ch, textElement(kv[0], kv[1]))
		}
	}
	for _, x := range h.Extra {
		ch = append(ch, x.Copy())
	}
	for _, x := range orderChildren(ch, h.order) {
		e.AddChild(x)
	}
	return e
}

func (c *Config) element() *etree.Element {
	e := etree.NewElement("config")
	addAttrs(e, c.Attrs)
	var ch []*etree.Element
	if c.Banner != "" {
		ch = append(ch, textElement("banner", c.Banner))
	}
	if c.CSPort != "" {
		ch = append(ch, textElement("csport", c.CSPort))
	}
	if c.Profiles != nil {
		m := etree.NewElement("vpn-profile-manifest")
		vpn := m.CreateElement("vpn")
		vpn.CreateAttr("rev", "1.0")
		for _, p := range c.Profiles {
			f := vpn.CreateElement("file")
			f.CreateAttr("type", def(p.Type, "profile"))
			if p.ServiceType != "" {
				f.CreateAttr("service-type", p.ServiceType)
			}
			f.CreateElement("uri").SetText(p.URI)
			h := f.CreateElement("hash")
			if p.HashType != "" {
				h.CreateAttr("type", p.HashType)
			}
			h.SetText(p.Hash)
		}
		ch = append(ch, m)
	}
	for _, x := range c.Extra {
		ch = append(ch, x.Copy())
	}
	for _, x := range orderChildren(ch, c.order) {
		e.AddChild(x)
	}
	return e
}

// xmlCanonical serialises a subtree for comparisons (opaque echo checks).
func xmlCanonical(e *etree.Element) []byte {
	if e == nil {
		return nil
	}
	var b bytes.Buffer
	doc := etree.NewDocument()
	doc.SetRoot(e.Copy())
	doc.WriteTo(&b)
	return b.Bytes()
}

// validXMLName reports whether s can be an element name of our own making:
// a letter or underscore, then letters, digits, '-', '_' or '.'; no
// namespace prefix.
func validXMLName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r)):
		default:
			return false
		}
	}
	return !strings.HasPrefix(strings.ToLower(s), "xml")
}

// validXMLText reports whether s holds only characters XML 1.0 can carry.
// The writer would silently replace others, changing what the user typed.
func validXMLText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
	}
	return true
}
