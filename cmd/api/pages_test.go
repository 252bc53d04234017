package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/web"
)

// TestRunServesPages checks that the service as run() builds it serves
// the embedded pages: the demo page at /, the reference at /docs, and
// every file of web/static at its path.
func TestRunServesPages(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := newSyncBuffer(t)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"api"}, env(map[string]string{"ADDR": addr}), logs)
	}()
	base := "http://" + addr
	waitHealthy(t, base, logs)

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

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}
