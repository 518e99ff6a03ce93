// Package esp implements the per-packet core of the userspace ESP data plane:
// Security Associations in tunnel mode (RFC 4303) with in-place, allocation-free
// encapsulation and decapsulation, an RFC 6479-style anti-replay window with
// extended sequence numbers, and the UDP encapsulation helpers of RFC 3948.
//
// The package knows nothing of IKE messages: the caller (the IKE layer or the
// client) hands it the SPI, the negotiated transform IDs (constants of package
// esp/iana), the key length and the key material, in a [Config].
//
// # Suites
//
//   - ENCR_AES_GCM_16 with 128, 192 or 256-bit keys (RFC 4106), the fast path.
//     The key material is the AES key followed by the 4-byte salt; the
//     integrity transform must be AUTH_NONE.
//   - ENCR_AES_CBC (RFC 3602) with 128, 192 or 256-bit keys, and ENCR_3DES
//     (legacy, 192-bit key), each with AUTH_HMAC_SHA1_96 (RFC 2404) or
//     AUTH_HMAC_SHA2_256_128, _384_192, _512_256 (RFC 4868).
//
// Any other combination is refused by [NewOutboundSA] and [NewInboundSA] with an
// error wrapping [ErrUnsupported] (or [ErrKey] for key material of the wrong
// length, [ErrConfig] for a bad replay window); [Supported] asks the same
// question without keys, for proposal selection.
//
// # Buffers
//
// [OutboundSA.Encap] works in place: the inner IP packet sits in a caller
// buffer at an offset of at least [HeaderRoom] bytes (SPI, sequence number and
// IV are written in front of it), with at least [TailRoom] bytes after it
// (padding, pad length, next header and ICV). The ESP packet it returns is a
// sub-slice of that buffer starting at offset-sa.HeaderLen(). [InboundSA.Decap]
// decrypts in place and returns the inner packet as a sub-slice of its input.
// Neither allocates in the steady state.
//
// # Initialisation vectors
//
// AES-GCM: the 8-byte explicit IV is the 64-bit sequence number of the packet
// (RFC 4106 section 3.1 only asks that an IV never repeat under one key; the
// sequence number never repeats because it never wraps).
//
// CBC: the IV must be unpredictable (RFC 3602 section 2.4). Each SA draws a
// fresh random AES-128 key from crypto/rand when it is created, and the IV of
// a packet is that key's encryption of the packet's 64-bit sequence number,
// i.e. one block of an AES-CTR keystream seeded once. The inputs never repeat,
// so AES IVs never repeat either, and without the secret key they cannot be
// told from random. 3DES takes the first 8 bytes of the block: as
// unpredictable, but like random 64-bit IVs they may collide after about 2^32
// packets, which CBC tolerates. This costs one AES
// block per packet instead of a getrandom call, and needs no shared state
// beyond the atomic sequence counter.
//
// # Sequence numbers and lifetimes
//
// The outbound sequence number starts at 1 and never wraps: the packet after
// 2^32-1 (or 2^64-1 with ESN) fails with [ErrSequenceExhausted].
// [OutboundSA.SoftLimitReached] turns true once the sequence number reaches
// [Config.SoftLimit] (by default 7/8 of the space), so the rekey policy can act
// first. Both directions count packets and inner bytes in [Stats] for the
// lifetime policy.
//
// # Concurrency
//
// Encap on one OutboundSA and Decap on one InboundSA may be called from many
// goroutines at once: the sequence counter and the statistics are atomic, the
// replay window is guarded by a mutex held only for the window check and
// update (never during cryptography), and the per-call scratch state (HMAC,
// CBC mode, nonce) comes from a per-SA sync.Pool.
//
// # Tunnel
//
// [Tunnel] is the data plane around the SAs: batched TUN reads and writes,
// batched ESP-in-UDP I/O (recvmmsg/sendmmsg with UDP GSO/GRO on Linux), crypto
// on all cores with the order kept per SA, SA selection by longest prefix
// match, make-before-break rekeys, NAT keepalives, and the IKE datagrams that
// share its sockets. Its sockets are [BatchConn]s: [NewBatchConn] makes the
// real one of a UDP socket, the package's tests run the pipelines over an
// in-memory network instead. Drops are counted by [DropReason].
package esp
