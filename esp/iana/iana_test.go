package iana

import "testing"

// The names below are those the codec printed before the registry moved
// here (hand-written maps then, stringer now): a changed name would change
// logs and error messages.

func check(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNames(t *testing.T) {
	for v, want := range map[ExchangeType]string{
		IKE_SA_INIT:      "IKE_SA_INIT",
		IKE_AUTH:         "IKE_AUTH",
		CREATE_CHILD_SA:  "CREATE_CHILD_SA",
		INFORMATIONAL:    "INFORMATIONAL",
		IKE_INTERMEDIATE: "IKE_INTERMEDIATE",
	} {
		check(t, v.String(), want)
	}
	for v, want := range map[PayloadType]string{
		PayloadNone:          "NONE",
		PayloadSA:            "SA",
		PayloadKE:            "KE",
		PayloadIDi:           "IDi",
		PayloadIDr:           "IDr",
		PayloadCERT:          "CERT",
		PayloadCERTREQ:       "CERTREQ",
		PayloadAUTH:          "AUTH",
		PayloadNonce:         "Nonce",
		PayloadNotify:        "N",
		PayloadDelete:        "D",
		PayloadVendor:        "V",
		PayloadTSi:           "TSi",
		PayloadTSr:           "TSr",
		PayloadSK:            "SK",
		PayloadCP:            "CP",
		PayloadEAP:           "EAP",
		PayloadSKF:           "SKF",
		PayloadCiscoFragment: "CISCO_FRAGMENT",
	} {
		check(t, v.String(), want)
	}
	for v, want := range map[ProtocolID]string{
		ProtoNone: "NONE",
		ProtoIKE:  "IKE",
		ProtoAH:   "AH",
		ProtoESP:  "ESP",
	} {
		check(t, v.String(), want)
	}
	for v, want := range map[TransformType]string{
		TransformENCR:  "ENCR",
		TransformPRF:   "PRF",
		TransformINTEG: "INTEG",
		TransformDH:    "DH",
		TransformESN:   "ESN",
	} {
		check(t, v.String(), want)
	}
	for v, want := range map[NotifyType]string{
		UNSUPPORTED_CRITICAL_PAYLOAD:        "UNSUPPORTED_CRITICAL_PAYLOAD",
		INVALID_IKE_SPI:                     "INVALID_IKE_SPI",
		INVALID_MAJOR_VERSION:               "INVALID_MAJOR_VERSION",
		INVALID_SYNTAX:                      "INVALID_SYNTAX",
		INVALID_MESSAGE_ID:                  "INVALID_MESSAGE_ID",
		INVALID_SPI:                         "INVALID_SPI",
		NO_PROPOSAL_CHOSEN:                  "NO_PROPOSAL_CHOSEN",
		INVALID_KE_PAYLOAD:                  "INVALID_KE_PAYLOAD",
		AUTHENTICATION_FAILED:               "AUTHENTICATION_FAILED",
		SINGLE_PAIR_REQUIRED:                "SINGLE_PAIR_REQUIRED",
		NO_ADDITIONAL_SAS:                   "NO_ADDITIONAL_SAS",
		INTERNAL_ADDRESS_FAILURE:            "INTERNAL_ADDRESS_FAILURE",
		FAILED_CP_REQUIRED:                  "FAILED_CP_REQUIRED",
		TS_UNACCEPTABLE:                     "TS_UNACCEPTABLE",
		INVALID_SELECTORS:                   "INVALID_SELECTORS",
		UNACCEPTABLE_ADDRESSES:              "UNACCEPTABLE_ADDRESSES",
		UNEXPECTED_NAT_DETECTED:             "UNEXPECTED_NAT_DETECTED",
		USE_ASSIGNED_HoA:                    "USE_ASSIGNED_HoA",
		TEMPORARY_FAILURE:                   "TEMPORARY_FAILURE",
		CHILD_SA_NOT_FOUND:                  "CHILD_SA_NOT_FOUND",
		INVALID_GROUP_ID:                    "INVALID_GROUP_ID",
		AUTHORIZATION_FAILED:                "AUTHORIZATION_FAILED",
		STATE_NOT_FOUND:                     "STATE_NOT_FOUND",
		INITIAL_CONTACT:                     "INITIAL_CONTACT",
		SET_WINDOW_SIZE:                     "SET_WINDOW_SIZE",
		ADDITIONAL_TS_POSSIBLE:              "ADDITIONAL_TS_POSSIBLE",
		IPCOMP_SUPPORTED:                    "IPCOMP_SUPPORTED",
		NAT_DETECTION_SOURCE_IP:             "NAT_DETECTION_SOURCE_IP",
		NAT_DETECTION_DESTINATION_IP:        "NAT_DETECTION_DESTINATION_IP",
		COOKIE:                              "COOKIE",
		USE_TRANSPORT_MODE:                  "USE_TRANSPORT_MODE",
		HTTP_CERT_LOOKUP_SUPPORTED:          "HTTP_CERT_LOOKUP_SUPPORTED",
		REKEY_SA:                            "REKEY_SA",
		ESP_TFC_PADDING_NOT_SUPPORTED:       "ESP_TFC_PADDING_NOT_SUPPORTED",
		NON_FIRST_FRAGMENTS_ALSO:            "NON_FIRST_FRAGMENTS_ALSO",
		MOBIKE_SUPPORTED:                    "MOBIKE_SUPPORTED",
		ADDITIONAL_IP4_ADDRESS:              "ADDITIONAL_IP4_ADDRESS",
		ADDITIONAL_IP6_ADDRESS:              "ADDITIONAL_IP6_ADDRESS",
		NO_ADDITIONAL_ADDRESSES:             "NO_ADDITIONAL_ADDRESSES",
		UPDATE_SA_ADDRESSES:                 "UPDATE_SA_ADDRESSES",
		COOKIE2:                             "COOKIE2",
		NO_NATS_ALLOWED:                     "NO_NATS_ALLOWED",
		AUTH_LIFETIME:                       "AUTH_LIFETIME",
		MULTIPLE_AUTH_SUPPORTED:             "MULTIPLE_AUTH_SUPPORTED",
		ANOTHER_AUTH_FOLLOWS:                "ANOTHER_AUTH_FOLLOWS",
		REDIRECT_SUPPORTED:                  "REDIRECT_SUPPORTED",
		REDIRECT:                            "REDIRECT",
		REDIRECTED_FROM:                     "REDIRECTED_FROM",
		TICKET_LT_OPAQUE:                    "TICKET_LT_OPAQUE",
		TICKET_REQUEST:                      "TICKET_REQUEST",
		TICKET_ACK:                          "TICKET_ACK",
		TICKET_NACK:                         "TICKET_NACK",
		TICKET_OPAQUE:                       "TICKET_OPAQUE",
		LINK_ID:                             "LINK_ID",
		USE_WESP_MODE:                       "USE_WESP_MODE",
		ROHC_SUPPORTED:                      "ROHC_SUPPORTED",
		EAP_ONLY_AUTHENTICATION:             "EAP_ONLY_AUTHENTICATION",
		CHILDLESS_IKEV2_SUPPORTED:           "CHILDLESS_IKEV2_SUPPORTED",
		QUICK_CRASH_DETECTION:               "QUICK_CRASH_DETECTION",
		IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED: "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
		IPSEC_REPLAY_COUNTER_SYNC:           "IPSEC_REPLAY_COUNTER_SYNC",
		SECURE_PASSWORD_METHODS:             "SECURE_PASSWORD_METHODS",
		PSK_PERSIST:                         "PSK_PERSIST",
		PSK_CONFIRM:                         "PSK_CONFIRM",
		ERX_SUPPORTED:                       "ERX_SUPPORTED",
		IFOM_CAPABILITY:                     "IFOM_CAPABILITY",
		SENDER_REQUEST_ID:                   "SENDER_REQUEST_ID",
		IKEV2_FRAGMENTATION_SUPPORTED:       "IKEV2_FRAGMENTATION_SUPPORTED",
		CLONE_IKE_SA_SUPPORTED:              "CLONE_IKE_SA_SUPPORTED",
		CLONE_IKE_SA:                        "CLONE_IKE_SA",
		PUZZLE:                              "PUZZLE",
		USE_PPK:                             "USE_PPK",
		PPK_IDENTITY:                        "PPK_IDENTITY",
		NO_PPK_AUTH:                         "NO_PPK_AUTH",
		INTERMEDIATE_EXCHANGE_SUPPORTED:     "INTERMEDIATE_EXCHANGE_SUPPORTED",
		IP4_ALLOWED:                         "IP4_ALLOWED",
		IP6_ALLOWED:                         "IP6_ALLOWED",
		ADDITIONAL_KEY_EXCHANGE:             "ADDITIONAL_KEY_EXCHANGE",
		USE_AGGFRAG:                         "USE_AGGFRAG",
	} {
		check(t, v.String(), want)
	}
	for v, want := range map[EncrID]string{
		ENCR_DES_IV64:           "DES_IV64",
		ENCR_DES:                "DES",
		ENCR_3DES:               "3DES",
		ENCR_NULL:               "NULL",
		ENCR_AES_CBC:            "AES_CBC",
		ENCR_AES_CTR:            "AES_CTR",
		ENCR_AES_CCM_8:          "AES_CCM_8",
		ENCR_AES_CCM_12:         "AES_CCM_12",
		ENCR_AES_CCM_16:         "AES_CCM_16",
		ENCR_AES_GCM_8:          "AES_GCM_8",
		ENCR_AES_GCM_12:         "AES_GCM_12",
		ENCR_AES_GCM_16:         "AES_GCM_16",
		ENCR_NULL_AUTH_AES_GMAC: "NULL_AUTH_AES_GMAC",
		ENCR_CHACHA20_POLY1305:  "CHACHA20_POLY1305",
	} {
		check(t, v.String(), want)
		check(t, TransformName(TransformENCR, uint16(v)), want)
	}
	for v, want := range map[PRFID]string{
		PRF_HMAC_MD5:      "HMAC_MD5",
		PRF_HMAC_SHA1:     "HMAC_SHA1",
		PRF_AES128_XCBC:   "AES128_XCBC",
		PRF_HMAC_SHA2_256: "HMAC_SHA2_256",
		PRF_HMAC_SHA2_384: "HMAC_SHA2_384",
		PRF_HMAC_SHA2_512: "HMAC_SHA2_512",
		PRF_AES128_CMAC:   "AES128_CMAC",
	} {
		check(t, v.String(), want)
		check(t, TransformName(TransformPRF, uint16(v)), want)
	}
	for v, want := range map[IntegID]string{
		AUTH_NONE:              "NONE",
		AUTH_HMAC_MD5_96:       "HMAC_MD5_96",
		AUTH_HMAC_SHA1_96:      "HMAC_SHA1_96",
		AUTH_AES_XCBC_96:       "AES_XCBC_96",
		AUTH_HMAC_SHA1_160:     "HMAC_SHA1_160",
		AUTH_AES_CMAC_96:       "AES_CMAC_96",
		AUTH_HMAC_SHA2_256_128: "HMAC_SHA2_256_128",
		AUTH_HMAC_SHA2_384_192: "HMAC_SHA2_384_192",
		AUTH_HMAC_SHA2_512_256: "HMAC_SHA2_512_256",
	} {
		check(t, v.String(), want)
		check(t, TransformName(TransformINTEG, uint16(v)), want)
	}
	for v, want := range map[DHGroup]string{
		DH_NONE:       "NONE",
		DH_MODP768:    "MODP_768",
		DH_MODP1024:   "MODP_1024",
		DH_MODP1536:   "MODP_1536",
		DH_MODP2048:   "MODP_2048",
		DH_MODP3072:   "MODP_3072",
		DH_MODP4096:   "MODP_4096",
		DH_MODP6144:   "MODP_6144",
		DH_MODP8192:   "MODP_8192",
		DH_ECP256:     "ECP_256",
		DH_ECP384:     "ECP_384",
		DH_ECP521:     "ECP_521",
		DH_CURVE25519: "CURVE25519",
		DH_CURVE448:   "CURVE448",
	} {
		check(t, v.String(), want)
		check(t, TransformName(TransformDH, uint16(v)), want)
	}
	for v, want := range map[ESNID]string{
		ESN_NO:  "NO_ESN",
		ESN_YES: "ESN",
	} {
		check(t, v.String(), want)
		check(t, TransformName(TransformESN, uint16(v)), want)
	}
}

// Unregistered values print as numbers: transform IDs as "TYPE(id)" as
// before, the rest in stringer's "Type(n)" form.
func TestUnregistered(t *testing.T) {
	check(t, TransformName(TransformENCR, 99), "ENCR(99)")
	check(t, TransformName(TransformPRF, 99), "PRF(99)")
	check(t, TransformName(TransformINTEG, 99), "INTEG(99)")
	check(t, TransformName(TransformDH, 99), "DH(99)")
	check(t, TransformName(TransformESN, 2), "ESN(2)")
	check(t, NotifyType(40963).String(), "NOTIFY(40963)")
	check(t, NotifyType(40964).String(), "NotifyType(40964)")
	check(t, PayloadType(99).String(), "PayloadType(99)")
	check(t, DHGroup(99).String(), "DHGroup(99)")
}

func TestNotifyRanges(t *testing.T) {
	for _, c := range []struct {
		n              NotifyType
		error, private bool
	}{
		{NO_PROPOSAL_CHOSEN, true, false},
		{8192, true, true},
		{16383, true, true},
		{INITIAL_CONTACT, false, false},
		{CiscoPrivate40963, false, true},
	} {
		if c.n.IsError() != c.error || c.n.IsPrivate() != c.private {
			t.Errorf("%v: IsError %v IsPrivate %v, want %v %v", c.n, c.n.IsError(), c.n.IsPrivate(), c.error, c.private)
		}
	}
}
