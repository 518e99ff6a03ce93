package ikev2

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/wire"
)

// Proposal strings name algorithms joined by "-", proposals by ",":
//
//	aes256gcm16-prfsha384-ecp384,aes256-sha256-modp2048
//
// One proposal may list several algorithms of a type
// (aes128-aes256-sha256-ecp256-modp2048); the peer picks one of each.
// For IKE without a prf token the PRF follows the integrity algorithm
// (sha256 gives prfsha256). ESP proposals carry no PRF; a DH group there
// asks for PFS on rekeys; esn/noesn choose extended sequence numbers
// (noesn when absent).

type algorithm struct {
	typ     iana.TransformType
	id      uint16
	keyBits uint16
	weak    string // why the algorithm is weak, or ""
}

var algorithms = map[string]algorithm{
	"aes128":      encr(iana.ENCR_AES_CBC, 128, ""),
	"aes192":      encr(iana.ENCR_AES_CBC, 192, ""),
	"aes256":      encr(iana.ENCR_AES_CBC, 256, ""),
	"aes128gcm16": encr(iana.ENCR_AES_GCM_16, 128, ""),
	"aes192gcm16": encr(iana.ENCR_AES_GCM_16, 192, ""),
	"aes256gcm16": encr(iana.ENCR_AES_GCM_16, 256, ""),
	"3des":        encr(iana.ENCR_3DES, 0, "3DES has a 64-bit block (Sweet32)"),

	"sha1":   integ(iana.AUTH_HMAC_SHA1_96, ""),
	"sha256": integ(iana.AUTH_HMAC_SHA2_256_128, ""),
	"sha384": integ(iana.AUTH_HMAC_SHA2_384_192, ""),
	"sha512": integ(iana.AUTH_HMAC_SHA2_512_256, ""),

	"prfsha1":   prf(iana.PRF_HMAC_SHA1, ""),
	"prfsha256": prf(iana.PRF_HMAC_SHA2_256, ""),
	"prfsha384": prf(iana.PRF_HMAC_SHA2_384, ""),
	"prfsha512": prf(iana.PRF_HMAC_SHA2_512, ""),

	"modp1024":   dh(iana.DH_MODP1024, "MODP-1024 (group 2) is below 2048 bits"),
	"modp1536":   dh(iana.DH_MODP1536, "MODP-1536 (group 5) is below 2048 bits"),
	"modp2048":   dh(iana.DH_MODP2048, ""),
	"modp3072":   dh(iana.DH_MODP3072, ""),
	"ecp256":     dh(iana.DH_ECP256, ""),
	"ecp384":     dh(iana.DH_ECP384, ""),
	"ecp521":     dh(iana.DH_ECP521, ""),
	"curve25519": dh(iana.DH_CURVE25519, ""),

	"esn":   esn(iana.ESN_YES, ""),
	"noesn": esn(iana.ESN_NO, ""),
}

// The constructors of algorithms, one per transform type.
func encr(id iana.EncrID, keyBits uint16, weak string) algorithm {
	return algorithm{iana.TransformENCR, uint16(id), keyBits, weak}
}
func integ(id iana.IntegID, weak string) algorithm {
	return algorithm{iana.TransformINTEG, uint16(id), 0, weak}
}
func prf(id iana.PRFID, weak string) algorithm {
	return algorithm{iana.TransformPRF, uint16(id), 0, weak}
}
func dh(id iana.DHGroup, weak string) algorithm {
	return algorithm{iana.TransformDH, uint16(id), 0, weak}
}
func esn(id iana.ESNID, weak string) algorithm {
	return algorithm{iana.TransformESN, uint16(id), 0, weak}
}

// aliases are other spellings accepted on input.
var aliases = map[string]string{
	"aes": "aes128", "aes128gcm": "aes128gcm16", "aes192gcm": "aes192gcm16", "aes256gcm": "aes256gcm16",
	"x25519": "curve25519", "sha": "sha1", "sha2_256": "sha256", "sha2_384": "sha384", "sha2_512": "sha512",
	"prfsha": "prfsha1",
}

