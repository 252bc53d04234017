// Package docgen keeps tincan's Markdown documents true to the code. A
// document's generated part sits between two marker comments,
//
//	<!-- begin NAME: how to regenerate it -->
//	...
//	<!-- end NAME -->
//
// and a test renders it from the code it documents (the settings from the
// config loader, the problem codes from the problem table): Sync fails the
// test while the committed part differs, or, asked to update, writes it.
// Headings and Links read a document the way GitHub renders it, for the
// tests that check its anchors and relative links.
package docgen

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// Sync checks that the part named name of the Markdown file at path is
// want, or, when update is set, writes want there. The file must hold the
// part's two markers, begin (which may say how to regenerate the part)
// and end; everything outside them is left as it is. regenerate is the
// command a stale part's failure tells the reader to run.
func Sync(t testing.TB, path, name, want, regenerate string, update bool) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	begin := regexp.MustCompile(`(?m)^<!-- begin ` + regexp.QuoteMeta(name) + `(?::[^\n]*)? -->\n`)
	end := "<!-- end " + name + " -->\n"
	loc := begin.FindStringIndex(doc)
	if loc == nil {
		t.Fatalf("%s has no line <!-- begin %s ... --> to mark where its generated part starts", path, name)
	}
	stop := strings.Index(doc[loc[1]:], end)
	if stop < 0 {
		t.Fatalf("%s has no line %q after its begin marker", path, strings.TrimSpace(end))
	}
	stop += loc[1]
	if doc[loc[1]:stop] == want {
		return
	}
	if !update {
		t.Fatalf("%s: the part between the %s markers is stale; run %s and commit the result", path, name, regenerate)
	}
	if err := os.WriteFile(path, []byte(doc[:loc[1]]+want+doc[stop:]), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: wrote the part between the %s markers", path, name)
}

// Heading is one heading of a Markdown document.
type Heading struct {
	// Level is the number of #s.
	Level int
	// Text is the heading as written, markup included.
	Text string
	// Anchor is the fragment GitHub links the heading at.
	Anchor string
}

// Notes returns the anchors of md's notes (its level-3 headings) by the
// names each heading gives: names(heading text) lists them, or reports
// false for a heading that is no note. A generated reference links each
// table row to its note this way.
func Notes(md string, names func(text string) ([]string, bool)) (anchors map[string]string, notNotes []string) {
	anchors = map[string]string{}
	for _, h := range Headings(md) {
		if h.Level != 3 {
			continue
		}
		ns, ok := names(h.Text)
		if !ok {
			notNotes = append(notNotes, h.Text)
			continue
		}
		for _, n := range ns {
			anchors[n] = h.Anchor
		}
	}
	return anchors, notNotes
}

// atxHeading is a heading line: #s, a space, the text.
var atxHeading = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)

// Headings returns md's headings, outside fenced code blocks, in order,
// with their anchors as GitHub makes them: a repeated anchor gets -1, -2
// and so on.
func Headings(md string) []Heading {
	var hs []Heading
	seen := map[string]int{}
	for _, line := range prose(md) {
		m := atxHeading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		a := Anchor(m[2])
		if n := seen[a]; n > 0 {
			seen[a]++
			a += "-" + strconv.Itoa(n)
		} else {
			seen[a] = 1
		}
		hs = append(hs, Heading{Level: len(m[1]), Text: m[2], Anchor: a})
	}
	return hs
}

// inlineLink is a link or image, [text](target) or [text](target "title");
// group 1 is the target.
var inlineLink = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^()\s]+)(?:\s+"[^"]*")?\)`)

// codeSpan is an inline code span, whose brackets are no link.
var codeSpan = regexp.MustCompile("`[^`]*`")

// Anchor returns the fragment GitHub gives a heading whose text is text:
// the text as rendered (a link's text, no markup), lower-cased, with
// every character but letters, digits, spaces, hyphens and underscores
// dropped and each space made a hyphen.
func Anchor(text string) string {
	text = inlineLink.ReplaceAllStringFunc(text, func(l string) string {
		return l[strings.Index(l, "[")+1 : strings.LastIndex(l, "](")]
	})
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Links returns the targets of md's inline links and images, outside
// fenced code blocks and code spans, in order.
func Links(md string) []string {
	var targets []string
	for _, line := range prose(md) {
		line = codeSpan.ReplaceAllString(line, "``")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
	}
	return targets
}

// prose returns md's lines outside fenced code blocks.
func prose(md string) []string {
	var lines []string
	fence := ""
	for line := range strings.SplitSeq(md, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
			}
		case strings.HasPrefix(trimmed, "```"), strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
			for len(fence) < len(trimmed) && trimmed[len(fence)] == fence[0] {
				fence += fence[:1]
			}
		default:
			lines = append(lines, line)
		}
	}
	return lines
}
