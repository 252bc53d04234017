// Package docs holds tincan's documents; this test keeps their links good.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/internal/docgen"
)

// external is a link with a scheme (https:, mailto:) or a host: not ours
// to check.
var external = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]*:|//)`)

// TestLinks checks that every relative link of README.md, CHANGELOG.md and
// docs/*.md names a file or directory of the repository and, when it has
// a #fragment into a Markdown file, one of that file's headings.
func TestLinks(t *testing.T) {
	docs, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, "../README.md", "../CHANGELOG.md")
	anchors := map[string]map[string]bool{} // Markdown file -> its anchors
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		md, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		a := map[string]bool{}
		for _, h := range docgen.Headings(string(md)) {
			a[h.Anchor] = true
		}
		anchors[path] = a
		return a
	}
	checked := 0
	for _, doc := range docs {
		md, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, link := range docgen.Links(string(md)) {
			if external.MatchString(link) {
				continue
			}
			checked++
			target, fragment, _ := strings.Cut(link, "#")
			path := doc
			if target != "" {
				path = filepath.Join(filepath.Dir(doc), filepath.FromSlash(target))
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which does not exist", doc, link)
				continue
			}
			if fragment != "" && strings.HasSuffix(path, ".md") && !anchorsOf(path)[fragment] {
				t.Errorf("%s links to %s: %s has no heading with the anchor #%s", doc, link, path, fragment)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative link found: is the Markdown read at all?")
	}
}
