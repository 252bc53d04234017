package docgen

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestAnchor(t *testing.T) {
	for text, want := range map[string]string{
		"Run it":                              "run-it",
		"Redis: replicas and evictions":       "redis-replicas-and-evictions",
		"`REDIS_WAIT_REPLICAS`":               "redis_wait_replicas",
		"S6 broadcast":                        "s6-broadcast",
		"The Web API, mapped":                 "the-web-api-mapped",
		"[Go client](../api/client) in Go":    "go-client-in-go",
		"Where a `store` rule goes (and why)": "where-a-store-rule-goes-and-why",
	} {
		if got := Anchor(text); got != want {
			t.Errorf("Anchor(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestHeadingsAndLinks(t *testing.T) {
	md := "# T\n\nSee [a](A.md#x), ![i](img/i.png) and `[not](a link)`.\n\n" +
		"```sh\n# not a heading\n[nor](this)\n```\n\n## Notes\n\n### Notes\n"
	var anchors []string
	for _, h := range Headings(md) {
		anchors = append(anchors, h.Anchor)
	}
	if want := []string{"t", "notes", "notes-1"}; !slices.Equal(anchors, want) {
		t.Errorf("anchors %q, want %q", anchors, want)
	}
	if got, want := Links(md), []string{"A.md#x", "img/i.png"}; !slices.Equal(got, want) {
		t.Errorf("links %q, want %q", got, want)
	}
}

// Sync writes only between the markers, and then finds the part fresh.
func TestSync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.md")
	const before = "intro\n<!-- begin part: go generate -->\nold\n<!-- end part -->\noutro\n"
	if err := os.WriteFile(path, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	Sync(t, path, "part", "new\n", "go generate", true)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "intro\n<!-- begin part: go generate -->\nnew\n<!-- end part -->\noutro\n"; string(got) != want {
		t.Errorf("after Sync:\n%s\nwant:\n%s", got, want)
	}
	Sync(t, path, "part", "new\n", "go generate", false)
}
