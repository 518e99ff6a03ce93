package diag

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"time"

	"github.com/vpnc-go/vpnc-go/client/agent"
	"github.com/vpnc-go/vpnc-go/profile"
)

// commandTimeout bounds each command diag runs.
const commandTimeout = 10 * time.Second

// System returns this machine's sources: its files and commands, the
// agent listening on socket, the profiles profile.Discover finds with
// popts, and the netcfg journal at stateFile.
func System(version, socket string, popts profile.Options, stateFile string) Sources {
	src := Sources{
		Version:  version,
		GOOS:     runtime.GOOS,
		Now:      time.Now,
		ReadFile: os.ReadFile,
		Exists: func(p string) bool {
			_, err := os.Stat(p)
			return err == nil
		},
		Run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			ctx, cancel := context.WithTimeout(ctx, commandTimeout)
			defer cancel()
			return exec.CommandContext(ctx, name, args...).CombinedOutput()
		},
		Agent:     func(ctx context.Context) (*agent.DiagResult, error) { return askAgent(ctx, socket) },
		Profiles:  func() *profile.Catalog { return profile.Discover(popts) },
		StateFile: stateFile,
	}
	if u, err := user.Current(); err == nil {
		src.User = u.Username
	}
	return src
}

// askAgent gets the agent's diag, with errors that say what is missing.
func askAgent(ctx context.Context, socket string) (*agent.DiagResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := agent.Dial(ctx, socket)
	if err != nil {
		var ae *agent.Error
		if errors.As(err, &ae) {
			return nil, fmt.Errorf("the agent at %s refused: %s", socket, ae.Message)
		}
		return nil, fmt.Errorf("the agent is not running or not reachable at %s: %v", socket, err)
	}
	defer c.Close()
	d, err := c.Diag(ctx)
	var ae *agent.Error
	if errors.As(err, &ae) && ae.Code == agent.CodeBadRequest {
		return nil, fmt.Errorf("the agent (%s) predates diag: %s", c.Hello().Agent, ae.Message)
	}
	return d, err
}
