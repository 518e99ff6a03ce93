package client

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vpnc-go/vpnc-go/esp/iana"
	"github.com/vpnc-go/vpnc-go/ikev2"
)

// errNoAnswer is one address's silence; connect reports a *NoIKEv2Error.
var errNoAnswer = errors.New("no answer")

// closeWait is how long a disconnect waits for the headend to confirm its
// Delete before leaving anyway.
const closeWait = 2 * time.Second

// attempt is one try at one headend address: an IKE SA from
// IKE_SA_INIT until it ends, and the OS configuration while it is up.
type attempt struct {
	s       *Session
	dp      DataPlane
	remote  netip.AddrPort
	ini     *ikev2.Initiator
	started time.Time
	heard   bool
	up      bool
	wasUp   bool
	applied bool
	child   *ikev2.ChildSA // the newest CHILD SA
	host    string         // the name dialled, which certificates must carry
	// stopFetch ends the download of pushed profiles, when one runs.
	stopFetch func()

	lastIn    time.Time // when the headend was last heard (IKE or ESP)
	lastOut   uint64    // outbound packets at the last check
	lastCheck time.Time // the last liveness check for unanswered ESP
}

func (s *Session) newAttempt(cand candidate, dp DataPlane) (*attempt, error) {
	remote := cand.addr
	local, err := dp.LocalAddr(remote)
	if err != nil {
		return nil, &noPathError{remote.Addr(), err}
	}
	cfg, err := s.initiatorConfig(local, cand)
	if err != nil {
		return nil, err
	}
	ini, err := ikev2.NewInitiator(cfg)
	if err != nil {
		return nil, err
	}
	return &attempt{s: s, dp: dp, remote: remote, ini: ini, host: cand.host}, nil
}

// stageOf says what the IKE SA's progress means for the user.
func stageOf(p ikev2.Progress) (Stage, bool) {
	switch p.Exchange {
	case iana.IKE_SA_INIT:
		return StageConnecting, true
	case iana.IKE_AUTH:
		return StageAuthenticating, true
	case iana.CREATE_CHILD_SA:
		return StageRekeying, true
	case iana.INFORMATIONAL:
		return StageDisconnecting, true
	}
	return 0, false
}

