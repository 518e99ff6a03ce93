// Package iana holds the numbers of IANA's "Internet Key Exchange Version 2
// (IKEv2) Parameters" registry as typed constants: exchange, payload,
// protocol, transform and notify types, and the transform IDs of each
// transform type. The IKE codec (ikev2/wire) and ESP both use them, so the
// package lives below esp and imports nothing of the module.
package iana

//go:generate go tool stringer -linecomment -output=iana_string.go -type=ExchangeType,PayloadType,ProtocolID,TransformType,EncrID,PRFID,IntegID,DHGroup,ESNID
//go:generate go tool stringer -linecomment -output=notify_string.go -type=NotifyType
