package client

// Profiles pushed by the headend. EAP-AnyConnect's complete message lists
// profiles (vpn-profile-manifest: a URI and a SHA-1 hash each) and the
// client services port (<csport>). Once the tunnel is up the client
// fetches each listed profile over HTTPS from the headend on that port,
// trusting exactly what IKE trusted (same CAs, pins and host name), checks
// the hash and stores the file in Options.PushedProfileDir, where
// profile.Discover finds it for the next connection. A stored copy with
// the announced hash is not fetched again. Whatever goes wrong is a
// warning (a non-fatal ErrorEvent): the connection stays up and a good
// stored copy is never replaced by a bad one.

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
	"github.com/vpnc-go/vpnc-go/profile"
)

// Limits of a profile download.
const (
	maxPushedProfile     = 1 << 20 // bytes
	pushedProfileTimeout = 30 * time.Second
	defaultCSPort        = 443
)

// ProfileEvent reports a profile the headend pushed, once the tunnel is
// up: Updated when it was downloaded and stored, false when the stored
// copy already had the announced hash.
type ProfileEvent struct {
	URI     string // as the headend listed it
	Path    string // the stored file
	Updated bool
}

func (ProfileEvent) isEvent() {}

// ProfileError is a warning about a pushed profile: it was not stored
// (any earlier copy stays). It comes in a non-fatal ErrorEvent.
type ProfileError struct {
	URI string
	Err error
}

func (e *ProfileError) Error() string {
	return fmt.Sprintf("profile %s pushed by the headend: %v", e.URI, e.Err)
}

func (e *ProfileError) Unwrap() error { return e.Err }

// pushedFetch is what fetching one session's profiles needs.
type pushedFetch struct {
	dir    string
	base   url.URL // https://headend:csport
	client *http.Client
	log    func(string, ...any)
}

// startProfileFetch fetches the profiles of complete in the background of
// an established attempt; the attempt stops it when it ends.
func (c *attempt) startProfileFetch(ctx context.Context, headend netip.Addr, complete *anyconnect.Complete) {
	s := c.s
	if complete == nil || len(complete.Profiles) == 0 || s.opts.PushedProfileDir == "" {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	c.stopFetch = func() {
		cancel()
		<-done
	}
	go func() {
		defer close(done)
		f, err := s.newPushedFetch(c.host, headend, complete.CSPort)
		for _, pf := range complete.Profiles {
			if pf.Type != "" && pf.Type != "profile" {
				continue // other services' files: not for a VPN client
			}
			var ev Event
			if err != nil {
				ev = ErrorEvent{Err: &ProfileError{URI: pf.URI, Err: err}}
			} else if p, updated, ferr := f.fetch(ctx, pf); ferr != nil {
				ev = ErrorEvent{Err: &ProfileError{URI: pf.URI, Err: ferr}}
			} else {
				ev = ProfileEvent{URI: pf.URI, Path: p, Updated: updated}
			}
			if ctx.Err() != nil {
				return
			}
			s.emit(ctx, ev)
		}
	}()
}

// newPushedFetch prepares HTTPS to the headend's client services port with
// the trust of IKE for host.
func (s *Session) newPushedFetch(host string, headend netip.Addr, csport string) (*pushedFetch, error) {
	port := defaultCSPort
	if csport != "" {
		p, err := strconv.Atoi(csport)
		if err != nil || p <= 0 || p > 65535 {
			return nil, fmt.Errorf("the headend's client services port %q is not a TCP port", csport)
		}
		port = p
	}
	verify, err := s.verifier(host)
	if err != nil {
		return nil, err
	}
	tlsCfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Go's own check would use only the system roots; the IKE
		// verifier below decides instead, with CAs, pins and name.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			chain := make([][]byte, len(cs.PeerCertificates))
			for i, c := range cs.PeerCertificates {
				chain[i] = c.Raw
			}
			_, err := verify(chain)
			return err
		},
	}
	// The headend is dialled at the address IKE used, whatever DNS says now.
	addr := netip.AddrPortFrom(headend, uint16(port)).String()
	tr := &http.Transport{
		TLSClientConfig:     tlsCfg,
		Proxy:               nil,
		TLSHandshakeTimeout: pushedProfileTimeout,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	return &pushedFetch{
		dir:    s.opts.PushedProfileDir,
		base:   url.URL{Scheme: "https", Host: net.JoinHostPort(host, strconv.Itoa(port))},
		client: &http.Client{Transport: tr, Timeout: pushedProfileTimeout, CheckRedirect: noRedirect},
		log:    s.opts.Log,
	}, nil
}

