package profile

import "time"

// Namespace is the XML namespace of every AnyConnect client profile.
const Namespace = "http://schemas.xmlsoap.org/encoding/"

// Protocol is a HostEntry's PrimaryProtocol.
type Protocol string

// PrimaryProtocol values. The schema default is SSL. vpnc-go speaks IKEv2
// only, so it tries IKEv2 for SSL hosts too: the profile schema has no
// element that restricts a host to SSL (see the package documentation).
const (
	ProtocolSSL   Protocol = "SSL"
	ProtocolIPsec Protocol = "IPsec"
)

// AuthMethod is how the client authenticates during IKE negotiation.
type AuthMethod string

// AuthMethodDuringIKENegotiation values.
const (
	AuthEAPAnyConnect AuthMethod = "EAP-AnyConnect"
	AuthEAPMD5        AuthMethod = "EAP-MD5"
	AuthEAPMSCHAPv2   AuthMethod = "EAP-MSCHAPv2"
	AuthEAPGTC        AuthMethod = "EAP-GTC"
	AuthIKERSA        AuthMethod = "IKE-RSA"
	AuthIKEECDSA      AuthMethod = "IKE-ECDSA"
)

// Schema defaults for the settings vpnc-go acts on.
const (
	DefaultAuthenticationTimeout = 12 * time.Second
	MinAuthenticationTimeout     = 10 * time.Second
	MaxAuthenticationTimeout     = 120 * time.Second
	// DefaultStandardAuthMethod applies when StandardAuthenticationOnly is
	// true and AuthMethodDuringIKENegotiation is absent.
	DefaultStandardAuthMethod = AuthEAPGTC
	// DefaultCaptivePortalRemediationTimeout is in minutes in the profile.
	DefaultCaptivePortalRemediationTimeout = 5 * time.Minute
)

// Profile is one parsed profile file.
type Profile struct {
	// File is the name the profile was parsed under (its path when read
	// from disk).
	File string `json:"file"`
	// Namespace is the root element's namespace: Namespace, or "" when the
	// file declares none (accepted with a warning).
	Namespace string               `json:"namespace"`
	Client    ClientInitialization `json:"client"`
	Hosts     []HostEntry          `json:"hosts"`
	// Ignored lists the elements this package does not interpret: ones the
	// client has no use for and ones from newer schemas. They are kept so
	// tools can show them; they never cause a problem.
	Ignored []Node `json:"ignored,omitempty"`
}

// Node names one element of a profile file.
type Node struct {
	Path string `json:"path"`
	Line int    `json:"line"`
}

// HostEntry is one ServerList/HostEntry with schema defaults applied.
type HostEntry struct {
	// Name is HostName, the display name users select.
	Name string `json:"name"`
	// Address is HostAddress, or HostName when HostAddress is absent
	// (the schema allows an FQDN or IP in HostName alone).
	Address Address `json:"address"`
	// HostAddressSet is false when Address was taken from HostName.
	HostAddressSet bool      `json:"host_address_set"`
	UserGroup      string    `json:"user_group,omitempty"`
	Backup         []Address `json:"backup,omitempty"`
	LoadBalancing  []Address `json:"load_balancing,omitempty"`
	Protocol       Protocol  `json:"protocol"`
	// ProtocolSet is false when PrimaryProtocol is absent (or empty) and
	// Protocol is the schema default, SSL.
	ProtocolSet bool `json:"protocol_set"`
	// StandardAuthOnly is StandardAuthenticationOnly: the gateway is a
	// standards-only one (IOS, strongSwan) and AuthMethod applies.
	StandardAuthOnly bool `json:"standard_auth_only"`
	// AuthMethod is the method to use: EAP-AnyConnect unless
	// StandardAuthOnly, else AuthMethodDuringIKENegotiation (default
	// EAP-GTC). SSL entries name an AnyConnect headend (an ASA or FTD),
	// so theirs is EAP-AnyConnect.
	AuthMethod AuthMethod `json:"auth_method,omitempty"`
	// IKEIdentity replaces the default IDi; only with StandardAuthOnly.
	IKEIdentity string `json:"ike_identity,omitempty"`
	// Pins is the entry's CertificatePinList.
	Pins []Pin `json:"pins,omitempty"`
	// Line is where the HostEntry element starts.
	Line int `json:"line"`
}

