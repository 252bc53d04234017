package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestProfileWhileWritesProfilesUntilStopped(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("seconds") != "1" {
			http.Error(w, "want seconds=1", http.StatusBadRequest)
			return
		}
		w.Write([]byte("profile"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	dir := t.TempDir()
	tg := &target{name: "api-redis, shipped defaults", debugAddr: strings.TrimPrefix(srv.URL, "http://")}
	stop := profileWhile(context.Background(), tg, filepath.Join(dir, safeName("S2-"+tg.name+"-run1")))
	pattern := filepath.Join(dir, "S2-api-redis-shipped-defaults-run1-*.pprof")
	for files, _ := filepath.Glob(pattern); len(files) < 2; files, _ = filepath.Glob(pattern) {
		if t.Context().Err() != nil {
			t.Fatalf("got %v, want two profiles or more", files)
		}
		runtime.Gosched()
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(pattern)
	for _, f := range files {
		if b, _ := os.ReadFile(f); string(b) != "profile" {
			t.Errorf("%s holds %q", f, b)
		}
	}
	// stop returns once its goroutine has ended: nothing is written after.
	if later, _ := filepath.Glob(filepath.Join(dir, "*")); len(later) != len(files) {
		t.Errorf("%d files in the directory, %d profiles", len(later), len(files))
	}
	// The relay has no pprof page: nothing to do.
	if err := profileWhile(context.Background(), &target{name: "relay"}, filepath.Join(dir, "relay"))(); err != nil {
		t.Fatal(err)
	}
}
