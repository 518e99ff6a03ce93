package agent

// An in-process headend for the agent's tests (client/clienttest), so a
// real client.Session runs inside the agent with no sockets, TUN devices
// or root.

import (
	"testing"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/clienttest"
)

const (
	testUser     = "alice"
	testPassword = "correct horse battery"
	headendName  = clienttest.HeadendName
)

// testHeadend is the shared in-process headend.
type testHeadend struct{ *clienttest.Headend }

// newTestHeadend makes a headend speaking EAP-AnyConnect to alice, and
// the CA file that trusts it.
func newTestHeadend(t *testing.T) (*testHeadend, string) {
	t.Helper()
	h, caFile := clienttest.NewASA(t, clienttest.ASA{User: testUser, Password: testPassword})
	return &testHeadend{h}, caFile
}

// newSession is the agent's NewSession against h.
func (h *testHeadend) newSession(o client.Options) (*client.Session, error) {
	return client.New(o, h.Deps())
}
