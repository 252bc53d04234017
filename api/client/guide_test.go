package client_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestGuideGoExample keeps docs/GUIDE.md's Go example true: its code block
// under "## Go client" must be the function hello of example_test.go,
// which ExampleClientWithResponses compiles and runs against a real
// tincan.
func TestGuideGoExample(t *testing.T) {
	guide, err := os.ReadFile("../../docs/GUIDE.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(guide), "\n## Go client\n")
	if !ok {
		t.Fatal(`docs/GUIDE.md has no "## Go client" section`)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	_, block, ok := strings.Cut(section, "\n```go\n")
	if !ok {
		t.Fatal(`docs/GUIDE.md's "## Go client" has no go code block`)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		t.Fatal(`docs/GUIDE.md's "## Go client" code block does not end`)
	}

	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "example_test.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "hello" {
			// From the func keyword, leaving out the doc comment that
			// speaks of the guide.
			want = string(src[fset.Position(fn.Type.Pos()).Offset:fset.Position(fn.End()).Offset])
		}
	}
	if want == "" {
		t.Fatal("example_test.go has no func hello")
	}
	if block != want {
		t.Errorf("docs/GUIDE.md's Go example differs from func hello in api/client/example_test.go; make them the same.\nGUIDE.md:\n%s\nexample_test.go:\n%s", block, want)
	}
}
