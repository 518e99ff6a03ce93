// Package diag builds the bundle a user sends to their help desk when the
// VPN fails: one .tar.gz with vpnc-go's version, the OS facts, the
// profiles in effect, the agent's status, log and events, the headend's
// certificate chain and trust verdict, the tunnel's addresses, routes,
// rules and DNS, and the netcfg journal, with a manifest saying what each
// file is and what was removed from it.
//
// Secrets never go in: the sources hold none by construction (the agent
// never logs one, form events carry no password values, the keyring, key
// files, PKCS#12 files and key logs are never read), and every file is
// scrubbed besides (private key blocks, key log lines, values of
// password, secret, token and cookie fields). User names and headend host
// names stay unless Options.RedactIdentities replaces them, consistently
// across files, with placeholders (user-1, headend-1).
//
// Every source is optional: one that fails is listed in the manifest with
// the reason, and the bundle is still written.
package diag
