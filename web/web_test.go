package web

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
)

// TestVendoredRedoc checks that the vendored renderer is the version
// web/vendor.sh pins, and that its license travels with it.
func TestVendoredRedoc(t *testing.T) {
	script, err := os.ReadFile("vendor.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^REDOC_VERSION=(\S+)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("web/vendor.sh pins no REDOC_VERSION")
	}
	pinned := m[1]

	files := Static()
	version, err := fs.ReadFile(files, "vendor/redoc/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte("redoc@"), pinned...); !bytes.Equal(bytes.TrimSpace(version), want) {
		t.Errorf("vendor/redoc/VERSION says %q, vendor.sh pins %s", bytes.TrimSpace(version), want)
	}
	bundle, err := fs.ReadFile(files, "vendor/redoc/redoc.standalone.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(bundle[:min(len(bundle), 400)], append([]byte("Version: "), pinned...)) {
		t.Errorf("redoc.standalone.js does not say it is version %s", pinned)
	}
	license, err := fs.ReadFile(files, "vendor/redoc/LICENSE")
	if err != nil {
		t.Fatalf("Redoc's license is not next to it: %v", err)
	}
	if !bytes.Contains(license, []byte("MIT License")) {
		t.Errorf("vendor/redoc/LICENSE is not Redoc's MIT license:\n%s", license)
	}
}

// TestStaticHasThePages checks that the files the routes name (/ and
// /docs) are there, and so is every file a page or script of web/static
// loads: a <script src>, a <link href> or a module's import.
func TestStaticHasThePages(t *testing.T) {
	files := Static()
	for _, name := range []string{"index.html", "docs.html"} {
		if b, err := fs.ReadFile(files, name); err != nil || len(b) == 0 {
			t.Errorf("web/static/%s: %v (%d bytes)", name, err, len(b))
		}
	}
	loads := map[string]*regexp.Regexp{
		".html": regexp.MustCompile(`<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"`),
		".js":   regexp.MustCompile(`(?m)^import\b[^'"]*['"]([^'"]+)['"]`),
	}
	checked := 0
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(name, "vendor/") {
			return err
		}
		re := loads[path.Ext(name)]
		if re == nil {
			return nil
		}
		src, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(src, -1) {
			ref := string(m[1])
			if strings.HasPrefix(ref, "data:") || strings.Contains(ref, "//") {
				continue // inline, or another origin (which the CSP refuses anyway)
			}
			target := strings.TrimPrefix(ref, "/")
			if !strings.HasPrefix(ref, "/") {
				target = path.Join(path.Dir(name), ref)
			}
			checked++
			if _, err := fs.Stat(files, target); err != nil {
				t.Errorf("web/static/%s loads %s, which web/static lacks (%v)", name, ref, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("found no file that a page loads: the patterns above no longer match the pages")
	}
}
