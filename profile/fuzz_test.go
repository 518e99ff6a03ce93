package profile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that errors always come
// with a problem and that problems always name the file.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"good", "user", "explicit", "bad"} {
		files, _ := filepath.Glob(filepath.Join(tdir, dir, "*.xml"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, probs := Parse("f.xml", data)
		if p == nil && !probs.HasErrors() {
			t.Fatalf("nil profile without an error")
		}
		for _, pr := range probs {
			if pr.File != "f.xml" || pr.Message == "" {
				t.Fatalf("bad problem %+v", pr)
			}
		}
		if p != nil && !probs.HasErrors() {
			c := &Catalog{Files: []FileResult{{Path: "f.xml", Profile: p, Used: true}}}
			for _, h := range p.Hosts {
				c.Entries = append(c.Entries, Entry{HostEntry: h, Source: "f.xml", Profile: p, Supported: h.Protocol == ProtocolIPsec})
				c.Lookup(h.Name)
				c.Lookup(h.Address.String())
			}
		}
	})
}
