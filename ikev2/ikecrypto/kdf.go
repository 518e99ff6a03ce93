package ikecrypto

import "fmt"

// SKEYSEED returns prf(Ni | Nr, g^ir) (RFC 7296 section 2.14). With HMAC
// PRFs the whole nonces form the key; the AES-based PRFs, which would use
// only their first 64 bits each, are not supported (see PRF).
func SKEYSEED(prf *PRF, ni, nr, gir []byte) []byte {
	return prf.Compute(concat(ni, nr), gir)
}

// RekeySKEYSEED returns the SKEYSEED of an IKE SA created by rekeying
// (RFC 7296 section 2.18): prf(SK_d (old), g^ir (new) | Ni | Nr), computed
// with the PRF of the old IKE SA. The nonces are those of the
// CREATE_CHILD_SA exchange.
func RekeySKEYSEED(oldPRF *PRF, oldSKd, gir, ni, nr []byte) []byte {
	return oldPRF.Compute(oldSKd, gir, ni, nr)
}

// IKEKeys are the keys of an IKE SA (RFC 7296 section 2.14). They share one
// backing array; each slice is capped so that appending to one cannot
// overwrite the next.
type IKEKeys struct {
	D      []byte // SK_d, to derive CHILD SA keys
	Ai, Ar []byte // SK_ai, SK_ar: integrity, empty with AES-GCM
	Ei, Er []byte // SK_ei, SK_er: encryption, with the salt for AES-GCM
	Pi, Pr []byte // SK_pi, SK_pr: for the AUTH payloads
}

// DeriveIKEKeys computes
//
//	{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
//	    = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
//
// (RFC 7296 section 2.14). lens gives the encryption and integrity key
// sizes (SuiteKeyLens); SK_d, SK_pi and SK_pr take the PRF's KeyLen. The
// SPIs are the 8-octet IKE SPIs as they appear in the header.
func DeriveIKEKeys(prf *PRF, skeyseed, ni, nr, spiI, spiR []byte, lens KeyLens) (*IKEKeys, error) {
	if len(spiI) != 8 || len(spiR) != 8 {
		return nil, fmt.Errorf("ikecrypto: IKE SPIs must be 8 octets, got %d and %d", len(spiI), len(spiR))
	}
	p := prf.KeyLen()
	km, err := prf.Plus(skeyseed, concat(ni, nr, spiI, spiR), 3*p+2*lens.Integ+2*lens.Encr)
	if err != nil {
		return nil, err
	}
	s := splitter(km)
	return &IKEKeys{
		D:  s.next(p),
		Ai: s.next(lens.Integ), Ar: s.next(lens.Integ),
		Ei: s.next(lens.Encr), Er: s.next(lens.Encr),
		Pi: s.next(p), Pr: s.next(p),
	}, nil
}

// SAKeys are the keys protecting one direction of a CHILD SA.
type SAKeys struct {
	Encr  []byte // with the salt for AES-GCM (RFC 4106 section 8.1)
	Integ []byte // empty with a combined-mode cipher
}

// ChildKeys are the keys of a CHILD SA, one set per direction.
type ChildKeys struct {
	InitiatorToResponder SAKeys
	ResponderToInitiator SAKeys
}

// DeriveChildKeys computes KEYMAT = prf+(SK_d, Ni | Nr), or
// prf+(SK_d, g^ir (new) | Ni | Nr) when the CREATE_CHILD_SA exchange carried
// KE payloads (pass gir nil otherwise), and splits it as RFC 7296 section
// 2.17 says: the initiator-to-responder encryption key, then its integrity
// key, then the same for responder-to-initiator. For a CHILD SA made in
// IKE_AUTH, ni and nr are the nonces of IKE_SA_INIT.
func DeriveChildKeys(prf *PRF, skd, gir, ni, nr []byte, lens KeyLens) (*ChildKeys, error) {
	km, err := prf.Plus(skd, concat(gir, ni, nr), 2*(lens.Encr+lens.Integ))
	if err != nil {
		return nil, err
	}
	s := splitter(km)
	var k ChildKeys
	for _, dir := range []*SAKeys{&k.InitiatorToResponder, &k.ResponderToInitiator} {
		dir.Encr, dir.Integ = s.next(lens.Encr), s.next(lens.Integ)
	}
	return &k, nil
}

// splitter hands out consecutive, capped pieces of keying material.
type splitter []byte

func (s *splitter) next(n int) []byte {
	b := (*s)[:n:n]
	*s = (*s)[n:]
	return b
}

// concat joins byte slices into a new one.
func concat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