// prfForInteg is the PRF implied by an integrity algorithm in IKE proposals.
var prfForInteg = map[iana.IntegID]iana.PRFID{
	iana.AUTH_HMAC_SHA1_96:      iana.PRF_HMAC_SHA1,
	iana.AUTH_HMAC_SHA2_256_128: iana.PRF_HMAC_SHA2_256,
	iana.AUTH_HMAC_SHA2_384_192: iana.PRF_HMAC_SHA2_384,
	iana.AUTH_HMAC_SHA2_512_256: iana.PRF_HMAC_SHA2_512,
}

// DefaultIKEProposals and DefaultESPProposals are offered when neither the
// user, a remembered host setting nor a flag says otherwise. The rule: every
// algorithm vpnc-go implements that RFC 8247 (IKEv2, section 2) or RFC 8221
// (ESP, sections 5 and 6) rates MUST, SHOULD+, SHOULD or MUST-, plus the MAY
// ones Cisco headends commonly configure (AES-192, SHA-384, groups 15, 20,
// 21); nothing those RFCs rate SHOULD NOT or MUST NOT (DH 1, 2, 5, 22-24,
// DES, MD5, and 3DES, which RFC 8221 rates SHOULD NOT for ESP) unless the
// user names it.
//
// RFC 8247: ENCR_AES_CBC MUST and ENCR_AES_GCM_16 SHOULD (128- and 256-bit
// keys; 192 is MAY); PRF_HMAC_SHA2_256 MUST, PRF_HMAC_SHA2_512 SHOULD+,
// PRF_HMAC_SHA1 MUST-; AUTH_HMAC_SHA2_256_128 MUST, AUTH_HMAC_SHA2_512_256
// SHOULD, AUTH_HMAC_SHA1_96 MUST-; DH 14 MUST, 19 and 31 SHOULD.
// RFC 8221: ENCR_AES_GCM_16 and ENCR_AES_CBC MUST; AUTH_HMAC_SHA2_256_128
// MUST, AUTH_HMAC_SHA2_512_256 SHOULD, AUTH_HMAC_SHA1_96 MUST-.
// Not implemented, so not offered: ChaCha20-Poly1305 and AES-CCM (SHOULD),
// AES-XCBC (SHOULD in IKEv2), and DH group 16 (MODP-4096, MAY).
//
// Order: AEAD first (RFC 7296 section 3.3 keeps AEAD and other ciphers in
// separate proposals, so two IKE proposals, each with many transforms,
// which keeps IKE_SA_INIT small and unfragmented), stronger algorithms
// first within a type. The one exception is the first DH group, ECP-256
// (19): KEi is computed in it (RFC 7296 section 3.4: the first group of the
// first proposal), so it must be the group most headends accept. Group 19
// is in the IKEv2 policies Cisco's ASA and FTD guides and defaults use and
// in strongSwan's default proposal; it is cheap and small on the wire. A
// responder that selects by our order picks 19 whenever its policy has it,
// with no INVALID_KE_PAYLOAD round trip; one whose policy lacks 19 (only 14,
// or only 21) costs one round trip (RFC 7296 section 1.2), which is
// harmless. Groups 21, 20 and 31 follow, then the MODP groups. For ESP,
// SHA-256 leads the integrity list: RFC 8221's MUST, and the shortest
// SHA-2 ICV on every packet.
const (
	DefaultIKEProposals = "aes256gcm16-aes128gcm16-prfsha512-prfsha384-prfsha256-prfsha1-" + defaultGroups + "," +
		"aes256-aes192-aes128-sha512-sha384-sha256-sha1-" + defaultGroups
	DefaultESPProposals = "aes256gcm16-aes128gcm16,aes256-aes192-aes128-sha256-sha512-sha384-sha1"

	defaultGroups = "ecp256-ecp521-ecp384-curve25519-modp3072-modp2048"
)

// ParseProposals parses a proposal string for protocol proto (ProtoIKE or
// ProtoESP) into numbered proposals. The SPI is left for the caller.
func ParseProposals(s string, proto iana.ProtocolID) ([]wire.Proposal, error) {
	if proto != iana.ProtoIKE && proto != iana.ProtoESP {
		return nil, fmt.Errorf("proposals for protocol %s are not supported", proto)
	}
	var out []wire.Proposal
	for i, text := range strings.Split(s, ",") {
		if i >= 255 {
			return nil, errors.New("more than 255 proposals")
		}
		p, err := parseProposal(strings.TrimSpace(text), proto)
		if err != nil {
			return nil, fmt.Errorf("%s proposal %d %q: %w", proto, i+1, text, err)
		}
		p.Number = uint8(i + 1)
		out = append(out, p)
	}
	return out, nil
}

