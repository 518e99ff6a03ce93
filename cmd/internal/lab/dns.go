//go:build linux

package lab

import (
	"net"
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/net/dns/dnsmessage"
)

// DNSServer answers A queries for a fixed set of names over UDP, and
// records every name it was asked.
type DNSServer struct {
	conn    net.PacketConn
	records map[string]netip.Addr
	mu      sync.Mutex
	asked   []string
}

// ServeDNS starts a DNS server on addr (host:53) inside a namespace.
func (l *Lab) ServeDNS(ns, addr string, records map[string]netip.Addr) (*DNSServer, error) {
	var conn net.PacketConn
	err := l.inNS(ns, func() (err error) {
		conn, err = net.ListenPacket("udp", addr)
		return err
	})
	if err != nil {
		return nil, err
	}
	s := &DNSServer{conn: conn, records: map[string]netip.Addr{}}
	for name, a := range records {
		s.records[strings.ToLower(strings.TrimSuffix(name, "."))] = a
	}
	go s.serve()
	return s, nil
}

// Asked returns the names queried so far.
func (s *DNSServer) Asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

// Close stops the server.
func (s *DNSServer) Close() error { return s.conn.Close() }

func (s *DNSServer) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))
		s.mu.Lock()
		s.asked = append(s.asked, name)
		s.mu.Unlock()
		resp := dnsmessage.Message{Header: dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true},
			Questions: []dnsmessage.Question{q}}
		if a, ok := s.records[name]; ok && q.Type == dnsmessage.TypeA && a.Is4() {
			resp.Answers = []dnsmessage.Resource{{
				Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body:   &dnsmessage.AResource{A: a.As4()},
			}}
		} else if !ok {
			resp.RCode = dnsmessage.RCodeNameError
		}
		out, err := resp.Pack()
		if err == nil {
			s.conn.WriteTo(out, from)
		}
	}
}
