package clienttest

import (
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2"
	"github.com/vpnc-go/vpnc-go/ikev2/certs/certgen"
)

// ServeUDP runs a responder with cfg on a loopback UDP socket until the
// test ends and returns its address ("127.0.0.1:port"), for code that
// talks real UDP to a headend (the probe). Only its answers leave it; it
// has no data plane and runs no timers.
func ServeUDP(t testing.TB, cfg ikev2.ServerConfig) string {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	cfg.Local = pc.LocalAddr().(*net.UDPAddr).AddrPort()
	srv, err := ikev2.NewServer(cfg)
	if err != nil {
		t.Fatalf("clienttest: the headend's configuration: %v", err)
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			for _, a := range srv.HandleDatagram(time.Now(), from, false, buf[:n]) {
				if s, ok := a.(ikev2.Send); ok {
					for _, d := range s.Datagrams {
						pc.WriteToUDPAddrPort(d, s.To)
					}
				}
			}
		}
	}()
	return cfg.Local.String()
}

// Credentials makes a headend certificate for host, issued by a throwaway
// CA.
func Credentials(host string) *ikev2.Credentials {
	ca := certgen.Must(certgen.SelfSigned(certgen.CA("CA")))
	leaf := certgen.Must(ca.Issue(certgen.Server(host)))
	return &ikev2.Credentials{Chain: []*x509.Certificate{leaf.Cert, ca.Cert}, Signer: leaf.Key}
}