func noRedirect(*http.Request, []*http.Request) error {
	return errors.New("the headend redirected the profile download")
}

// storedName is the file name a pushed profile is stored under: the last
// element of its URI, which must be a plain name ending in .xml.
func storedName(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("URI %q: %w", uri, err)
	}
	if u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
		return "", fmt.Errorf("URI %q is not a path on the headend", uri)
	}
	name := path.Base(u.Path)
	if !strings.EqualFold(path.Ext(name), ".xml") || strings.HasPrefix(name, ".") || strings.ContainsAny(name, `\:`) {
		return "", fmt.Errorf("URI %q does not end in a profile file name (NAME.xml)", uri)
	}
	return name, nil
}

func wantHash(pf anyconnect.ProfileFile) ([]byte, error) {
	if pf.HashType != "" && !strings.EqualFold(pf.HashType, "sha1") {
		return nil, fmt.Errorf("hash type %q is not sha1", pf.HashType)
	}
	h, err := hex.DecodeString(strings.TrimSpace(pf.Hash))
	if err != nil || len(h) != sha1.Size {
		return nil, fmt.Errorf("hash %q is not 40 hex digits of SHA-1", pf.Hash)
	}
	return h, nil
}

// fetch brings one profile up to date: it returns the stored file and
// whether it was downloaded now.
func (f *pushedFetch) fetch(ctx context.Context, pf anyconnect.ProfileFile) (string, bool, error) {
	name, err := storedName(pf.URI)
	if err != nil {
		return "", false, err
	}
	want, err := wantHash(pf)
	if err != nil {
		return "", false, err
	}
	dst := filepath.Join(f.dir, name)
	if old, err := os.ReadFile(dst); err == nil {
		if sum := sha1.Sum(old); bytes.Equal(sum[:], want) {
			f.log("pushed profile %s: stored copy %s is current", pf.URI, dst)
			return dst, false, nil
		}
	}
	u := f.base
	u.Path = pf.URI
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", false, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return "", false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", false, fmt.Errorf("%s: HTTP %s", u.String(), resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPushedProfile+1))
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", u.String(), err)
	}
	if len(body) > maxPushedProfile {
		return "", false, fmt.Errorf("%s: larger than %d bytes", u.String(), maxPushedProfile)
	}
	if sum := sha1.Sum(body); !bytes.Equal(sum[:], want) {
		return "", false, fmt.Errorf("the download's SHA-1 is %X, the headend announced %X: refused, the stored copy (if any) is kept", sum, want)
	}
	if _, probs := profile.Parse(name, body); probs.HasErrors() {
		return "", false, fmt.Errorf("not a usable profile: %w", probs.Err())
	}
	if err := writeAtomic(dst, body); err != nil {
		return "", false, err
	}
	f.log("pushed profile %s stored in %s (%d bytes)", pf.URI, dst, len(body))
	return dst, true, nil
}

// writeAtomic replaces dst with data: a temporary file in the same folder,
// synced, then renamed over dst, so that readers see the old file or the
// new one, never a part. The file is readable by every user (the
// graphical front end reads what the agent stores).
func writeAtomic(dst string, data []byte) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename it is gone
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
