package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// A Redis that cannot serve a write now (out of memory under noeviction,
// short of the replicas min-replicas-to-write asks for, busy with a long
// script) answers an error that says so; the store must answer
// ErrUnavailable, which clients retry, never a plain error (a 500).
func TestCannotServeNowIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := privateServer(t)
	s := newStore(t, srv, redis.Options{})
	admin := srv.Client(t)
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	from := creds(ch.Port1)

	check := func(what string) {
		t.Helper()
		if _, err := s.Post(ctx, from, store.Outgoing{Data: []byte(`"x"`)}); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: post: %v, want ErrUnavailable", what, err)
		}
		if _, err := s.Transfer(ctx, from); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: transfer: %v, want ErrUnavailable", what, err)
		}
		if _, err := s.CreateChannel(ctx, ""); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: create: %v, want ErrUnavailable", what, err)
		}
	}

	// Out of memory, with the default policy noeviction.
	if err := admin.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	check("maxmemory 1 byte")
	if err := admin.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}

	// Fewer replicas than min-replicas-to-write.
	if err := admin.ConfigSet(ctx, "min-replicas-to-write", "1").Err(); err != nil {
		t.Fatal(err)
	}
	check("min-replicas-to-write 1 without replicas")
	if err := admin.ConfigSet(ctx, "min-replicas-to-write", "0").Err(); err != nil {
		t.Fatal(err)
	}

	// A script that runs past busy-reply-threshold.
	if err := admin.ConfigSet(ctx, "busy-reply-threshold", "10").Err(); err != nil {
		t.Fatal(err)
	}
	looping := srv.Client(t)
	done := make(chan error, 1)
	go func() { done <- looping.Eval(context.Background(), "while true do end", nil).Err() }()
	for {
		err := admin.Ping(ctx).Err()
		if goredis.HasErrorPrefix(err, "BUSY") {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the looping script ended: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	check("a script running past busy-reply-threshold")
	if err := admin.ScriptKill(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	<-done

	// Able to serve again, the same store works.
	if _, err := s.Post(ctx, from, store.Outgoing{Data: []byte(`"x"`)}); err != nil {
		t.Errorf("post once Redis can serve: %v", err)
	}
}
