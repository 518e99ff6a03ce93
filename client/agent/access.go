package agent

import (
	"fmt"
	"os/user"
	"slices"
	"strconv"
)

// Peer is who is on the other end of a connection, as the kernel says.
type Peer struct{ UID, GID, PID int }

// GroupAccess returns the rule of the agent's socket: root, and the
// members of group (its primary or a supplementary group in the user
// database), may use the agent; anyone else is refused. Membership is
// read at each connection, so a user added to the group needs no restart
// of the agent (but a new login for the group to show in the session).
func GroupAccess(group string) func(Peer) error {
	return func(p Peer) error {
		if p.UID == 0 {
			return nil
		}
		g, err := user.LookupGroup(group)
		if err != nil {
			return fmt.Errorf("uid %d is not root, and group %q: %v", p.UID, group, err)
		}
		if strconv.Itoa(p.GID) == g.Gid {
			return nil
		}
		if u, err := user.LookupId(strconv.Itoa(p.UID)); err == nil {
			if ids, err := u.GroupIds(); err == nil && slices.Contains(ids, g.Gid) {
				return nil
			}
		}
		return fmt.Errorf("uid %d is neither root nor a member of group %q", p.UID, group)
	}
}
