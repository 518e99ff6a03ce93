package netcfg

import (
	"context"
	"net/netip"
	"sync"
)

// Call is one recorded call to a Fake.
type Call struct {
	Op     string // "Apply" or "Revert"
	Config Config // the Config given to Apply
	Err    error  // what the call returned
}

// Fake is a Manager that changes nothing and records every call, for tests
// of the code that drives a Manager. It keeps the real one's rules: Apply
// while applied fails with ErrApplied, Revert is idempotent.
type Fake struct {
	mu sync.Mutex
	// ApplyErr and RevertErr, while set, are returned by every call; a
	// failed Apply leaves nothing applied, as the real one does.
	ApplyErr  error
	RevertErr error
	// FailApply, when set, is asked on each Apply and may return an error.
	FailApply func(cfg Config) error

	calls   []Call
	applied *Config
}

// Apply records cfg and marks it applied unless told to fail.
func (f *Fake) Apply(ctx context.Context, cfg Config) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	cfg = cloneConfig(cfg)
	err := f.ApplyErr
	if err == nil && f.FailApply != nil {
		err = f.FailApply(cfg)
	}
	if err == nil && f.applied != nil {
		err = ErrApplied
	}
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		f.applied = &cfg
	}
	f.calls = append(f.calls, Call{Op: "Apply", Config: cfg, Err: err})
	return err
}

// Revert records the call and clears the applied Config unless told to fail.
func (f *Fake) Revert(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.RevertErr
	if err == nil {
		f.applied = nil
	}
	f.calls = append(f.calls, Call{Op: "Revert", Err: err})
	return err
}

// Calls returns the calls so far, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Applied returns the Config in force, if any.
func (f *Fake) Applied() (Config, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.applied == nil {
		return Config{}, false
	}
	return cloneConfig(*f.applied), true
}

func cloneConfig(c Config) Config {
	c.Addresses = append([]netip.Prefix(nil), c.Addresses...)
	c.Include = append([]netip.Prefix(nil), c.Include...)
	c.Exclude = append([]netip.Prefix(nil), c.Exclude...)
	c.DNS = append([]netip.Addr(nil), c.DNS...)
	c.Domains = append([]string(nil), c.Domains...)
	return c
}