// Pin is one CertificatePinList/Pin. Per the AnyConnect 4.x schema its text
// is the SHA-512 hash of the pinned certificate's public key and the
// attributes describe that certificate; the text encoding is not documented
// publicly, so Hash is kept as written and SHA512 is filled only when the
// text decodes (base64 or hex) to 64 bytes.
type Pin struct {
	Subject string `json:"subject,omitempty"`
	Issuer  string `json:"issuer,omitempty"`
	Hash    string `json:"hash"`
	SHA512  []byte `json:"-"`
}

// ClientInitialization holds the client-wide settings vpnc-go acts on, with
// schema defaults applied.
type ClientInitialization struct {
	AutoReconnect                 bool   `json:"auto_reconnect"`
	AutoReconnectUserControllable bool   `json:"auto_reconnect_user_controllable"`
	AutoReconnectBehavior         string `json:"auto_reconnect_behavior"`

	LocalLanAccess                 bool `json:"local_lan_access"`
	LocalLanAccessUserControllable bool `json:"local_lan_access_user_controllable"`

	AutomaticCertSelection        bool `json:"automatic_cert_selection"`
	AutoConnectOnStart            bool `json:"auto_connect_on_start"`
	AllowManualHostInput          bool `json:"allow_manual_host_input"`
	DisableCaptivePortalDetection bool `json:"disable_captive_portal_detection"`

	// IPProtocolSupport lists "IPv4" and/or "IPv6" in order of preference.
	IPProtocolSupport     []string      `json:"ip_protocol_support"`
	AuthenticationTimeout time.Duration `json:"authentication_timeout"`

	BackupServers []Address `json:"backup_servers,omitempty"`

	// CertificateMatch is nil when the profile has none.
	CertificateMatch *CertificateMatch `json:"certificate_match,omitempty"`

	// CertificatePinning and Pins come from the global
	// CertificatePinning/CertificatePinList.
	CertificatePinning bool  `json:"certificate_pinning"`
	Pins               []Pin `json:"pins,omitempty"`

	AutomaticVPNPolicy AutomaticVPNPolicy `json:"automatic_vpn_policy"`
}

// AutoReconnectBehavior values.
const (
	DisconnectOnSuspend  = "DisconnectOnSuspend"
	ReconnectAfterResume = "ReconnectAfterResume"
)

// AutomaticVPNPolicy is trusted network detection and Always-On.
type AutomaticVPNPolicy struct {
	Enabled                bool                 `json:"enabled"`
	TrustedDNSDomains      []string             `json:"trusted_dns_domains,omitempty"`
	TrustedDNSServers      []string             `json:"trusted_dns_servers,omitempty"`
	TrustedHTTPSServers    []TrustedHTTPSServer `json:"trusted_https_servers,omitempty"`
	TrustedNetworkPolicy   string               `json:"trusted_network_policy"`
	UntrustedNetworkPolicy string               `json:"untrusted_network_policy"`
	AlwaysOn               bool                 `json:"always_on"`
	// ConnectFailurePolicy is "Closed" (default) or "Open".
	ConnectFailurePolicy            string        `json:"connect_failure_policy"`
	AllowCaptivePortalRemediation   bool          `json:"allow_captive_portal_remediation"`
	CaptivePortalRemediationTimeout time.Duration `json:"captive_portal_remediation_timeout"`
	ApplyLastVPNLocalResourceRules  bool          `json:"apply_last_vpn_local_resource_rules"`
	AllowVPNDisconnect              bool          `json:"allow_vpn_disconnect"`
}

