package layers

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/vpnc-go/vpnc-go/"

type pkg struct {
	ImportPath string
	Imports    []string // direct, non-test
	Deps       []string // transitive, non-test
}

// load lists every package of the module with its imports, as the go
// command sees them for this machine's build.
func load(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Imports,Deps", module+"...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func ours(paths []string) []string {
	var out []string
	for _, p := range paths {
		if rest, ok := strings.CutPrefix(p, module); ok {
			out = append(out, rest)
		}
	}
	return out
}

func under(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }

// frontEnds are the programs people use: they may import client (with its
// subpackages), profile and the command-line support packages, nothing
// of the protocol below.
var frontEnds = []string{"cmd/vpnc-go", "cmd/vpnc-go-gui", "gui"}

type rule struct{ pkg, forbidden, why string }

// shared are leaf packages under a forbidden root that every layer may use:
// esp/iana holds the IANA registry numbers the IKE codec and ESP share.
var shared = []string{"esp/iana"}

var rules = []rule{
	{"esp", "ikev2", "esp knows nothing of IKE"},
	{"ikev2", "esp", "the IKE core is sans-IO; the data plane is not its business"},
	{"ikev2", "client", "the protocol core does not know its users"},
	{"profile", "client", "profiles are data"},
	{"profile", "ikev2", "profiles are data"},
	{"cmd/internal/headend", "client", "the headend emulator is not a client"},
	{"client/dataplane", "client", "the shared data plane serves the headend too"},
}

// violations lists every broken rule: front ends by their direct imports,
// the layers by all they depend on. "client" forbids that package alone,
// any other name its subpackages too.
func violations(pkgs map[string]pkg) []string {
	var out []string
	for _, fe := range frontEnds {
		for _, imp := range ours(pkgs[fe].Imports) {
			if under(imp, "ikev2") || under(imp, "esp") || imp == "client/dataplane" {
				out = append(out, fe+" imports "+imp+": front ends reach the protocol only through client")
			}
		}
	}
	for name, p := range pkgs {
		for _, r := range rules {
			if !under(name, r.pkg) {
				continue
			}
			for _, dep := range ours(p.Deps) {
				if slices.Contains(shared, dep) {
					continue
				}
				if dep == r.forbidden || (r.forbidden != "client" && under(dep, r.forbidden)) {
					out = append(out, name+" depends on "+dep+": "+r.why)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestLayers(t *testing.T) {
	for _, v := range violations(load(t)) {
		t.Error(v)
	}
}

// TestViolationsSeen checks the checker on made-up packages.
func TestViolationsSeen(t *testing.T) {
	pkgs := map[string]pkg{
		"cmd/vpnc-go":          {Imports: []string{module + "client", module + "ikev2/eap"}},
		"esp":                  {Deps: []string{module + "ikev2/wire"}},
		"cmd/internal/headend": {Deps: []string{module + "client/dataplane", module + "client"}},
		"client":               {Deps: []string{module + "ikev2", module + "esp"}},
		"ikev2/wire":           {Deps: []string{module + "esp/iana"}},
		"ikev2":                {Deps: []string{module + "esp/iana", module + "esp"}},
	}
	got := violations(pkgs)
	want := []string{
		"cmd/internal/headend depends on client: the headend emulator is not a client",
		"cmd/vpnc-go imports ikev2/eap: front ends reach the protocol only through client",
		"esp depends on ikev2/wire: esp knows nothing of IKE",
		"ikev2 depends on esp: the IKE core is sans-IO; the data plane is not its business",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
