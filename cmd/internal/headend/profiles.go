package headend

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
)

// Profiles pushed to EAP-AnyConnect clients. An ASA computes a profile's
// hash when the profile is imported into its configuration and serves the
// file from its flash; the emulator does the same: it reads and hashes each
// group policy's profile when it starts (restart it to announce a changed
// file) and serves the file as it is on disk when a client asks. A file
// changed without a restart therefore no longer matches its announced
// hash, which is how a client's hash check is exercised.

// pushedProfilePrefix is the path under which profiles are served, as the
// recorded complete message shows [RE].
const pushedProfilePrefix = "/CACHE/stc/profiles/"

// pushedProfile is one group policy's profile.
type pushedProfile struct {
	path string // the file on disk
	file anyconnect.ProfileFile
}

// loadProfiles reads and hashes every group policy's profile.
func loadProfiles(cfg *Config) (map[string]pushedProfile, error) {
	out := map[string]pushedProfile{}
	byURI := map[string]string{}
	for name, gp := range cfg.GroupPolicies {
		if gp.Profile == "" {
			continue
		}
		path := cfg.Path(gp.Profile)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("group-policy %q: profile: %w", name, err)
		}
		base := filepath.Base(path)
		if !strings.EqualFold(filepath.Ext(base), ".xml") {
			return nil, fmt.Errorf("group-policy %q: profile %s: the file name must end in .xml, as clients store it under that name", name, path)
		}
		uri := pushedProfilePrefix + base
		if other, ok := byURI[uri]; ok && other != path {
			return nil, fmt.Errorf("group-policy %q: profile %s has the same file name as %s", name, path, other)
		}
		byURI[uri] = path
		sum := sha1.Sum(b)
		out[name] = pushedProfile{path: path, file: anyconnect.ProfileFile{
			Type: "profile", ServiceType: "user", URI: uri, HashType: "sha1", Hash: strings.ToUpper(hex.EncodeToString(sum[:])),
		}}
	}
	return out, nil
}

// profileHandler serves the profiles over HTTPS: GET of a listed URI
// returns the file as it is now.
func (p *Policy) profileHandler() http.Handler {
	files := map[string]string{}
	for _, pp := range p.profiles {
		files[pp.file.URI] = pp.path
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, ok := files[r.URL.Path]
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			p.log("client services: %s %s from %s: not found", r.Method, r.URL.Path, r.RemoteAddr)
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			p.log("client services: %s: %v", path, err)
			http.Error(w, "profile unavailable", http.StatusInternalServerError)
			return
		}
		p.log("client services: %s to %s (%d bytes)", r.URL.Path, r.RemoteAddr, len(b))
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	})
}

// serveClientServices runs the HTTPS client services (the pushed
// profiles) on the client services port with the headend's IKE
// certificate, until ctx ends. With no profile configured it does
// nothing.
func serveClientServices(ctx context.Context, cfg *Config, p *Policy) (stop func(), err error) {
	if len(p.profiles) == 0 {
		return func() {}, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.Path(cfg.Certificate), cfg.Path(cfg.Key))
	if err != nil {
		return nil, fmt.Errorf("client services certificate: %w", err)
	}
	listen, _ := netip.ParseAddr(cfg.Listen)
	addr := netip.AddrPortFrom(listen, uint16(cfg.ClientServicesPort))
	ln, err := net.Listen("tcp", addr.String())
	if err != nil {
		return nil, fmt.Errorf("client services port: %w", err)
	}
	srv := &http.Server{
		Handler:           p.profileHandler(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          nil,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log("client services: %v", err)
		}
	}()
	p.log("client services (profiles) on https://%s", ln.Addr())
	return func() {
		srv.Close()
		<-done
	}, nil
}
