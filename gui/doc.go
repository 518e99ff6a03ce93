// Package gui is the desktop window of vpnc-go (cmd/vpnc-go-gui): a Fyne
// front end of the agent (client/agent).
//
// The views are thin. A Model turns the agent's replies and the session's
// events (client.Event) into a View, the plain state the window draws;
// a Presenter runs the model against an agent connection and carries out
// what the user asks (connect, answer a form, accept the banner,
// disconnect). Neither imports Fyne: they are tested without a window,
// against a real agent with an in-process headend. The widgets (files
// built with cgo, as Fyne needs it) only render a View.
package gui
