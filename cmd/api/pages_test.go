package main

import (
	"io"
	"io/fs"
	"net/http"
	"testing"

	"github.com/tincan-dev/tincan/web"
)

// TestRunServesPages checks that the service as run() builds it serves
// the embedded pages: the demo page at /, the reference at /docs, and
// every file of web/static at its path.
func TestRunServesPages(t *testing.T) {
	base, _, _ := startRun(t, "http", nil, nil)

	files := web.Static()
	want := map[string]string{"/": "index.html", "/docs": "docs.html"}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			want["/"+name] = name
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, name := range want {
		body, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || string(got) != string(body) {
			t.Errorf("GET %s: %d, %d bytes (%v); want %s, %d bytes", path, res.StatusCode, len(got), err, name, len(body))
		}
	}
	res, err := http.Get(base + "/docs/errors")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("GET /docs/errors: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
