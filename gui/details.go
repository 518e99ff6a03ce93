package gui

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Detail is one line of the connection details: a label and its value.
type Detail struct{ Label, Value string }

// Details lists what the window shows of an up tunnel, in order; now
// gives the duration.
func (v *View) Details(now time.Time) []Detail {
	s := v.Settings
	if s == nil {
		return nil
	}
	var out []Detail
	add := func(label, value string) {
		if value != "" {
			out = append(out, Detail{label, value})
		}
	}
	if !v.Since.IsZero() {
		add("Duration", Duration(now.Sub(v.Since)))
	}
	if s.Headend.IsValid() {
		add("Headend", s.Headend.String())
	}
	var addrs []string
	for _, p := range []netip.Prefix{s.Address4, s.Address6} {
		if p.IsValid() {
			addrs = append(addrs, p.String())
		}
	}
	add("Address", strings.Join(addrs, ", "))
	add("Routes", joinStrings(s.Routes))
	if len(s.Routes) == 0 {
		add("Routes", "all traffic")
	}
	add("Kept off the tunnel", joinStrings(s.Exclude))
	add("DNS servers", joinStrings(s.DNS))
	add("DNS domains", strings.Join(s.Domains, ", "))
	add("IKE", s.IKESuite)
	add("ESP", s.ESPSuite)
	if s.Device != "" {
		add("Device", fmt.Sprintf("%s (MTU %d)", s.Device, s.MTU))
	}
	add("Sent", Traffic(v.Stats.BytesOut, v.Stats.PacketsOut))
	add("Received", Traffic(v.Stats.BytesIn, v.Stats.PacketsIn))
	return out
}

// DetailsText is the details as the Copy button puts them on the
// clipboard: one "label: value" a line.
func (v *View) DetailsText(now time.Time) string {
	var b strings.Builder
	b.WriteString(v.Line + "\n")
	for _, d := range v.Details(now) {
		fmt.Fprintf(&b, "%s: %s\n", d.Label, d.Value)
	}
	if v.ErrorDetail != "" {
		fmt.Fprintf(&b, "Last error: %s\n", v.ErrorDetail)
	}
	return b.String()
}

func joinStrings[T fmt.Stringer](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}

// Duration words a duration as a clock: 1:02:03, or 2:03 under an hour.
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Traffic words a byte and packet count: "1.5 MB (1,204 packets)".
func Traffic(bytes, packets uint64) string {
	unit, div := "bytes", 1.0
	switch {
	case bytes >= 1<<30:
		unit, div = "GB", 1<<30
	case bytes >= 1<<20:
		unit, div = "MB", 1<<20
	case bytes >= 1<<10:
		unit, div = "kB", 1<<10
	}
	size := fmt.Sprintf("%d %s", bytes, unit)
	if div > 1 {
		size = fmt.Sprintf("%.1f %s", float64(bytes)/div, unit)
	}
	word := "packets"
	if packets == 1 {
		word = "packet"
	}
	return fmt.Sprintf("%s (%s %s)", size, thousands(packets), word)
}

func thousands(n uint64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
