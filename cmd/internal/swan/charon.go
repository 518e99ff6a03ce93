//go:build linux

// Package swan runs strongSwan's charon as a reference peer for vpnc-go's
// interoperability tests: a strongswan.conf and a swanctl folder per
// instance, charon with its userspace ESP (kernel-libipsec, the kernels
// here have no ESP transform) inside a network namespace with a private
// /run, and swanctl talking to it over its own VICI socket. It also makes
// the certificates those tests need. It writes configuration only; it
// contains no strongSwan code.
package swan

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
)

// Files of the Debian packages the tests need, with the package that
// ships each (.ci/setup installs them).
var required = map[string]string{
	"/usr/lib/ipsec/charon": "strongswan-charon",
	"/usr/sbin/swanctl":     "strongswan-swanctl",
	"/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so": "libcharon-extra-plugins",
	"/usr/lib/ipsec/plugins/libstrongswan-xauth-generic.so":   "libcharon-extauth-plugins",
	"/usr/lib/ipsec/plugins/libstrongswan-openssl.so":         "libstrongswan-standard-plugins",
}

// Available reports which packages are missing, if any.
func Available() error {
	var missing []string
	for f, p := range required {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("strongSwan is not installed (Debian packages %s; .ci/setup installs them)", strings.Join(missing, " "))
	}
	return nil
}

// Version is the installed strongSwan's Debian package version.
func Version() (string, error) {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "strongswan-charon").Output()
	if err != nil {
		return "", fmt.Errorf("dpkg-query strongswan-charon: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// plugins is the explicit load list: kernel-libipsec before
// kernel-netlink, kdf for key derivation, openssl for the ciphers, DH
// groups (x25519 included) and, with its legacy provider, MD4 and DES for
// MSCHAPv2.
const plugins = "pem pkcs1 pkcs8 x509 pubkey random nonce openssl kdf hmac sha1 sha2 md4 md5 des aes gmp " +
	"revocation constraints kernel-libipsec kernel-netlink socket-default vici attr eap-identity eap-md5 " +
	"eap-mschapv2 eap-gtc xauth-generic eap-tls updown"

// Settings are the strongswan.conf knobs the tests turn.
type Settings struct {
	// FragmentSize is charon.fragment_size (RFC 7383 fragments); 0 keeps
	// strongSwan's default.
	FragmentSize int
	// LogLevels are charon's filelog levels, "default = 1 ike = 2" when
	// empty. "ike 4, chd 4" logs every key.
	LogLevels string
}

// Charon is one running charon with its folder.
type Charon struct {
	Dir  string // strongswan.conf, swanctl/ (swanctl.conf, x509, ...), run/
	NS   string // the lab namespace it runs in
	Proc *lab.Proc
	l    *lab.Lab
}

// SwanctlDir is where swanctl.conf and the credential folders go.
func (c *Charon) SwanctlDir() string { return filepath.Join(c.Dir, "swanctl") }

func (c *Charon) socket() string { return "unix://" + filepath.Join(c.Dir, "charon.vici") }

func (c *Charon) conf() string { return filepath.Join(c.Dir, "strongswan.conf") }

// New prepares an instance folder under dir: strongswan.conf and the
// swanctl folders. Write the swanctl.conf and credentials, then Start.
func New(l *lab.Lab, ns, dir string, s Settings) (*Charon, error) {
	c := &Charon{Dir: dir, NS: ns, l: l}
	for _, d := range []string{"run", "swanctl/x509", "swanctl/x509ca", "swanctl/private", "swanctl/conf.d"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	levels := s.LogLevels
	if levels == "" {
		levels = "default = 1\n        ike = 2\n        cfg = 1"
	}
	frag := ""
	if s.FragmentSize > 0 {
		frag = fmt.Sprintf("  fragment_size = %d\n", s.FragmentSize)
	}
	conf := fmt.Sprintf(`# written by vpnc-go's interop tests
charon {
  load = %s
  install_virtual_ip = yes
  retransmit_tries = 3
  retransmit_timeout = 2
%s  filelog {
    stderr {
        time_format = %%H:%%M:%%S
        ike_name = yes
        flush_line = yes
        %s
    }
  }
  syslog {
    identifier = charon-interop
  }
  plugins {
    vici {
      socket = %s
    }
    openssl {
      load_legacy = yes
    }
    eap-gtc {
      backend = generic
    }
  }
}
swanctl {
  socket = %s
}
`, plugins, frag, levels, c.socket(), c.socket())
	if err := os.WriteFile(c.conf(), []byte(conf), 0o600); err != nil {
		return nil, err
	}
	return c, nil
}

// WriteSwanctl writes swanctl.conf.
func (c *Charon) WriteSwanctl(conf string) error {
	return os.WriteFile(filepath.Join(c.SwanctlDir(), "swanctl.conf"), []byte(conf), 0o600)
}

// Start runs charon in its namespace with a private /run (charon writes
// /var/run/charon.pid, a compiled-in path), waits for its VICI socket and
// loads the swanctl configuration.
func (c *Charon) Start() error {
	script := `mount --bind "$1" /run && shift && exec "$@"`
	p, err := c.l.Start(c.NS, "charon-"+c.NS, "",
		"unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", filepath.Join(c.Dir, "run"),
		"env", "STRONGSWAN_CONF="+c.conf(), "/usr/lib/ipsec/charon")
	if err != nil {
		return err
	}
	c.Proc = p
	sock := strings.TrimPrefix(c.socket(), "unix://")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("charon in %s did not open its VICI socket within 10s:\n%s", c.NS, p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err := c.Swanctl("--load-all", "--noprompt")
	if err != nil {
		return fmt.Errorf("%w\n%s\ncharon:\n%s", err, out, p.Output())
	}
	return nil
}

// Swanctl runs swanctl against this charon.
func (c *Charon) Swanctl(args ...string) (string, error) {
	full := append([]string{"env", "STRONGSWAN_CONF=" + c.conf(), "SWANCTL_DIR=" + c.SwanctlDir(),
		"swanctl"}, args...)
	full = append(full, "--uri", c.socket())
	return c.l.Exec(c.NS, full...)
}

// Log is everything charon logged so far.
func (c *Charon) Log() string {
	if c.Proc == nil {
		return ""
	}
	return c.Proc.Output()
}

// WaitLog waits until charon logged a line containing want, counting from
// line `from` (see Lines), and returns that line.
func (c *Charon) WaitLog(want string, from int, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		lines := strings.Split(c.Log(), "\n")
		for _, line := range lines[min(from, len(lines)):] {
			if strings.Contains(line, want) {
				return line, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("charon in %s did not log %q within %s", c.NS, want, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Lines is how many lines charon logged so far (a mark for WaitLog).
func (c *Charon) Lines() int { return strings.Count(c.Log(), "\n") + 1 }

// Count is how many lines logged so far contain s.
func (c *Charon) Count(s string) int { return strings.Count(c.Log(), s) }

// Stop stops charon (SIGTERM, by PID).
func (c *Charon) Stop() error {
	if c.Proc == nil {
		return errors.New("charon not started")
	}
	return c.Proc.Stop(5 * time.Second)
}