func parseProposal(s string, proto iana.ProtocolID) (wire.Proposal, error) {
	p := wire.Proposal{Protocol: proto}
	if s == "" {
		return p, errors.New("empty proposal")
	}
	for _, tok := range strings.Split(strings.ToLower(s), "-") {
		if a, ok := aliases[tok]; ok {
			tok = a
		}
		alg, ok := algorithms[tok]
		if !ok {
			return p, fmt.Errorf("unknown algorithm %q (known: %s)", tok, strings.Join(knownNames(), " "))
		}
		t := wire.Transform{Type: alg.typ, ID: alg.id, KeyLength: alg.keyBits}
		if slices.ContainsFunc(p.Transforms, func(o wire.Transform) bool { return o.Type == t.Type && o.ID == t.ID && o.KeyLength == t.KeyLength }) {
			return p, fmt.Errorf("algorithm %q given twice", tok)
		}
		p.Transforms = append(p.Transforms, t)
	}
	has := func(tt iana.TransformType) bool {
		return slices.ContainsFunc(p.Transforms, func(t wire.Transform) bool { return t.Type == tt })
	}
	aead, cbc := countEncr(p.Transforms)
	switch {
	case aead+cbc == 0:
		return p, errors.New("no encryption algorithm")
	case aead > 0 && cbc > 0:
		// RFC 7296 section 3.3: combined-mode and other ciphers go in
		// separate proposals, since integrity applies to only one kind.
		return p, errors.New("AEAD and non-AEAD ciphers must be in separate proposals")
	case aead > 0 && has(iana.TransformINTEG):
		return p, errors.New("an AEAD cipher takes no integrity algorithm")
	case cbc > 0 && !has(iana.TransformINTEG):
		return p, errors.New("no integrity algorithm")
	}
	switch proto {
	case iana.ProtoIKE:
		if has(iana.TransformESN) {
			return p, errors.New("esn applies to ESP only")
		}
		if !has(iana.TransformPRF) {
			if aead > 0 {
				return p, errors.New("an AEAD proposal needs a prf (e.g. prfsha256)")
			}
			for _, t := range p.Transforms {
				if t.Type == iana.TransformINTEG {
					p.Transforms = append(p.Transforms, wire.Transform{Type: iana.TransformPRF, ID: uint16(prfForInteg[iana.IntegID(t.ID)])})
				}
			}
		}
		if !has(iana.TransformDH) {
			return p, errors.New("no Diffie-Hellman group")
		}
	case iana.ProtoESP:
		if has(iana.TransformPRF) {
			return p, errors.New("a prf applies to IKE only")
		}
		if !has(iana.TransformESN) {
			p.Transforms = append(p.Transforms, wire.Transform{Type: iana.TransformESN, ID: uint16(iana.ESN_NO)})
		}
	}
	// Canonical order: ENCR, PRF, INTEG, DH, ESN (stable within a type).
	slices.SortStableFunc(p.Transforms, func(a, b wire.Transform) int { return int(a.Type) - int(b.Type) })
	return p, nil
}

func countEncr(ts []wire.Transform) (aead, other int) {
	for _, t := range ts {
		if t.Type == iana.TransformENCR {
			if isAEAD(iana.EncrID(t.ID)) {
				aead++
			} else {
				other++
			}
		}
	}
	return aead, other
}

func isAEAD(encr iana.EncrID) bool {
	switch encr {
	case iana.ENCR_AES_GCM_8, iana.ENCR_AES_GCM_12, iana.ENCR_AES_GCM_16,
		iana.ENCR_AES_CCM_8, iana.ENCR_AES_CCM_12, iana.ENCR_AES_CCM_16, iana.ENCR_CHACHA20_POLY1305:
		return true
	}
	return false
}