// run drives the IKE state machine until the connection ends.
func (c *attempt) run(ctx context.Context) (wasUp bool, err error) {
	s := c.s
	c.started = time.Now()
	defer func() {
		if c.stopFetch != nil {
			c.stopFetch()
		}
	}()
	c.lastIn = c.started
	if err := c.apply(ctx, c.ini.Start(c.started)); err != nil {
		return false, err
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	stats := time.NewTicker(s.opts.StatsInterval)
	defer stats.Stop()
	watch := time.NewTicker(unansweredTick)
	defer watch.Stop()
	closing := false
	var giveUp <-chan time.Time
	for {
		deadline := c.ini.NextDeadline()
		if !c.heard {
			if d := c.started.Add(s.opts.AuthTimeout); deadline.IsZero() || d.Before(deadline) {
				deadline = d
			}
		}
		wait := time.Hour
		if !deadline.IsZero() {
			wait = max(time.Until(deadline), 0)
		}
		timer.Reset(wait)

		var acts []ikev2.Action
		select {
		case d := <-s.ikeIn:
			c.heard = true
			c.lastIn = time.Now()
			acts = c.ini.HandleDatagram(time.Now(), d.from, d.encap, d.msg)
		case <-timer.C:
			now := time.Now()
			if !c.heard && !now.Before(c.started.Add(s.opts.AuthTimeout)) {
				c.ini.Close(now)
				return false, errNoAnswer
			}
			acts = c.ini.HandleTimeout(now)
		case <-s.alive:
			c.lastIn = time.Now()
			c.ini.PeerAlive(time.Now())
		case <-watch.C:
			if c.up {
				acts = c.checkUnanswered(time.Now())
			}
		case pc, ok := <-s.changes:
			if !ok {
				s.changes = nil
				break
			}
			acts = c.pathChanged(time.Now(), pc)
		case <-stats.C:
			if c.up {
				s.emit(ctx, StatsEvent{Stats: c.dp.Stats()})
				acts = c.rekeyByVolume()
			}
		case cmd := <-s.cmds:
			if cmd.disconnect {
				closing = true
				acts = c.ini.Close(time.Now())
				giveUp = time.After(closeWait)
				cmd.reply <- nil
				break
			}
			var err error
			acts, err = c.ini.Answer(time.Now(), cmd.answer)
			cmd.reply <- err
			if err == nil {
				s.remember(cmd.answer)
			}
		case <-ctx.Done():
			closing = true
			acts = c.ini.Close(time.Now())
			// Give the headend a moment to confirm the Delete, then leave
			// whether or not it did.
			ctx, giveUp = context.Background(), time.After(closeWait)
		case <-giveUp:
			c.teardown()
			return c.wasUp, ErrDisconnected
		}
		if err := c.apply(ctx, acts); err != nil {
			if closing && errors.Is(err, errClosed) {
				return c.wasUp, ErrDisconnected
			}
			if errors.Is(err, errClosed) {
				cause := unwrapClosed(err)
				if !c.heard && errors.Is(cause, ikev2.ErrPeerDead) {
					// IKE gave up before AuthTimeout: same as no answer.
					return false, errNoAnswer
				}
				return c.wasUp, cause
			}
			// The OS side failed: tell the headend (best effort) and undo.
			for _, a := range c.ini.Close(time.Now()) {
				if send, ok := a.(ikev2.Send); ok {
					c.dp.SendIKE(send.To, send.Encap, send.Datagrams)
				}
			}
			c.teardown()
			return c.wasUp, err
		}
	}
}

// ESP that goes out unanswered: checked every unansweredTick; outbound
// packets with nothing heard from the headend for unansweredAfter start a
// liveness check, at most one per unansweredEvery.
const (
	unansweredTick  = time.Second
	unansweredAfter = 2 * time.Second
	unansweredEvery = 10 * time.Second
)

// checkUnanswered starts a liveness check when ESP went out while nothing
// authenticated came back and IKE is silent: the headend may have
// restarted (it then drops our ESP without a word).
func (c *attempt) checkUnanswered(now time.Time) []ikev2.Action {
	out := c.dp.Stats().PacketsOut
	sent := out > c.lastOut
	c.lastOut = out
	if !sent || now.Sub(c.lastIn) < unansweredAfter || now.Sub(c.lastCheck) < unansweredEvery {
		return nil
	}
	c.lastCheck = now
	return c.ini.CheckLiveness(now, fmt.Sprintf("ESP sent, nothing received for %s", now.Sub(c.lastIn).Round(time.Millisecond)))
}

// pathChanged checks the headend's liveness after a network change (RFC
// 7296 section 2.4), when a path to it is usable: a new address reaches
// the headend with the check, which moves the SA there (section 2.23). With
// no path, the liveness checks run their course and the session then
// waits for the network.
func (c *attempt) pathChanged(now time.Time, pc PathChange) []ikev2.Action {
	s := c.s
	if !c.up || s.ownDevice(pc) {
		return nil
	}
	what := pc.Detail
	if err := s.deps.Paths.Usable(c.remote.Addr()); err != nil {
		s.opts.Log("network change (%s): no path to %s: %v", what, c.remote.Addr(), err)
		return nil
	}
	return c.ini.CheckLiveness(now, "network change: "+what)
}

// rekeyByVolume rekeys the CHILD SA when its sequence numbers near their
// end or it carried RekeyBytes.
func (c *attempt) rekeyByVolume() []ikev2.Action {
	if c.child == nil {
		return nil
	}
	bytes, exhausted := c.dp.Usage(c.child.InSPI)
	if limit := c.s.opts.RekeyBytes; exhausted || (limit > 0 && bytes >= limit) {
		c.s.opts.Log("rekeying %s after %d bytes (sequence numbers near their end: %v)", c.child, bytes, exhausted)
		c.child = nil // until the new one is installed
		return c.ini.RekeyChild(time.Now())
	}
	return nil
}

// errClosed wraps the reason of an ikev2.Closed action.
var errClosed = errors.New("closed")

type closedError struct{ err error }

func (e closedError) Error() string {
	if e.err == nil {
		return "closed"
	}
	return e.err.Error()
}
func (e closedError) Is(target error) bool { return target == errClosed }
func (e closedError) Unwrap() error        { return e.err }

func unwrapClosed(err error) error {
	var ce closedError
	if errors.As(err, &ce) {
		return ce.err
	}
	return err
}
