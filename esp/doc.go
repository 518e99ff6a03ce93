// Package esp implements the userspace ESP data plane (RFC 4303) with UDP
// encapsulation (RFC 3948) between a TUN device and the IKE socket.
//
// Unfinished: nothing is implemented yet (see the README's status section).
package esp