func knownNames() []string {
	names := make([]string, 0, len(algorithms))
	for n := range algorithms {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// WeakAlgorithms lists why any transform of ps is weak; empty when none is.
// Weak suites are offered only when the user or the profile asks for them.
func WeakAlgorithms(ps []wire.Proposal) []string {
	var out []string
	for _, p := range ps {
		for _, t := range p.Transforms {
			for _, a := range algorithms {
				if a.weak != "" && a.typ == t.Type && a.id == t.ID && !slices.Contains(out, a.weak) {
					out = append(out, a.weak)
				}
			}
		}
	}
	return out
}

// Suite is one negotiated set of algorithms: a proposal with exactly one
// transform of each type.
type Suite struct {
	Encr    iana.EncrID
	KeyBits uint16
	Integ   iana.IntegID // AUTH_NONE with an AEAD cipher
	PRF     iana.PRFID   // IKE only
	DH      iana.DHGroup // DH_NONE when absent (ESP without PFS)
	ESN     bool
}

// AEAD reports whether the suite's cipher is a combined mode.
func (s Suite) AEAD() bool { return isAEAD(s.Encr) }

// suiteOf reads the suite of a chosen proposal; it fails when a type holds
// more than one transform, which a chosen proposal never may.
func suiteOf(p wire.Proposal) (Suite, error) {
	var s Suite
	seen := map[iana.TransformType]bool{}
	for _, t := range p.Transforms {
		if seen[t.Type] {
			return s, fmt.Errorf("proposal %d has more than one %s transform", p.Number, t.Type)
		}
		seen[t.Type] = true
		switch t.Type {
		case iana.TransformENCR:
			s.Encr, s.KeyBits = iana.EncrID(t.ID), t.KeyLength
		case iana.TransformINTEG:
			s.Integ = iana.IntegID(t.ID)
		case iana.TransformPRF:
			s.PRF = iana.PRFID(t.ID)
		case iana.TransformDH:
			s.DH = iana.DHGroup(t.ID)
		case iana.TransformESN:
			s.ESN = iana.ESNID(t.ID) == iana.ESN_YES
		default:
			return s, fmt.Errorf("proposal %d has unknown transform type %d", p.Number, t.Type)
		}
	}
	if !seen[iana.TransformENCR] {
		return s, fmt.Errorf("proposal %d has no encryption transform", p.Number)
	}
	if !s.AEAD() && !seen[iana.TransformINTEG] {
		return s, fmt.Errorf("proposal %d has no integrity transform", p.Number)
	}
	if p.Protocol == iana.ProtoIKE && (!seen[iana.TransformPRF] || !seen[iana.TransformDH]) {
		return s, fmt.Errorf("IKE proposal %d lacks a PRF or DH transform", p.Number)
	}
	return s, nil
}

// String renders the suite in proposal-string syntax.
func (s Suite) String() string {
	var parts []string
	for _, want := range []wire.Transform{
		{Type: iana.TransformENCR, ID: uint16(s.Encr), KeyLength: s.KeyBits},
		{Type: iana.TransformINTEG, ID: uint16(s.Integ)},
		{Type: iana.TransformPRF, ID: uint16(s.PRF)},
		{Type: iana.TransformDH, ID: uint16(s.DH)},
	} {
		if want.ID == 0 && want.Type != iana.TransformENCR {
			continue
		}
		parts = append(parts, algorithmName(want))
	}
	if s.ESN {
		parts = append(parts, "esn")
	}
	return strings.Join(parts, "-")
}

func algorithmName(t wire.Transform) string {
	for _, n := range knownNames() {
		if a := algorithms[n]; a.typ == t.Type && a.id == t.ID && a.keyBits == t.KeyLength {
			return n
		}
	}
	return strings.ToLower(t.String())
}

// Proposal returns s as a single-choice proposal.
func (s Suite) Proposal(number uint8, proto iana.ProtocolID, spi []byte) wire.Proposal {
	p := wire.Proposal{Number: number, Protocol: proto, SPI: spi}
	p.Transforms = append(p.Transforms, wire.Transform{Type: iana.TransformENCR, ID: uint16(s.Encr), KeyLength: s.KeyBits})
	if proto == iana.ProtoIKE {
		p.Transforms = append(p.Transforms, wire.Transform{Type: iana.TransformPRF, ID: uint16(s.PRF)})
	}
	if s.Integ != iana.AUTH_NONE {
		p.Transforms = append(p.Transforms, wire.Transform{Type: iana.TransformINTEG, ID: uint16(s.Integ)})
	}
	if s.DH != iana.DH_NONE {
		p.Transforms = append(p.Transforms, wire.Transform{Type: iana.TransformDH, ID: uint16(s.DH)})
	}
	if proto == iana.ProtoESP {
		esn := iana.ESN_NO
		if s.ESN {
			esn = iana.ESN_YES
		}
		p.Transforms = append(p.Transforms, wire.Transform{Type: iana.TransformESN, ID: uint16(esn)})
	}
	return p
}

// errNoProposalChosen means no offered proposal is acceptable.
var errNoProposalChosen = errors.New("no proposal chosen: the peers share no suite")

// selectProposal is the responder's choice (RFC 7296 sections 2.7 and
// 3.3.6): the first offered proposal, in the initiator's order, for which
// every transform type it contains has a transform that the local policy
// also has in one of its proposals of the same protocol, with the same set
// of transform types. The result carries the offered proposal's number and
// SPI and one transform of each type.
func selectProposal(offered, local []wire.Proposal) (wire.Proposal, error) {
	for _, o := range offered {
		for _, l := range local {
			if o.Protocol != l.Protocol {
				continue
			}
			if chosen, ok := intersect(o, l); ok {
				return chosen, nil
			}
		}
	}
	return wire.Proposal{}, errNoProposalChosen
}

func intersect(o, l wire.Proposal) (wire.Proposal, bool) {
	chosen := wire.Proposal{Number: o.Number, Protocol: o.Protocol, SPI: o.SPI}
	types := func(p wire.Proposal) []iana.TransformType {
		var ts []iana.TransformType
		for _, t := range p.Transforms {
			if !slices.Contains(ts, t.Type) {
				ts = append(ts, t.Type)
			}
		}
		slices.Sort(ts)
		return ts
	}
	ot := types(o)
	if !slices.Equal(ot, types(l)) {
		return chosen, false
	}
	for _, tt := range ot {
		found := false
		// The initiator's preference order wins within a type.
		for _, t := range o.Transforms {
			if t.Type == tt && len(t.Attributes) == 0 && slices.ContainsFunc(l.Transforms, func(x wire.Transform) bool {
				return x.Type == t.Type && x.ID == t.ID && x.KeyLength == t.KeyLength
			}) {
				chosen.Transforms = append(chosen.Transforms, t)
				found = true
				break
			}
		}
		if !found {
			return chosen, false
		}
	}
	return chosen, true
}

// checkChosen is the initiator's check of a responder's answer: the chosen
// proposal must be one transform of each type out of the offered proposal
// with the same number (RFC 7296 section 3.3.6).
func checkChosen(offered []wire.Proposal, chosen wire.Proposal) (Suite, error) {
	i := slices.IndexFunc(offered, func(p wire.Proposal) bool { return p.Number == chosen.Number })
	if i < 0 {
		return Suite{}, fmt.Errorf("peer chose proposal %d, which was not offered", chosen.Number)
	}
	o := offered[i]
	if chosen.Protocol != o.Protocol {
		return Suite{}, fmt.Errorf("peer chose protocol %s for proposal %d offered as %s", chosen.Protocol, chosen.Number, o.Protocol)
	}
	for _, t := range chosen.Transforms {
		if !slices.ContainsFunc(o.Transforms, func(x wire.Transform) bool {
			return x.Type == t.Type && x.ID == t.ID && x.KeyLength == t.KeyLength
		}) {
			return Suite{}, fmt.Errorf("peer chose %s, which proposal %d did not offer", t, chosen.Number)
		}
	}
	for _, t := range o.Transforms {
		if !slices.ContainsFunc(chosen.Transforms, func(x wire.Transform) bool { return x.Type == t.Type }) {
			return Suite{}, fmt.Errorf("peer's choice lacks a %s transform", t.Type)
		}
	}
	return suiteOf(chosen)
}
