package web

import (
	"bytes"
	"io/fs"
	"os"
	"regexp"
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

// TestStaticHasThePages checks that the files the routes name are there.
func TestStaticHasThePages(t *testing.T) {
	for _, name := range []string{"index.html", "docs.html", "demo.js", "docs.js", "style.css"} {
		if b, err := fs.ReadFile(Static(), name); err != nil || len(b) == 0 {
			t.Errorf("web/static/%s: %v (%d bytes)", name, err, len(b))
		}
	}
}
