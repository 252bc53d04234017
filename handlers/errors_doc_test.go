package handlers

//go:generate go test -run ^TestErrorsDoc$ -update

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/internal/docgen"
)

var updateDocs = flag.Bool("update", false, "write the generated table of docs/ERRORS.md (go generate ./handlers)")

// errorsDoc is the problem codes' reference.
const errorsDoc = "../docs/ERRORS.md"

// codeHeading is a note's heading in docs/ERRORS.md: one problem code.
var codeHeading = regexp.MustCompile("^`([a-z_]+)`$")

// TestErrorsDoc keeps docs/ERRORS.md's table the problem table's own, as
// /docs/errors is: every code, by status, with its title and every detail
// it is answered with, linked to its note when the document has one. A
// row of problemKinds added, removed or changed without the table fails,
// and `go generate ./handlers` writes it again; a note left for a code
// that went fails too.
func TestErrorsDoc(t *testing.T) {
	docs := problemDocs()
	md, err := os.ReadFile(errorsDoc)
	if err != nil {
		t.Fatal(err)
	}
	notes, notNotes := docgen.Notes(string(md), func(text string) ([]string, bool) {
		m := codeHeading.FindStringSubmatch(text)
		if m == nil {
			return nil, false
		}
		return m[1:], true
	})
	for _, h := range notNotes {
		t.Errorf("docs/ERRORS.md: the heading %q is no note: a note's heading is one code, in backticks", h)
	}
	for code := range notes {
		known := false
		for _, d := range docs {
			known = known || d.Code == code
		}
		if !known {
			t.Errorf("docs/ERRORS.md has a note on %s, which is no problem code", code)
		}
	}
	docgen.Sync(t, errorsDoc, "errors", errorsTable(docs, notes), "go generate ./handlers", *updateDocs)
}

// errorsTable is the Markdown table of the problem codes, each linked to
// its note (notes maps a code to the note's anchor) when it has one.
func errorsTable(docs []problemDoc, notes map[string]string) string {
	var b strings.Builder
	b.WriteString("| Code | Status | Title | Meaning |\n|---|---|---|---|\n")
	for _, d := range docs {
		code := "`" + d.Code + "`"
		if a, ok := notes[d.Code]; ok {
			code = "[" + code + "](#" + a + ")"
		}
		meaning := strings.ReplaceAll(strings.Join(d.Meanings, "<br>"), "|", `\|`)
		fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", code, d.Status, d.Title, meaning)
	}
	return b.String()
}
