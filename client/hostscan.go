package client

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// HostScanRequest is a headend's demand for a host scan (EAP-AnyConnect's
// <host-scan>): where the headend's client services listen and the ticket
// and token that identify this login to them.
type HostScanRequest struct {
	Host    string // the headend's address
	CSPort  string // HTTPS port of the headend's client services
	Ticket  string
	Token   string
	BaseURI string
	WaitURI string
}

// HostScanWrapper runs the user's posture-check program when a headend
// demands a host scan (EAP-AnyConnect's <host-scan>). The calling
// convention follows OpenConnect's --csd-wrapper, so existing wrapper
// scripts work: the program gets
//
//	-ticket TICKET -stub 0 -group "" -url https://HOST:PORT/WAIT-URI
//
// and the environment CSD_TOKEN, CSD_HOSTNAME and CSD_PORT. A wrapper that
// performs the scan and posts its results to the headend itself prints
// nothing; then the headend's own token is returned to it. A wrapper that
// prints a line on standard output has that line sent as the
// host-scan-token instead. A non-zero exit status fails the login.
func HostScanWrapper(path string, timeout time.Duration) func(HostScanRequest) (string, error) {
	return func(r HostScanRequest) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		port := r.CSPort
		if port == "" {
			port = "443"
		}
		url := fmt.Sprintf("https://%s:%s%s", r.Host, port, r.WaitURI)
		cmd := exec.CommandContext(ctx, path, "-ticket", r.Ticket, "-stub", "0", "-group", "", "-url", url)
		cmd.Env = append(os.Environ(), "CSD_TOKEN="+r.Token, "CSD_HOSTNAME="+r.Host, "CSD_PORT="+port)
		// A wrapper killed at the time limit may leave children that hold
		// its output open; stop waiting for them soon after.
		cmd.WaitDelay = time.Second
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("host scan wrapper %s: %v: %s", path, err, strings.TrimSpace(errOut.String()))
		}
		if line, _, _ := strings.Cut(strings.TrimSpace(out.String()), "\n"); line != "" {
			return strings.TrimSpace(line), nil
		}
		return r.Token, nil
	}
}
