package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProfileWhileWritesProfilesUntilStopped(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("seconds") != "1" {
			http.Error(w, "want seconds=1", http.StatusBadRequest)
			return
		}
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte("profile"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	dir := t.TempDir()
	tg := &target{name: "api-redis, shipped defaults", debugAddr: strings.TrimPrefix(srv.URL, "http://")}
	stop := profileWhile(context.Background(), tg, filepath.Join(dir, safeName("S2-"+tg.name+"-run1")))
	time.Sleep(100 * time.Millisecond)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "S2-api-redis-shipped-defaults-run1-*.pprof"))
	if len(files) < 2 {
		t.Fatalf("got %v, want two profiles or more", files)
	}
	for _, f := range files {
		if b, _ := os.ReadFile(f); string(b) != "profile" {
			t.Errorf("%s holds %q", f, b)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if later, _ := filepath.Glob(filepath.Join(dir, "*")); len(later) != len(files) {
		t.Errorf("%d profiles after stop returned, %d when it did", len(later), len(files))
	}
	// The relay has no pprof page: nothing to do.
	if err := profileWhile(context.Background(), &target{name: "relay"}, filepath.Join(dir, "relay"))(); err != nil {
		t.Fatal(err)
	}
}
