package iana

// NotifyType is the Notify Message Type (RFC 7296 section 3.10.1 and the
// IANA registry). Types below 16384 are errors, 16384 and above are status.
type NotifyType uint16

// IsError reports whether n is in the error range.
func (n NotifyType) IsError() bool { return n < 16384 }

// IsPrivate reports whether n is in a private-use range (8192-16383 for
// errors, 40960-65535 for status). Such notifies are ignored when unknown.
func (n NotifyType) IsPrivate() bool { return (n >= 8192 && n < 16384) || n >= 40960 }

// Error types.
const (
	UNSUPPORTED_CRITICAL_PAYLOAD NotifyType = 1
	INVALID_IKE_SPI              NotifyType = 4
	INVALID_MAJOR_VERSION        NotifyType = 5
	INVALID_SYNTAX               NotifyType = 7
	INVALID_MESSAGE_ID           NotifyType = 9
	INVALID_SPI                  NotifyType = 11
	NO_PROPOSAL_CHOSEN           NotifyType = 14
	INVALID_KE_PAYLOAD           NotifyType = 17
	AUTHENTICATION_FAILED        NotifyType = 24
	SINGLE_PAIR_REQUIRED         NotifyType = 34
	NO_ADDITIONAL_SAS            NotifyType = 35
	INTERNAL_ADDRESS_FAILURE     NotifyType = 36
	FAILED_CP_REQUIRED           NotifyType = 37
	TS_UNACCEPTABLE              NotifyType = 38
	INVALID_SELECTORS            NotifyType = 39
	// RFC 4555.
	UNACCEPTABLE_ADDRESSES NotifyType = 40
	// RFC 4555.
	UNEXPECTED_NAT_DETECTED NotifyType = 41
	// RFC 5026.
	USE_ASSIGNED_HoA   NotifyType = 42
	TEMPORARY_FAILURE  NotifyType = 43
	CHILD_SA_NOT_FOUND NotifyType = 44
	// RFC 6407.
	INVALID_GROUP_ID NotifyType = 45
	// RFC 6407.
	AUTHORIZATION_FAILED NotifyType = 46
	// RFC 8019.
	STATE_NOT_FOUND NotifyType = 47
)

// Status types.
const (
	INITIAL_CONTACT                     NotifyType = 16384
	SET_WINDOW_SIZE                     NotifyType = 16385
	ADDITIONAL_TS_POSSIBLE              NotifyType = 16386
	IPCOMP_SUPPORTED                    NotifyType = 16387
	NAT_DETECTION_SOURCE_IP             NotifyType = 16388
	NAT_DETECTION_DESTINATION_IP        NotifyType = 16389
	COOKIE                              NotifyType = 16390
	USE_TRANSPORT_MODE                  NotifyType = 16391
	HTTP_CERT_LOOKUP_SUPPORTED          NotifyType = 16392
	REKEY_SA                            NotifyType = 16393
	ESP_TFC_PADDING_NOT_SUPPORTED       NotifyType = 16394
	NON_FIRST_FRAGMENTS_ALSO            NotifyType = 16395
	MOBIKE_SUPPORTED                    NotifyType = 16396
	ADDITIONAL_IP4_ADDRESS              NotifyType = 16397
	ADDITIONAL_IP6_ADDRESS              NotifyType = 16398
	NO_ADDITIONAL_ADDRESSES             NotifyType = 16399
	UPDATE_SA_ADDRESSES                 NotifyType = 16400
	COOKIE2                             NotifyType = 16401
	NO_NATS_ALLOWED                     NotifyType = 16402
	AUTH_LIFETIME                       NotifyType = 16403
	MULTIPLE_AUTH_SUPPORTED             NotifyType = 16404
	ANOTHER_AUTH_FOLLOWS                NotifyType = 16405
	REDIRECT_SUPPORTED                  NotifyType = 16406
	REDIRECT                            NotifyType = 16407
	REDIRECTED_FROM                     NotifyType = 16408
	TICKET_LT_OPAQUE                    NotifyType = 16409
	TICKET_REQUEST                      NotifyType = 16410
	TICKET_ACK                          NotifyType = 16411
	TICKET_NACK                         NotifyType = 16412
	TICKET_OPAQUE                       NotifyType = 16413
	LINK_ID                             NotifyType = 16414
	USE_WESP_MODE                       NotifyType = 16415
	ROHC_SUPPORTED                      NotifyType = 16416
	EAP_ONLY_AUTHENTICATION             NotifyType = 16417
	CHILDLESS_IKEV2_SUPPORTED           NotifyType = 16418
	QUICK_CRASH_DETECTION               NotifyType = 16419
	IKEV2_MESSAGE_ID_SYNC_SUPPORTED     NotifyType = 16420
	IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED NotifyType = 16421
	IKEV2_MESSAGE_ID_SYNC               NotifyType = 16422
	IPSEC_REPLAY_COUNTER_SYNC           NotifyType = 16423
	SECURE_PASSWORD_METHODS             NotifyType = 16424
	PSK_PERSIST                         NotifyType = 16425
	PSK_CONFIRM                         NotifyType = 16426
	ERX_SUPPORTED                       NotifyType = 16427
	IFOM_CAPABILITY                     NotifyType = 16428
	SENDER_REQUEST_ID                   NotifyType = 16429
	// RFC 7383.
	IKEV2_FRAGMENTATION_SUPPORTED NotifyType = 16430
	// RFC 7427.
	SIGNATURE_HASH_ALGORITHMS       NotifyType = 16431
	CLONE_IKE_SA_SUPPORTED          NotifyType = 16432
	CLONE_IKE_SA                    NotifyType = 16433
	PUZZLE                          NotifyType = 16434
	USE_PPK                         NotifyType = 16435
	PPK_IDENTITY                    NotifyType = 16436
	NO_PPK_AUTH                     NotifyType = 16437
	INTERMEDIATE_EXCHANGE_SUPPORTED NotifyType = 16438
	IP4_ALLOWED                     NotifyType = 16439
	IP6_ALLOWED                     NotifyType = 16440
	ADDITIONAL_KEY_EXCHANGE         NotifyType = 16441
	USE_AGGFRAG                     NotifyType = 16442

	// CiscoPrivate40963 is a private status notify that Cisco headends send
	// with an unusual length; its meaning is unknown and it is ignored. It
	// prints as its number, like any notify the registry does not name.
	CiscoPrivate40963 NotifyType = 40963 // NOTIFY(40963)
)
