package anyconnect

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// The elements of a config-auth document below its root, each type with its
// parse and its marshal (element) side by side. Elements a type does not
// know are kept verbatim in its Extra field; order, where present, is the
// order of the children as parsed (see orderChildren).

// ClientVersion is <version who="vpn">4.10.07073</version>.
type ClientVersion struct {
	Who   string
	Value string
}

func parseClientVersion(e *etree.Element) *ClientVersion {
	return &ClientVersion{Who: e.SelectAttrValue("who", ""), Value: trimText(e)}
}

func (v *ClientVersion) element() *etree.Element {
	e := textElement("version", v.Value)
	if v.Who != "" {
		e.CreateAttr("who", v.Who)
	}
	return e
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

func (d *DeviceID) element() *etree.Element {
	e := textElement("device-id", d.Platform)
	for i, v := range []string{d.ComputerName, d.DeviceType, d.PlatformVersion, d.UniqueID, d.UniqueIDGlobal} {
		if v != "" {
			e.CreateAttr(deviceIDAttrs[i], v)
		}
	}
	addAttrs(e, d.Attrs)
	return e
}

// MACAddress is one <mac-address> of the client header.
type MACAddress struct {
	Address         string
	PublicInterface bool // public-interface="true"
}

func parseMACList(e *etree.Element) []MACAddress {
	out := []MACAddress{}
	for _, m := range e.SelectElements("mac-address") {
		out = append(out, MACAddress{Address: trimText(m), PublicInterface: isTrue(m.SelectAttrValue("public-interface", ""))})
	}
	return out
}

func macListElement(macs []MACAddress) *etree.Element {
	e := etree.NewElement("mac-address-list")
	for _, m := range macs {
		me := e.CreateElement("mac-address")
		if m.PublicInterface {
			me.CreateAttr("public-interface", "true")
		}
		if m.Address != "" {
			me.SetText(m.Address)
		}
	}
	return e
}

// Capabilities is <capabilities>.
type Capabilities struct {
	AuthMethods     []string // <auth-method>, client
	CryptoSupported []string // <crypto-supported>, headend
	Extra           []*etree.Element
	order           []string
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

// AuthMessage is a <message> or <error>: text with an id and numbered
// params (param1, param2, ...).
type AuthMessage struct {
	ID     string
	Params []string
	Text   string
	Attrs  []XMLAttr
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

// HostScan is the <host-scan> demand of an auth-request.
type HostScan struct {
	Ticket, Token, BaseURI, WaitURI string
	Extra                           []*etree.Element
	order                           []string
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
