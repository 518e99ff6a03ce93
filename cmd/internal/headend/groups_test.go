package headend

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// Tunnel groups of each EAP-AnyConnect kind beside the seed's password
// group ASA-IKEV2.
const groupKinds = `
[tunnel-group.CERT-ONLY]
auth = "eap-anyconnect"
authentication = "certificate"
group-policy = "GP-ASA"
pool = "VPNPOOL"

[tunnel-group.CERT-SCAN]
auth = "eap-anyconnect"
authentication = "certificate"
host-scan = true
group-policy = "GP-ASA"
pool = "VPNPOOL"

[tunnel-group.CERT-AAA]
auth = "eap-anyconnect"
authentication = "aaa certificate"
group-policy = "GP-ASA"
pool = "VPNPOOL"
`

// kindsConfig is the seed configuration with groupKinds, edited by edit.
func kindsConfig(t *testing.T, edit func(string) string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	if err := GeneratePKI(dir, "vpn.example.com", "alice"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "headend.toml")
	text := string(SeedConfig) + groupKinds
	if edit != nil {
		text = edit(text)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}

func clientCreds(t *testing.T, dir string) *ikev2.Credentials {
	t.Helper()
	c, err := certs.LoadCredentials(filepath.Join(dir, ClientCertFile), filepath.Join(dir, ClientKeyFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wireTrace records a connection's datagrams and opens its SK payloads
// with the keys the client exported.
type wireTrace struct {
	dgs  []tracedDatagram
	keys *ikev2.IKEKeys
}

type tracedDatagram struct {
	toServer bool
	b        []byte
}

func (w *wireTrace) observe(toServer bool, b []byte) {
	w.dgs = append(w.dgs, tracedDatagram{toServer, append([]byte(nil), b...)})
}

func (w *wireTrace) onClient(a ikev2.Action) {
	if k, ok := a.(ikev2.IKEKeys); ok && w.keys == nil {
		w.keys = &k
	}
}

func exportKeys(c *ikev2.InitiatorConfig) { c.ExportKeys = true }

// openedMsg is one whole (unfragmented) message with its SK opened.
type openedMsg struct {
	toServer bool
	header   wire.Header
	payloads []wire.Payload
}

// messages decodes every datagram: IKE_SA_INIT as it is, SK messages
// opened; fragments (counted in frags by kind) are left out.
func (w *wireTrace) messages(t *testing.T) (msgs []openedMsg, frags map[iana.PayloadType]int) {
	t.Helper()
	if w.keys == nil {
		t.Fatal("the client exported no IKE keys")
	}
	s := w.keys.Suite
	k := w.keys.Keys
	toServer, err := ikecrypto.NewSKCipher(s.Encr, int(s.KeyBits), s.Integ, k.Ei, k.Ai)
	if err != nil {
		t.Fatal(err)
	}
	toClient, err := ikecrypto.NewSKCipher(s.Encr, int(s.KeyBits), s.Integ, k.Er, k.Ar)
	if err != nil {
		t.Fatal(err)
	}
	frags = map[iana.PayloadType]int{}
	for _, d := range w.dgs {
		m, err := wire.Decode(d.b)
		if err != nil {
			t.Fatalf("a datagram does not decode: %v", err)
		}
		switch m.NextPayload {
		case iana.PayloadSKF, iana.PayloadCiscoFragment:
			frags[m.NextPayload]++
			continue
		case iana.PayloadSK:
		default:
			msgs = append(msgs, openedMsg{d.toServer, m.Header, m.Payloads})
			continue
		}
		sk := m.Payloads[len(m.Payloads)-1].(*wire.Encrypted)
		c := toClient
		if d.toServer {
			c = toServer
		}
		plain, err := c.Open(d.b[:len(d.b)-len(sk.Data)], sk.Data)
		if err != nil {
			continue // an SA of another exchange (none in these tests)
		}
		ps, err := wire.DecodePayloads(sk.NextPayload, plain)
		if err != nil {
			t.Fatalf("%s: inner payloads: %v", &m.Header, err)
		}
		msgs = append(msgs, openedMsg{d.toServer, m.Header, ps})
	}
	return msgs, frags
}

// checkResultIDs checks on the wire that the headend's EAP Success and
// Failure carry the Identifier of the client's last Response (RFC 3748
// section 4.2), and returns the codes of those results.
func checkResultIDs(t *testing.T, msgs []openedMsg) []eap.Code {
	t.Helper()
	var last *eap.Packet
	var results []eap.Code
	for _, m := range msgs {
		for _, e := range wire.FindAll[*wire.EAP](m.payloads) {
			p, err := eap.Decode(e.Data)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case m.toServer && p.Code == eap.CodeResponse:
				last = p
			case !m.toServer && (p.Code == eap.CodeSuccess || p.Code == eap.CodeFailure):
				if last == nil || p.Identifier != last.Identifier {
					t.Fatalf("EAP-%s id=%d answers Response %v", p.Code, p.Identifier, last)
				}
				results = append(results, p.Code)
			}
		}
	}
	return results
}

// TestGroupKinds connects the client to a group of each kind and checks
// what the headend asked and the EAP results on the wire.
func TestGroupKinds(t *testing.T) {
	cfg, dir := kindsConfig(t, nil)
	creds := clientCreds(t, dir)
	hostScan := func(r anyconnect.HostScanRequest) (string, error) { return r.Token, nil }
	for _, c := range []struct {
		group    string
		cert     bool
		answer   eap.FormAnswer
		wantForm bool
	}{
		{"CERT-ONLY", true, nil, false},
		{"CERT-SCAN", true, nil, false},
		{"CERT-AAA", true, eap.FormAnswer{"username": "alice", "password": "correct horse"}, true},
		{"ASA-IKEV2", false, eap.FormAnswer{"username": "alice", "password": "correct horse"}, true},
	} {
		t.Run(c.group, func(t *testing.T) {
			peer := &anyconnect.Peer{GroupAccess: c.group, HostScan: hostScan}
			var cr *ikev2.Credentials
			if c.cert {
				peer.Certificates, cr = creds.Chain, creds
			}
			var w wireTrace
			forms := 0
			up, err := pumpTrace(t, newClient(t, dir, peer, cr, nil, exportKeys), newServer(t, cfg), c.answer, w.observe,
				func(a ikev2.Action) {
					w.onClient(a)
					if _, ok := a.(ikev2.NeedInput); ok {
						forms++
					}
				})
			if up == nil {
				t.Fatalf("not established: %v", err)
			}
			if (forms > 0) != c.wantForm {
				t.Fatalf("%d forms asked", forms)
			}
			msgs, _ := w.messages(t)
			if res := checkResultIDs(t, msgs); len(res) != 1 || res[0] != eap.CodeSuccess {
				t.Fatalf("EAP results %v", res)
			}
		})
	}
	t.Run("certificate group without a certificate", func(t *testing.T) {
		_, err := pump(t, newClient(t, dir, &anyconnect.Peer{GroupAccess: "CERT-ONLY"}, nil, nil), newServer(t, cfg), nil)
		if err == nil || !strings.Contains(err.Error(), "Certificates is empty") {
			t.Fatalf("got %v", err)
		}
	})
}

// vector reads a document of the recorded certificate-only exchange.
func vector(t *testing.T, name string) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromFile(filepath.Join("..", "..", "..", "testdata", "vectors", "eap-anyconnect", name)); err != nil {
		t.Fatal(err)
	}
	return doc
}

// scriptedCertClient answers EAP-AnyConnect with the documents of the
// recorded certificate-only client (testdata/vectors/eap-anyconnect),
// changing only what the session decides: the tunnel group, the echoed
// opaque, the host-scan token, and its own certificate and signature. It
// adds what real clients send that is odd but harmless: a repeated
// mac-address list, an empty host-scan-token, the group in CDATA after a
// line break. A form it answers as such a client does: with an empty
// auth-reply.
type scriptedCertClient struct {
	t     *testing.T
	group string
	chain []*x509.Certificate
	done  bool
	forms int
}

func (s *scriptedCertClient) Type() eap.ExpandedType { return anyconnect.MethodType }
func (s *scriptedCertClient) Done() bool             { return s.done }
func (s *scriptedCertClient) MSK() []byte            { return nil }
func (s *scriptedCertClient) Respond(*eap.Packet) (*eap.Packet, error) {
	return nil, errors.New("the scripted client signs with the IKE binding only")
}

func (s *scriptedCertClient) RespondBound(req *eap.Packet, ike eap.IKEBinding) (*eap.Packet, error) {
	m, err := anyconnect.FromPacket(req)
	if err != nil {
		return nil, err
	}
	in, err := anyconnect.ParseConfigAuth(m.XML())
	if err != nil {
		return nil, err
	}
	var doc *etree.Document
	var tlvs []anyconnect.TLV
	switch {
	case in.Type == anyconnect.ConfigAuthHello:
		doc = vector(s.t, "02-client-to-head-resp-id1-init.xml")
	case in.Type == anyconnect.ConfigAuthAuthRequest && in.ClientCertRequest:
		doc = vector(s.t, "04-client-to-head-resp-id2-init.xml")
		p7, err := anyconnect.EncodeCertChainPKCS7(s.chain)
		if err != nil {
			return nil, err
		}
		sig, err := ike.SignInitiatorOctets()
		if err != nil {
			return nil, err
		}
		tlvs = []anyconnect.TLV{{Type: anyconnect.TLVCertChain, Value: p7}, {Type: anyconnect.TLVSignature, Value: sig}}
		root := doc.Root()
		// A second copy of the address list, and an empty token.
		root.InsertChildAt(root.SelectElement("mac-address-list").Index()+1, root.SelectElement("mac-address-list").Copy())
		root.CreateElement("host-scan-token")
	case in.Type == anyconnect.ConfigAuthAuthRequest:
		doc = vector(s.t, "06-client-to-head-resp-id3-auth-reply.xml")
		tok := doc.Root().SelectElement("host-scan-token")
		if in.HostScan != nil {
			tok.SetText(in.HostScan.Token)
		} else {
			doc.Root().RemoveChild(tok)
		}
		if in.Auth != nil && in.Auth.Form != nil {
			s.forms++
		}
	case in.Type == anyconnect.ConfigAuthComplete:
		doc = vector(s.t, "08-client-to-head-resp-id4-ack.xml")
		s.done = true
	default:
		return nil, errors.New("unexpected " + string(in.Type))
	}
	root := doc.Root()
	if ga := root.SelectElement("group-access"); ga != nil {
		ga.Child = nil
		ga.CreateCData("\n " + s.group)
	}
	if op := root.SelectElement("opaque"); op != nil {
		if in.Opaque != nil {
			root.InsertChildAt(op.Index(), in.Opaque.Copy())
		}
		root.RemoveChild(op)
	}
	x, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	out := &anyconnect.Message{Code: eap.CodeResponse, Identifier: req.Identifier, TLVs: append(tlvs, anyconnect.TLV{Type: anyconnect.TLVXML, Value: x})}
	return out.Packet()
}

// TestScriptedCertificateClient runs the recorded certificate-only client
// against each group kind: the certificate groups take it; a password
// group answers its empty replies with EAP-Failure, on the wire with the
// Identifier of the last Response.
func TestScriptedCertificateClient(t *testing.T) {
	cfg, dir := kindsConfig(t, nil)
	creds := clientCreds(t, dir)
	for _, c := range []struct {
		group string
		ok    bool
	}{{"CERT-ONLY", true}, {"CERT-SCAN", true}, {"CERT-AAA", false}, {"ASA-IKEV2", false}} {
		t.Run(c.group, func(t *testing.T) {
			sc := &scriptedCertClient{t: t, group: c.group, chain: creds.Chain}
			var w wireTrace
			up, err := pumpTrace(t, newClient(t, dir, sc, creds, nil, exportKeys), newServer(t, cfg), nil, w.observe, w.onClient)
			msgs, _ := w.messages(t)
			res := checkResultIDs(t, msgs)
			if !c.ok {
				if up != nil || !errors.Is(err, ikev2.ErrAuthFailed) || sc.forms == 0 {
					t.Fatalf("a client without a password got through: %v (%d forms)", err, sc.forms)
				}
				if len(res) != 1 || res[0] != eap.CodeFailure {
					t.Fatalf("EAP results %v", res)
				}
				return
			}
			if up == nil {
				t.Fatalf("not established: %v", err)
			}
			if sc.forms != 0 || len(res) != 1 || res[0] != eap.CodeSuccess {
				t.Fatalf("%d forms, EAP results %v", sc.forms, res)
			}
		})
	}
}

// TestFragmentationOff: with fragmentation = "off" the headend announces
// neither kind and sends no fragment, to a client offering both; with
// "auto" the same client gets fragments.
func TestFragmentationOff(t *testing.T) {
	for _, mode := range []string{"off", "auto", "rfc7383"} {
		t.Run(mode, func(t *testing.T) {
			cfg, dir := kindsConfig(t, func(s string) string {
				return strings.Replace(s, `fragmentation = "auto"`, `fragmentation = "`+mode+`"`+"\nfragment-size = 600", 1)
			})
			for _, cisco := range []bool{true, false} {
				var w wireTrace
				peer := &anyconnect.Peer{GroupAccess: "ASA-IKEV2"}
				up, err := pumpTrace(t, newClient(t, dir, peer, nil, nil, exportKeys, func(c *ikev2.InitiatorConfig) {
					c.CiscoVendorIDs = cisco
					c.FragmentSize = 600
				}), newServer(t, cfg), eap.FormAnswer{"username": "alice", "password": "correct horse"}, w.observe, w.onClient)
				msgs, frags := w.messages(t)
				var announced []string
				for _, m := range msgs {
					if m.toServer || m.header.Exchange != iana.IKE_SA_INIT {
						continue
					}
					if _, ok := wire.FindNotify(m.payloads, iana.IKEV2_FRAGMENTATION_SUPPORTED); ok {
						announced = append(announced, "notify")
					}
					for _, v := range wire.FindAll[*wire.VendorID](m.payloads) {
						if string(v.Data) == "\x40\x48\xb7\xd5\x6e\xbc\xe8\x85\x25\xe7\xde\x7f\x00\xd6\xc2\xd3" {
							announced = append(announced, "vendor ID")
						}
					}
				}
				fromServer := 0
				for _, d := range w.dgs {
					if h, err := wire.DecodeHeader(d.b); err == nil && !d.toServer &&
						(h.NextPayload == iana.PayloadSKF || h.NextPayload == iana.PayloadCiscoFragment) {
						fromServer++
					}
				}
				switch mode {
				case "off":
					// The headend's first IKE_AUTH answer (certificate chain
					// and EAP) exceeds 600 bytes and goes whole.
					if up == nil || len(announced) > 0 || fromServer > 0 {
						t.Fatalf("cisco=%v: up=%v (%v), announced %v, fragments %v", cisco, up != nil, err, announced, frags)
					}
				default:
					if up == nil || len(announced) == 0 || fromServer == 0 {
						t.Fatalf("cisco=%v: up=%v (%v), announced %v, fragments %v", cisco, up != nil, err, announced, frags)
					}
				}
			}
		})
	}
}

func TestAuthenticationSetting(t *testing.T) {
	base := `certificate = "s.pem"
key = "s.key"
client-ca = "ca.pem"
[pool.P]
range = "10.0.0.1-10.0.0.9"
[group-policy.G]
[tunnel-group.T]
auth = "eap-anyconnect"
group-policy = "G"
pool = "P"
`
	for _, c := range []struct{ extra, want string }{
		{`authentication = "certificate"`, ""},
		{`authentication = "aaa  certificate"`, ""},
		{`authentication = "aaa"`, ""},
		{`authentication = "password"`, `authentication "password" is not`},
		{"authentication = \"aaa\"\nclient-certificate = true", "contradicts client-certificate"},
		{"authentication = \"certificate\"\nsecond-factor = true", "second-factor needs a password step"},
	} {
		cfg, err := Parse("x.toml", []byte(base+c.extra+"\n"))
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.extra, err)
			} else if g := cfg.TunnelGroups["T"]; g.ClientCertificate != strings.Contains(c.extra, "certificate") ||
				g.password() != strings.Contains(c.extra, "aaa") {
				t.Errorf("%s: certificate %v, password %v", c.extra, g.ClientCertificate, g.password())
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.extra, err, c.want)
		}
	}
}
