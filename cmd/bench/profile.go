package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
)

// profileWhile collects CPU profiles of t's first instance from its pprof
// page, one second each, back to back, until the returned stop is called;
// they are written as prefix-001.pprof, prefix-002.pprof, ... and go tool
// pprof reads them together (go tool pprof -top prefix-*.pprof). The
// profiling itself costs the server a little CPU, so figures of a run with
// it are not comparable with those of one without. A target without a
// pprof page (the relay) gets none.
func profileWhile(ctx context.Context, t *target, prefix string) (stop func() error) {
	if t.debugAddr == "" || prefix == "" {
		return func() error { return nil }
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var err error
	wg.Go(func() {
		client := &http.Client{}
		for n := 1; ctx.Err() == nil; n++ {
			path := fmt.Sprintf("%s-%03d.pprof", prefix, n)
			if e := fetchProfile(ctx, client, t.debugAddr, path); e != nil {
				if ctx.Err() == nil {
					err = e
				}
				return
			}
		}
	})
	return func() error {
		cancel()
		wg.Wait()
		return err
	}
}

// fetchProfile writes one second of the server's CPU profile to path. A
// profile cut short by ctx is not written.
func fetchProfile(ctx context.Context, client *http.Client, addr, path string) error {
	page, err := debugGet(ctx, &clients{post: client}, addr, "/debug/pprof/profile?seconds=1")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(page), 0o644)
}
