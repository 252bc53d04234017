package redis_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
	"github.com/tincan-dev/tincan/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, limits store.Limits) store.Store {
		return newStore(t, shared, redis.Options{Limits: limits, Timeout: conformanceTimeout})
	})
}

// conformanceTimeout is the time bound of a round trip in the stores the
// conformance suite runs on (the default is 2 s): generous, as the suite
// is about answers, and a round trip took longer than 2 s on a loaded
// machine running the whole suite. The tests of outages (TestUnavailable
// and others) keep the default.
const conformanceTimeout = 10 * time.Second

// newStore returns a Store on srv with a prefix of its own, closed and
// its keys deleted at the end of t.
func newStore(t *testing.T, srv *redistest.Server, opts redis.Options) *redis.Store {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = redistest.Prefix(t)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := client(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := redis.New(ctx, c, opts)
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		deleteKeys(t, c, opts.Prefix)
	})
	return s
}

// client returns a client for srv, closed at the end of t (after the
// stores made on it, whose cleanups run first).
func client(t *testing.T, srv *redistest.Server) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// keysWithPrefix returns every key starting with prefix.
func keysWithPrefix(t *testing.T, c goredis.UniversalClient, prefix string) []string {
	t.Helper()
	var out []string
	iter := c.Scan(context.Background(), 0, globEscape(prefix)+"*", 1000).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Logf("scan %s*: %v", prefix, err)
	}
	return out
}

func deleteKeys(t *testing.T, c goredis.UniversalClient, prefix string) {
	for _, k := range keysWithPrefix(t, c, prefix) {
		c.Del(context.Background(), k)
	}
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}