// TrustedHTTPSServer is one TrustedHttpsServerList entry.
type TrustedHTTPSServer struct {
	Address         string `json:"address"`
	Port            int    `json:"port"`
	CertificateHash string `json:"certificate_hash"`
}

// CertificateMatch selects the client certificate. A certificate must have at
// least one of KeyUsage, all of ExtendedKeyUsage and CustomExtendedKeyUsage,
// and satisfy every DistinguishedName rule.
type CertificateMatch struct {
	MatchOnlyCertsWithEKU bool `json:"match_only_certs_with_eku"`
	MatchOnlyCertsWithKU  bool `json:"match_only_certs_with_ku"`
	// KeyUsage holds MatchKey values such as "Digital_Signature".
	KeyUsage []string `json:"key_usage,omitempty"`
	// ExtendedKeyUsage holds ExtendedMatchKey names such as "ClientAuth".
	ExtendedKeyUsage []string `json:"extended_key_usage,omitempty"`
	// CustomExtendedKeyUsage holds CustomExtendedMatchKey OIDs.
	CustomExtendedKeyUsage []string `json:"custom_extended_key_usage,omitempty"`
	DistinguishedName      []DNRule `json:"distinguished_name,omitempty"`
}

// DNRule is one DistinguishedNameDefinition.
type DNRule struct {
	// Name is the attribute, such as "CN", "OU" or "ISSUER-CN".
	Name    string `json:"name"`
	Pattern string `json:"pattern"`
	// Wildcard lets Pattern match anywhere in the value.
	Wildcard bool `json:"wildcard"`
	// NotEqual inverts the match (Operator="NotEqual").
	NotEqual bool `json:"not_equal"`
	// MatchCase is case-sensitive matching (the default).
	MatchCase bool `json:"match_case"`
}

// ExtendedKeyUsageOIDs maps the ExtendedMatchKey names to their OIDs.
var ExtendedKeyUsageOIDs = map[string]string{
	"ServerAuth":      "1.3.6.1.5.5.7.3.1",
	"ClientAuth":      "1.3.6.1.5.5.7.3.2",
	"CodeSign":        "1.3.6.1.5.5.7.3.3",
	"EmailProtect":    "1.3.6.1.5.5.7.3.4",
	"IPSecEndSystem":  "1.3.6.1.5.5.7.3.5",
	"IPSecTunnel":     "1.3.6.1.5.5.7.3.6",
	"IPSecUser":       "1.3.6.1.5.5.7.3.7",
	"TimeStamp":       "1.3.6.1.5.5.7.3.8",
	"OCSPSign":        "1.3.6.1.5.5.7.3.9",
	"DVCS":            "1.3.6.1.5.5.7.3.10",
	"IKEIntermediate": "1.3.6.1.5.5.8.2.2",
}

// DefaultClientInitialization returns the schema defaults, which apply to a
// profile without ClientInitialization and to hosts typed in by hand when no
// profile is loaded.
func DefaultClientInitialization() ClientInitialization {
	return ClientInitialization{
		AutoReconnect:                  true,
		AutoReconnectUserControllable:  false,
		AutoReconnectBehavior:          DisconnectOnSuspend,
		LocalLanAccess:                 false,
		LocalLanAccessUserControllable: true,
		AutomaticCertSelection:         true,
		AutoConnectOnStart:             false,
		AllowManualHostInput:           true,
		DisableCaptivePortalDetection:  false,
		IPProtocolSupport:              []string{"IPv4", "IPv6"},
		AuthenticationTimeout:          DefaultAuthenticationTimeout,
		AutomaticVPNPolicy: AutomaticVPNPolicy{
			TrustedNetworkPolicy:            "Disconnect",
			UntrustedNetworkPolicy:          "Connect",
			ConnectFailurePolicy:            "Closed",
			CaptivePortalRemediationTimeout: DefaultCaptivePortalRemediationTimeout,
			AllowVPNDisconnect:              true,
		},
	}
}
