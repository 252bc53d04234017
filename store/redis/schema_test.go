package redis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/migrations"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

func schemaOf(t *testing.T, c *goredis.Client, prefix string) string {
	t.Helper()
	v, err := c.Get(t.Context(), prefix+"schema").Result()
	if err != nil {
		t.Fatalf("schema key: %v", err)
	}
	return v
}

// TestMigrationsIdempotent: starting again on a migrated schema changes
// nothing and succeeds.
func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	c := client(t, shared)
	for range 3 {
		s := newStore(t, shared, redis.Options{Prefix: prefix})
		if err := s.Ready(t.Context()); err != nil {
			t.Fatalf("Ready: %v", err)
		}
	}
	if v := schemaOf(t, c, prefix); v != fmt.Sprint(migrations.Version) {
		t.Errorf("schema %s, want %d", v, migrations.Version)
	}
}

// TestMigrationsConcurrent: instances starting at once all succeed.
func TestMigrationsConcurrent(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	c := client(t, shared)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			s, err := redis.New(t.Context(), client(t, shared), redis.Options{Prefix: prefix})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent New: %v", err)
		}
	}
	if v := schemaOf(t, c, prefix); v != fmt.Sprint(migrations.Version) {
		t.Errorf("schema %s, want %d", v, migrations.Version)
	}
	deleteKeys(t, c, prefix)
}

// TestMigrationsRefuseNewerSchema: a build does not start on a schema a
// newer build wrote, and says which versions are involved; a running
// store stops being ready when that happens under it.
func TestMigrationsRefuseNewerSchema(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	c := client(t, shared)
	s := newStore(t, shared, redis.Options{Prefix: prefix})
	newer := migrations.Version + 1
	if err := c.Set(t.Context(), prefix+"schema", newer, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(t.Context()); err == nil {
		t.Error("Ready on a newer schema: no error")
	}
	_, err := redis.New(t.Context(), c, redis.Options{Prefix: prefix})
	if err == nil {
		t.Fatal("New on a newer schema: no error")
	}
	for _, v := range []int{newer, migrations.Version} {
		if !strings.Contains(err.Error(), fmt.Sprint(v)) {
			t.Errorf("error %q does not name version %d", err, v)
		}
	}
}

// TestPrefixWithBracesRefused: braces in the prefix would break the hash
// tags that keep a channel in one slot.
func TestPrefixWithBracesRefused(t *testing.T) {
	t.Parallel()
	if _, err := redis.New(t.Context(), client(t, shared), redis.Options{Prefix: "a{b}:"}); err == nil {
		t.Error("New accepted a prefix with braces")
	}
}

// TestUnavailable: with the server gone, calls fail with ErrUnavailable.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	srv := privateServer(t)
	s := newStore(t, srv, redis.Options{})
	ch, err := s.CreateChannel(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err = s.Post(ctx, creds(ch.Port1), store.Outgoing{Data: []byte(`1`)})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Post with the server down: %v, want ErrUnavailable", err)
	}
	if err := s.Ready(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ready with the server down: %v, want ErrUnavailable", err)
	}
}
