package redis_test

import (
	"context"
	"encoding/json"
	"errors"
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
	const n = 1200
	coll := collectionOf(t, s, n)
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

// errorLog keeps the error records a logger is given.
type errorLog struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *errorLog) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelError }

func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

// TestBroadcastStoreFailures: members whose posts fail for a reason not
// about them (here a channel key that is not a hash, so that post.lua
// errors) are reported unavailable, the other members are reached, and
// the failures are logged once for the broadcast, not once a member.
func TestBroadcastStoreFailures(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := shared.Client(t)
	log := &errorLog{}
	prefix := redistest.Prefix(t)
	s := newStore(t, shared, redis.Options{Prefix: prefix, Logger: slog.New(log)})
	coll, err := s.CreateCollection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const broken = 3
	var good string
	for i := range broken + 1 {
		ch, err := s.CreateChannel(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMember(ctx, coll.ID, coll.Token, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}); err != nil {
			t.Fatal(err)
		}
		if i == broken {
			good = ch.Port1.ID
			continue
		}
		if err := c.Set(ctx, prefix+"{"+store.Tag(ch.ID)+"}:channel", "not a hash", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Broadcast(ctx, coll.ID, coll.Token, store.Outgoing{Data: json.RawMessage(`"hi"`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Delivered) != 1 || res.Delivered[0].Port != good || len(res.Refused) != broken {
		t.Fatalf("%+v, want %s delivered and %d refused", res, good, broken)
	}
	for _, r := range res.Refused {
		if r.Reason != store.BroadcastUnavailable {
			t.Errorf("%s refused as %s, want unavailable", r.Port, r.Reason)
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.records) != 1 {
		t.Fatalf("%d error records, want one for the broadcast", len(log.records))
	}
	var members int64
	log.records[0].Attrs(func(a slog.Attr) bool {
		if a.Key == "members" {
			members = a.Value.Int64()
		}
		return true
	})
	if members != broken {
		t.Errorf("the record counts %d failed members, want %d", members, broken)
	}
}

// cancelOnPosts cancels a context as a pipeline of scripts starts.
type cancelOnPosts struct{ cancel context.CancelFunc }

func (h cancelOnPosts) DialHook(next goredis.DialHook) goredis.DialHook          { return next }
func (h cancelOnPosts) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }

func (h cancelOnPosts) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "evalsha" || c.Name() == "eval" {
				h.cancel()
				break
			}
		}
		return next(ctx, cmds)
	}
}

// TestBroadcastCanceled: a caller that gives up while the members' posts
// are in flight gets its context's error, as for a post, and the members
// are not each logged as a failure of the store.
func TestBroadcastCanceled(t *testing.T) {
	t.Parallel()
	c := shared.Client(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c.AddHook(cancelOnPosts{cancel})
	log := &errorLog{}
	s, err := redis.New(t.Context(), c, redis.Options{Prefix: redistest.Prefix(t), Logger: slog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	coll, err := s.CreateCollection(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		ch, err := s.CreateChannel(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMember(t.Context(), coll.ID, coll.Token, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Broadcast(ctx, coll.ID, coll.Token, store.Outgoing{Data: json.RawMessage(`"bye"`)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Broadcast canceled in flight: %+v, %v; want context.Canceled", res, err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.records) != 0 {
		t.Errorf("%d error records for a canceled broadcast, want none", len(log.records))
	}
}

// collectionOf makes a collection in s whose members are port 1 of n new
// channels.
func collectionOf(t *testing.T, s store.Store, n int) store.NewCollection {
	t.Helper()
	ctx := t.Context()
	coll, err := s.CreateCollection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		ch, err := s.CreateChannel(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMember(ctx, coll.ID, coll.Token, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}); err != nil {
			t.Fatal(err)
		}
	}
	return coll
}
