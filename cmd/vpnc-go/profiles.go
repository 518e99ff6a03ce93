package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/vpnc-go/vpnc-go/profile"
)

// profilesFlags are shared by every profiles subcommand.
type profilesFlags struct {
	files []string
	dirs  []string
	json  bool
}

func (f *profilesFlags) discover() *profile.Catalog {
	opts := profile.Options{Files: f.files}
	if len(f.dirs) > 0 {
		// --profile-dir replaces the system folders; the user folder
		// still comes from VPNC_GO_USER_PROFILE_DIR or the default.
		opts.SystemDirs = f.dirs
	}
	return profile.Discover(opts)
}

func newProfilesCmd() *cobra.Command {
	f := &profilesFlags{}
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List the hosts of the AnyConnect profiles",
		Long: `List every host of every AnyConnect XML profile found: explicit --profile files,
then the managed folders (/opt/cisco/secureclient/vpn/profile,
/opt/cisco/anyconnect/profile, /etc/vpnc-go/profile on Linux; $VPNC_GO_PROFILE_DIRS
replaces them), then the user's folder ($XDG_CONFIG_HOME/vpnc-go/profile;
$VPNC_GO_USER_PROFILE_DIR replaces it). On a HostName clash an explicit file wins
over a managed one, which wins over a user one. vpnc-go speaks IKEv2 only:
hosts whose profile names SSL (or no PrimaryProtocol: SSL is the schema's
default) are marked with * and tried over IKEv2 on UDP 500, which works when
the headend accepts IKEv2 as well. A HostAddress path (https://host/path) is
used as the tunnel group when the entry has no UserGroup.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runProfilesList(cmd, f) },
	}
	pf := cmd.PersistentFlags()
	pf.StringArrayVar(&f.files, "profile", nil, "profile `FILE` to use besides the folders (repeatable, highest precedence)")
	pf.StringArrayVar(&f.dirs, "profile-dir", nil, "read managed profiles from `DIR` instead of the system folders (repeatable)")
	pf.BoolVar(&f.json, "json", false, "print JSON")

	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the hosts of the AnyConnect profiles (the default)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runProfilesList(cmd, f) },
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "show NAME",
		Short: "Show what vpnc-go would connect to for a host name or address",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runProfilesShow(cmd, f, args[0]) },
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE...",
		Short: "Check profile files and print every problem",
		Long:  "Check profile files and print every problem. The exit status is 0 only when every file is valid; warnings do not count.",
		Args:  cobra.MinimumNArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runProfilesValidate(cmd, f, args) },
	})
	return cmd
}

type hostJSON struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	// Protocol is the profile's PrimaryProtocol; ProtocolSet is false
	// when it is the schema default. vpnc-go always speaks IKEv2; Note
	// says so for SSL hosts.
	Protocol    string `json:"protocol"`
	ProtocolSet bool   `json:"protocol_set"`
	AuthMethod  string `json:"auth_method,omitempty"`
	// UserGroup is the tunnel group vpnc-go asks for; GroupFromPath says
	// it is the address's path because the entry has no UserGroup.
	UserGroup     string `json:"user_group,omitempty"`
	GroupFromPath bool   `json:"group_from_path,omitempty"`
	Source        string `json:"source"`
	Class         string `json:"class"`
	Supported     bool   `json:"supported"`
	Reason        string `json:"reason,omitempty"`
	Note          string `json:"note,omitempty"`
}

// Marks in the PROTOCOL column of the host list.
const (
	markSSL       = "*"
	markUnusable  = "!"
	footnoteSSL   = "* the profile names SSL (explicitly or by default); vpnc-go speaks IKEv2 and tries IKEv2 on UDP 500"
	footnoteUnuse = "! not usable: "
)

// protocolCell is the PROTOCOL column: the profile's protocol, whether it
// is the schema default, and a mark.
func protocolCell(e profile.Entry) string {
	p := string(e.Protocol)
	if !e.ProtocolSet {
		p += " (default)"
	}
	switch {
	case !e.Supported:
		p += " " + markUnusable
	case e.Protocol == profile.ProtocolSSL:
		p += " " + markSSL
	}
	return p
}

type listJSON struct {
	Hosts    []hostJSON         `json:"hosts"`
	Shadowed []profile.Shadowed `json:"shadowed"`
	Problems profile.Problems   `json:"problems"`
}

func runProfilesList(cmd *cobra.Command, f *profilesFlags) error {
	c := f.discover()
	out := cmd.OutOrStdout()
	if f.json {
		doc := listJSON{Hosts: []hostJSON{}, Shadowed: c.Shadowed, Problems: c.Problems()}
		if doc.Shadowed == nil {
			doc.Shadowed = []profile.Shadowed{}
		}
		if doc.Problems == nil {
			doc.Problems = profile.Problems{}
		}
		for _, e := range c.Entries {
			group, fromPath := e.TunnelGroup()
			doc.Hosts = append(doc.Hosts, hostJSON{
				Name: e.Name, Address: e.Address.String(), Protocol: string(e.Protocol), ProtocolSet: e.ProtocolSet,
				AuthMethod: string(e.AuthMethod), UserGroup: group, GroupFromPath: fromPath, Source: e.Source,
				Class: e.Class.String(), Supported: e.Supported, Reason: e.Reason, Note: e.Note,
			})
		}
		if err := writeJSON(out, doc); err != nil {
			return err
		}
	} else {
		if len(c.Entries) == 0 {
			fmt.Fprintln(out, "no profile hosts found")
		} else {
			tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tADDRESS\tPROTOCOL\tAUTH\tGROUP\tSOURCE")
			ssl := false
			var unusable []string
			for _, e := range c.Entries {
				auth := string(e.AuthMethod)
				group, fromPath := e.TunnelGroup()
				if fromPath {
					group = "(" + group + ")"
				}
				switch {
				case !e.Supported:
					auth = "-"
					unusable = append(unusable, fmt.Sprintf("%s%q: %s", footnoteUnuse, e.Name, e.Reason))
				case e.Protocol == profile.ProtocolSSL:
					ssl = true
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, dash(e.Address.String()), protocolCell(e), auth, dash(group), e.Source)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if ssl {
				fmt.Fprintln(out, footnoteSSL)
			}
			for _, u := range unusable {
				fmt.Fprintln(out, u)
			}
		}
		errOut := cmd.ErrOrStderr()
		for _, s := range c.Shadowed {
			fmt.Fprintf(errOut, "note: %q in %s is hidden by the entry in %s\n", s.Name, s.Source, s.WinnerIn)
		}
		for _, p := range c.Problems() {
			fmt.Fprintln(errOut, p)
		}
	}
	return explicitErrors(c)
}

// explicitErrors fails the command when a file the user named is unusable;
// broken files in the folders are only reported.
func explicitErrors(c *profile.Catalog) error {
	for _, fr := range c.Files {
		if fr.Class == profile.ClassExplicit && !fr.Used {
			return fmt.Errorf("profile %s is not usable", fr.Path)
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runProfilesShow(cmd *cobra.Command, f *profilesFlags, name string) error {
	c := f.discover()
	t, err := c.Lookup(name)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if f.json {
		return writeJSON(out, t)
	}
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s:\t%v\n", k, v) }
	row("Name", t.Name)
	row("Address", t.Address)
	for i, b := range t.Backups {
		row(fmt.Sprintf("Backup %d", i+1), b)
	}
	row("Protocol", protocolLine(t))
	if t.Note != "" {
		row("Note", t.Note)
	}
	row("Auth method", t.AuthMethod)
	group := dash(t.UserGroup)
	if t.GroupFromPath {
		group += " (the address's group-URL path; the entry has no UserGroup)"
	}
	row("User group", group)
	if t.StandardAuthOnly {
		row("IKE identity", dash(t.IKEIdentity))
	}
	row("Auto reconnect", fmt.Sprintf("%v (%s)", t.AutoReconnect, t.AutoReconnectBehavior))
	row("Local LAN access", t.LocalLanAccess)
	row("Authentication timeout", t.AuthenticationTimeout)
	row("IP protocols", fmt.Sprint(t.IPProtocolSupport))
	row("Certificate match", t.CertificateMatch != nil)
	row("Certificate pinning", fmt.Sprintf("%v (%d pins)", t.CertificatePinning, len(t.Pins)))
	row("Always-on", t.AutomaticVPNPolicy.AlwaysOn)
	src := t.Source
	if t.Manual {
		src = "typed in (not in a profile)"
	}
	row("Source", fmt.Sprintf("%s (%s)", dash(src), t.Class))
	return tw.Flush()
}

// protocolLine tells the profile's protocol (the Note row says what
// vpnc-go does with SSL).
func protocolLine(t *profile.Target) string {
	p := string(t.Protocol)
	if !t.ProtocolSet {
		p += " (the schema default: no PrimaryProtocol)"
	}
	return p
}

type validateJSON struct {
	File     string           `json:"file"`
	Valid    bool             `json:"valid"`
	Hosts    int              `json:"hosts"`
	Problems profile.Problems `json:"problems"`
}

var errInvalid = errors.New("invalid profile")

func runProfilesValidate(cmd *cobra.Command, f *profilesFlags, files []string) error {
	out := cmd.OutOrStdout()
	var results []validateJSON
	bad := 0
	for _, file := range files {
		p, probs := profile.ParseFile(file)
		r := validateJSON{File: file, Valid: p != nil && !probs.HasErrors(), Problems: probs}
		if r.Problems == nil {
			r.Problems = profile.Problems{}
		}
		if p != nil {
			r.Hosts = len(p.Hosts)
		}
		if !r.Valid {
			bad++
		}
		results = append(results, r)
		if f.json {
			continue
		}
		for _, pr := range probs {
			fmt.Fprintln(out, pr)
		}
		if r.Valid {
			fmt.Fprintf(out, "%s: ok, %d hosts\n", file, r.Hosts)
		}
	}
	if f.json {
		if err := writeJSON(out, results); err != nil {
			return err
		}
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d of %d files", errInvalid, bad, len(files))
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
