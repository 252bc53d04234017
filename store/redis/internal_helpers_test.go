package redis

import (
	"context"
	"io"
	"log/slog"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
)

// newInternalStore opens a Store on a private redis-server for the tests
// that look inside the package, and removes its keys and closes it at the
// test's end. It returns the client too, to inspect or tamper with Redis.
// Limits, when given, are the store's.
func newInternalStore(t *testing.T, limits ...store.Limits) (*Store, *goredis.Client) {
	t.Helper()
	c := redistest.Start(t).Client(t)
	prefix := redistest.Prefix(t)
	opts := Options{Prefix: prefix, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, l := range limits {
		opts.Limits = l
	}
	s, err := New(t.Context(), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		keys, _ := c.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(context.Background(), keys...)
		}
	})
	return s, c
}
