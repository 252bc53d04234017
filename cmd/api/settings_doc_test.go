package main

//go:generate go test -run ^TestSettingsDoc$ -update

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/internal/docgen"
)

var updateDocs = flag.Bool("update", false, "write the generated table of docs/SETTINGS.md (go generate ./cmd/api)")

// settingsDoc is the settings reference.
const settingsDoc = "../../docs/SETTINGS.md"

// noteHeading is a note's heading in docs/SETTINGS.md: the names of the
// settings it is about, each in backticks, comma-separated.
var noteHeading = regexp.MustCompile("^`[A-Z][A-Z0-9_]+`(?:, `[A-Z][A-Z0-9_]+`)*$")

// TestSettingsDoc keeps docs/SETTINGS.md's table the loader's own: every
// setting the service reads, in the loader's order, with the default and
// meaning that -help prints, linked to its note when the document has
// one. A setting added, removed or changed without the table fails, and
// `go generate ./cmd/api` writes it again; a note left for a setting that
// went fails too.
func TestSettingsDoc(t *testing.T) {
	list := settings()
	var names []string
	for _, s := range list {
		names = append(names, s.name)
	}
	var read []string
	if _, err := loadConfig(func(key string) string {
		read = append(read, key)
		return ""
	}); err != nil {
		t.Fatalf("the defaults do not load: %v", err)
	}
	for _, key := range read {
		if !slices.Contains(names, key) {
			t.Errorf("%s is read but not through the loader's readers, so neither -help nor docs/SETTINGS.md lists it", key)
		}
	}

	md, err := os.ReadFile(settingsDoc)
	if err != nil {
		t.Fatal(err)
	}
	notes, notNotes := docgen.Notes(string(md), func(text string) ([]string, bool) {
		if !noteHeading.MatchString(text) {
			return nil, false
		}
		var ns []string
		for name := range strings.SplitSeq(text, ", ") {
			ns = append(ns, strings.Trim(name, "`"))
		}
		return ns, true
	})
	for _, h := range notNotes {
		t.Errorf("docs/SETTINGS.md: the heading %q is no note: a note's heading names settings, each in backticks, comma-separated", h)
	}
	for name := range notes {
		if !slices.Contains(names, name) {
			t.Errorf("docs/SETTINGS.md has a note on %s, which the service does not read", name)
		}
	}
	docgen.Sync(t, settingsDoc, "settings", settingsTable(list, notes), "go generate ./cmd/api", *updateDocs)
}

// settingsTable is the Markdown table of the settings, each name linked
// to its note (notes maps a name to the note's anchor) when it has one.
func settingsTable(list []setting, notes map[string]string) string {
	var b strings.Builder
	b.WriteString("| Variable | Default | Meaning |\n|---|---|---|\n")
	for _, s := range list {
		name := "`" + s.name + "`"
		if a, ok := notes[s.name]; ok {
			name = "[" + name + "](#" + a + ")"
		}
		def := "*(empty)*"
		if s.def != "" {
			def = "`" + s.def + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, def, strings.ReplaceAll(s.meaning, "|", `\|`))
	}
	return b.String()
}
