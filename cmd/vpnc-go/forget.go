package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vpnc-go/vpnc-go/client"
	"github.com/vpnc-go/vpnc-go/client/creds"
	"github.com/vpnc-go/vpnc-go/profile"
)

type forgetFlags struct {
	profiles    profilesFlags
	group, user string
	groupSet    bool
	proposals   bool
}

func newForgetCmd() *cobra.Command {
	f := &forgetFlags{}
	cmd := &cobra.Command{
		Use:   "forget HOST [--group G] [--user U] | forget --proposals HOST",
		Short: "Remove a password that connect --save-password stored in the OS keyring, or proposals that connect --remember kept",
		Long: `Remove the password stored in the OS keyring for a headend, tunnel group and
user. HOST is a host name from the AnyConnect profiles or an address, as for
connect; the group defaults to the profile's UserGroup and the user to the
last one who saved a password there. The keyring holds it under the service
"vpnc-go" and the account USER@GROUP@HEADEND, HEADEND being the profile's
HostAddress (or HOST itself when no profile names it).

With --proposals it removes instead the IKE/ESP proposals that
connect --ike ... --remember keeps for HOST in the user's hosts.json
($XDG_CONFIG_HOME/vpnc-go/hosts.json); connect then offers the defaults again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.groupSet = cmd.Flags().Changed("group")
			return runForget(cmd, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.profiles.files, "profile", nil, "AnyConnect profile `FILE` (repeatable)")
	fl.StringArrayVar(&f.profiles.dirs, "profile-dir", nil, "read managed profiles from `DIR` instead of the system folders")
	fl.StringVarP(&f.group, "group", "g", "", "tunnel group (default: the profile's UserGroup)")
	fl.StringVarP(&f.user, "user", "u", "", "user name (default: the last user who saved a password for this headend and group)")
	fl.BoolVar(&f.proposals, "proposals", false, "remove the proposals connect --remember kept for HOST instead of a password")
	return cmd
}

// forgetKey finds the keyring key for HOST the way connect does.
func forgetKey(f *forgetFlags, host string) creds.Key {
	k := creds.Key{Headend: host, User: f.user}
	if t, err := f.profiles.discover().Lookup(host); err == nil {
		k.Headend, k.Group = t.Address.Host, t.UserGroup
	} else if a, perr := profile.ParseAddress(host); perr == nil {
		k.Headend = a.Host
	}
	if f.groupSet {
		k.Group = f.group
	}
	return k
}

func runForget(cmd *cobra.Command, f *forgetFlags, host string) error {
	k := forgetKey(f, host)
	if f.proposals {
		return forgetProposals(cmd, k.Headend)
	}
	user, err := creds.Delete(k)
	switch {
	case errors.Is(err, creds.ErrNoKeyring):
		return fmt.Errorf("%s (%v)", "no keyring available; nothing is stored", err)
	case errors.Is(err, creds.ErrNotFound):
		who := k.Account()
		if k.User == "" {
			who = "any user of group " + fmt.Sprintf("%q", k.Group) + " on " + k.Headend
		}
		return fmt.Errorf("the keyring holds no password for %s", who)
	case err != nil:
		return err
	}
	k.User = user
	fmt.Fprintf(cmd.OutOrStdout(), "removed the password for %s from the keyring\n", k.Account())
	return nil
}

// forgetProposals removes the remembered proposals of host.
func forgetProposals(cmd *cobra.Command, host string) error {
	store, err := client.DefaultHostStore()
	if err != nil {
		return err
	}
	if _, ok, err := store.Get(host); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%s holds no proposals for %s", store.Path, host)
	}
	if err := store.Set(host, client.HostSetting{}); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "removed the proposals remembered for %s; connect offers the defaults again\n", host)
	return nil
}
