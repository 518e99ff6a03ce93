package ikev2

import (
	"fmt"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2/ikecrypto"
)

// IKEKeys reports an IKE SA's keys, for a key log. It is emitted only when
// Config.ExportKeys is set: with it anyone can decrypt the exchange.
type IKEKeys struct {
	SPIi, SPIr uint64
	Suite      Suite
	Keys       *ikecrypto.IKEKeys
}

func (IKEKeys) isAction() {}

// WiresharkIKE names the suite's algorithms as Wireshark's IKEv2
// decryption table does.
func (s Suite) WiresharkIKE() (encr, integ string) {
	switch s.Encr {
	case iana.ENCR_AES_CBC:
		encr = fmt.Sprintf("AES-CBC-%d [RFC3602]", s.KeyBits)
	case iana.ENCR_AES_GCM_16:
		encr = fmt.Sprintf("AES-GCM-%d with 16 octet ICV [RFC5282]", s.KeyBits)
	case iana.ENCR_3DES:
		encr = "3DES [RFC2451]"
	}
	integ = map[iana.IntegID]string{
		iana.AUTH_NONE:              "NONE [RFC4306]",
		iana.AUTH_HMAC_SHA1_96:      "HMAC_SHA1_96 [RFC2404]",
		iana.AUTH_HMAC_SHA2_256_128: "HMAC_SHA2_256_128 [RFC4868]",
		iana.AUTH_HMAC_SHA2_384_192: "HMAC_SHA2_384_192 [RFC4868]",
		iana.AUTH_HMAC_SHA2_512_256: "HMAC_SHA2_512_256 [RFC4868]",
	}[s.Integ]
	return encr, integ
}

// WiresharkESP names the suite's algorithms as Wireshark's ESP SA table
// does.
func (s Suite) WiresharkESP() (encr, integ string) {
	encr = map[iana.EncrID]string{
		iana.ENCR_AES_CBC: "AES-CBC [RFC3602]", iana.ENCR_AES_GCM_16: "AES-GCM [RFC4106]", iana.ENCR_3DES: "TripleDES-CBC [RFC2451]",
	}[s.Encr]
	integ = map[iana.IntegID]string{
		iana.AUTH_NONE:              "NULL",
		iana.AUTH_HMAC_SHA1_96:      "HMAC-SHA-1-96 [RFC2404]",
		iana.AUTH_HMAC_SHA2_256_128: "HMAC-SHA-256-128 [RFC4868]",
		iana.AUTH_HMAC_SHA2_384_192: "HMAC-SHA-384-192 [RFC4868]",
		iana.AUTH_HMAC_SHA2_512_256: "HMAC-SHA-512-256 [RFC4868]",
	}[s.Integ]
	return encr, integ
}

// IKEKeyLogLine is one line of Wireshark's ikev2_decryption_table.
func (k IKEKeys) IKEKeyLogLine() string {
	encr, integ := k.Suite.WiresharkIKE()
	return fmt.Sprintf(`%016x,%016x,%x,%x,"%s",%x,%x,"%s"`, k.SPIi, k.SPIr, k.Keys.Ei, k.Keys.Er, encr, k.Keys.Ai, k.Keys.Ar, integ)
}

// ESPKeyLogLines are the two lines of Wireshark's esp_sa table for a
// CHILD SA: inbound and outbound.
func (c *ChildSA) ESPKeyLogLines() []string {
	encr, integ := c.Suite.WiresharkESP()
	line := func(spi uint32, k ikecrypto.SAKeys) string {
		return fmt.Sprintf(`"IPv4","*","*","0x%08x","%s","0x%x","%s","0x%x"`, spi, encr, k.Encr, integ, k.Integ)
	}
	return []string{line(c.InSPI, c.In), line(c.OutSPI, c.Out)}
}

// exportKeys emits the IKE SA's keys when the configuration asks for it.
func (sa *ikeSA) exportKeys() {
	if sa.c.ExportKeys {
		sa.emit(IKEKeys{SPIi: sa.spiI, SPIr: sa.spiR, Suite: sa.suite, Keys: sa.keys})
	}
}
