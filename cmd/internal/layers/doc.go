// Package layers holds the test that keeps the module's import rules true:
// front ends reach the protocol packages only through client, esp knows
// nothing of IKE, the protocol core touches no front end, and the headend
// emulator does not use the client.
package layers
