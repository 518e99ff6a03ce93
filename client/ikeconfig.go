package client

// This file translates a session's Options into the IKE layer's
// configuration: proposals, identity, trust, credentials and the EAP method.

import (
	"crypto/rand"
	"crypto/x509"
	"maps"
	"net/netip"
	"strings"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs"
	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
	"github.com/vpnc-go/vpnc-go/profile"
)

// initiatorConfig translates the options for the IKE layer.
func (s *Session) initiatorConfig(local netip.AddrPort, cand candidate) (ikev2.InitiatorConfig, error) {
	o := s.opts
	remote := cand.addr
	cfg := ikev2.InitiatorConfig{
		// ForceEncap: the data plane sends ESP in UDP only, so the
		// headend must expect it even where there is no NAT.
		Config: ikev2.Config{Timers: o.Timers, CiscoVendorIDs: o.Auth == profile.AuthEAPAnyConnect, ExportKeys: o.KeyLog != nil,
			ForceEncap: true, Log: o.Log},
		Local: local, Remote: remote,
		EAPIdentity: o.Username,
		AppVersion:  "vpnc-go",
	}
	var err error
	if o.IKEProposals != "" {
		if cfg.IKEProposals, err = ikev2.ParseProposals(o.IKEProposals, iana.ProtoIKE); err != nil {
			return cfg, err
		}
		if weak := ikev2.WeakAlgorithms(cfg.IKEProposals); len(weak) > 0 {
			o.Log("offering weak IKE algorithms as asked: %s", strings.Join(weak, "; "))
		}
	}
	if o.ESPProposals != "" {
		if cfg.ESPProposals, err = ikev2.ParseProposals(o.ESPProposals, iana.ProtoESP); err != nil {
			return cfg, err
		}
	}
	if o.Identity != "" {
		cfg.Identity = wire.ID{IDType: wire.ID_KEY_ID, Data: []byte(o.Identity)}
	}
	if cfg.VerifyPeer, err = s.verifier(cand.host); err != nil {
		return cfg, err
	}
	if o.ClientCert != nil {
		cfg.Credentials = o.ClientCert.cred
		if o.Auth.UsesCertificate() && o.Identity == "" {
			// Standards headends look the client's key up by the
			// certificate's subject, which is what IDi then says.
			cfg.Identity = wire.ID{IDType: wire.ID_DER_ASN1_DN, Data: o.ClientCert.cred.Leaf().RawSubject}
		}
	}
	if !o.Auth.UsesCertificate() {
		cfg.EAP = s.eapMethod(remote)
	}
	return cfg, nil
}

// verifier checks the headend's certificate against the system roots, the
// CA file and the pins, for the name dialled (ServerName overrides it).
func (s *Session) verifier(host string) (ikev2.PeerVerifier, error) {
	o := s.opts
	name := o.ServerName
	if name == "" {
		name = host
	}
	trust := certs.NewTrustConfig(name, time.Now())
	if o.CAFile != "" {
		cas, err := certs.LoadCAFile(o.CAFile)
		if err != nil {
			return nil, err
		}
		trust.ExtraCAs = cas
	}
	if _, err := certs.ParsePins(o.Pins); err != nil {
		return nil, err
	}
	trust.Pins = o.Pins
	return func(chain [][]byte) (*x509.Certificate, error) {
		trust.Now = time.Now()
		v, err := certs.Verify(chain, trust)
		s.recordTrust(name, trust.Now, chain, v, err)
		if err != nil {
			return nil, err
		}
		return v.Leaf, nil
	}, nil
}

// eapMethod builds the EAP peer of the chosen method.
func (s *Session) eapMethod(remote netip.AddrPort) eap.Peer {
	o := s.opts
	switch o.Auth {
	case profile.AuthEAPMSCHAPv2:
		return &eap.MSCHAPv2Peer{UserName: o.Username, Password: s.answers["password"], Rand: rand.Reader, AskRetry: true}
	case profile.AuthEAPMD5:
		return &eap.MD5Peer{Secret: s.answers["password"]}
	case profile.AuthEAPGTC:
		return &eap.GTCPeer{UserName: o.Username, Password: s.answers["password"]}
	}
	peer := &anyconnect.Peer{GroupAccess: o.Group, UserName: o.Username, Answers: maps.Clone(s.answers),
		Host: remote.Addr().String()}
	if o.HostScan != nil {
		peer.HostScan = func(r anyconnect.HostScanRequest) (string, error) { return o.HostScan(HostScanRequest(r)) }
	}
	if o.ClientCert != nil {
		peer.Certificates = o.ClientCert.cred.Chain
	}
	return peer
}
