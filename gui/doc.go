// Package gui holds the Fyne views bound to client events.
//
// Unfinished: nothing is implemented yet (see the README's status section).
package gui
