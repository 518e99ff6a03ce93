package anyconnect_test

import (
	"errors"
	"fmt"

	"github.com/vpnc-go/vpnc-go/ikev2/eap"
	"github.com/vpnc-go/vpnc-go/ikev2/eap/anyconnect"
)

// The client pauses when the headend asks for something only the user
// knows: Respond returns an *eap.NeedInput, the UI shows its Form, and Answer
// produces the Response for the pending Request.
func ExamplePeer_Answer() {
	headend := &anyconnect.Authenticator{
		Groups: []anyconnect.TunnelGroup{{Name: "Staff", Password: true}},
		CheckPassword: func(group, user, pass string) error {
			if user == "alice" && pass == "secret" {
				return nil
			}
			return anyconnect.ErrWrongPassword
		},
		Rand: zeroRand{},
	}
	peer := &anyconnect.Peer{GroupAccess: "Staff", UserName: "alice"}

	req, _ := headend.Start(1)
	for id := uint8(2); req != nil; id++ {
		resp, err := peer.Respond(req)
		var ni *eap.NeedInput
		if errors.As(err, &ni) {
			for _, f := range ni.Form.Fields {
				fmt.Printf("%s (%v) %q\n", f.Label, f.Kind, f.Value)
			}
			resp, err = peer.Answer(eap.FormAnswer{"password": "secret"})
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if req, err = headend.Next(resp, id); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("done:", peer.Done(), "user:", headend.User())
	// Output:
	// Username: (text) "alice"
	// Password: (password) ""
	// done: true user: alice
}

type zeroRand struct{}

func (zeroRand) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}
