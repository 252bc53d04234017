package redis_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// tripCounter counts the round trips a client makes for scripts: one per
// command sent alone, one per pipeline of scripts, and the scripts the
// pipelines carried.
type tripCounter struct {
	mu        sync.Mutex
	on        bool
	single    []string
	pipelines int
	piped     int
}

func (h *tripCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *tripCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.mu.Lock()
		if h.on && cmd.Name() != "hello" && cmd.Name() != "client" {
			// (A new connection's handshake is not the broadcast's.)
			h.single = append(h.single, cmd.Name())
		}
		h.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (h *tripCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		h.mu.Lock()
		if h.on {
			// Only pipelines of scripts: go-redis also pipelines the
			// handshake of a new connection.
			scripts := 0
			for _, c := range cmds {
				if c.Name() == "evalsha" || c.Name() == "eval" {
					scripts++
				}
			}
			if scripts > 0 {
				h.pipelines++
				h.piped += scripts
			}
		}
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (h *tripCounter) count(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.on = on
}

// TestBroadcastIsPipelined: a broadcast to 1,200 members sends their
// 1,200 posts in a few pipelines (500 a pipeline), not a round trip each,
// on a fresh Redis whose scripts are not loaded yet.
func TestBroadcastIsPipelined(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, "--save", "") // a server of its own: only our commands
	c := srv.Client(t)
	hook := &tripCounter{}
	c.AddHook(hook)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	s, err := redis.New(ctx, c, redis.Options{
		Prefix:        redistest.Prefix(t),
		SweepInterval: time.Hour,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	coll, err := s.CreateCollection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1200
	for range n {
		ch, err := s.CreateChannel(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMember(ctx, coll.ID, coll.Token, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}); err != nil {
			t.Fatal(err)
		}
	}
	hook.count(true)
	res, err := s.Broadcast(ctx, coll.ID, coll.Token, store.Outgoing{Data: json.RawMessage(`"all"`)})
	hook.count(false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Delivered) != n || len(res.Refused) != 0 {
		t.Fatalf("%d delivered, %d refused", len(res.Delivered), len(res.Refused))
	}
	// The member list (EVALSHA, then EVAL on a fresh server), SCRIPT LOAD
	// of post.lua, and three pipelines of posts.
	if hook.pipelines != 3 || hook.piped != n || len(hook.single) > 3 {
		t.Errorf("%d pipelines carrying %d commands, and %v alone; want 3 pipelines carrying %d, and at most 3 alone",
			hook.pipelines, hook.piped, hook.single, n)
	}
}
