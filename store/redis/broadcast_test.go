package redis_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
				if c.Name() == "fcall" || c.Name() == "evalsha" || c.Name() == "eval" {
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
// on a Redis whose library is gone (FUNCTION FLUSH) since the store
// loaded it.
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
	if err := c.FunctionFlush(ctx).Err(); err != nil {
		t.Fatal(err)
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
	// The member list (FCALL, FUNCTION LOAD of the library it misses,
	// FCALL again), and three pipelines of posts.
	if hook.pipelines != 3 || hook.piped != n || len(hook.single) > 3 {
		t.Errorf("%d pipelines carrying %d commands, and %v alone; want 3 pipelines carrying %d, and at most 3 alone",
			hook.pipelines, hook.piped, hook.single, n)
	}
}

// errorLog keeps the warning and error records a logger is given.
type errorLog struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *errorLog) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelWarn }

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
// errors) are reported unknown (a script that fails may have written
// before), never refused; the other members are reached, and the failures
// are logged once for the broadcast, with counts, not once a member.
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
		ch, err := s.CreateChannel(ctx, "")
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
	if len(res.Delivered) != 1 || res.Delivered[0].Port != good || len(res.Refused) != 0 || len(res.Unknown) != broken {
		t.Fatalf("%+v, want %s delivered and %d unknown", res, good, broken)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.records) != 1 || log.records[0].Level != slog.LevelWarn {
		t.Fatalf("%d records, want one WARN for the broadcast", len(log.records))
	}
	counts := map[string]int64{}
	log.records[0].Attrs(func(a slog.Attr) bool {
		if a.Value.Kind() == slog.KindInt64 {
			counts[a.Key] = a.Value.Int64()
		}
		return true
	})
	if want := map[string]int64{"members": broken + 1, "delivered": 1, "refused": 0, "unknown": broken, "failed": 0}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("the record counts %v, want %v", counts, want)
	}
}

// cancelOnPosts cancels a context as a pipeline of scripts starts.
type cancelOnPosts struct{ cancel context.CancelFunc }

func (h cancelOnPosts) DialHook(next goredis.DialHook) goredis.DialHook          { return next }
func (h cancelOnPosts) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }

func (h cancelOnPosts) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "fcall" || c.Name() == "evalsha" || c.Name() == "eval" {
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
		ch, err := s.CreateChannel(t.Context(), "")
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
		ch, err := s.CreateChannel(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMember(ctx, coll.ID, coll.Token, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}); err != nil {
			t.Fatal(err)
		}
	}
	return coll
}

// pauseOnPosts pauses a server as the nth pipeline of scripts starts, and
// resumes it once that pipeline has given up waiting for its answers.
type pauseOnPosts struct {
	srv *redistest.Server
	nth int

	mu   sync.Mutex
	seen int
}

func (h *pauseOnPosts) DialHook(next goredis.DialHook) goredis.DialHook          { return next }
func (h *pauseOnPosts) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }

func (h *pauseOnPosts) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		scripts := false
		for _, c := range cmds {
			scripts = scripts || c.Name() == "fcall" || c.Name() == "evalsha" || c.Name() == "eval"
		}
		h.mu.Lock()
		if scripts {
			h.seen++
		}
		pause := scripts && h.seen == h.nth
		h.mu.Unlock()
		if !pause {
			return next(ctx, cmds)
		}
		h.srv.Pause()
		defer h.srv.Resume()
		return next(ctx, cmds)
	}
}

// TestBroadcastAnswersLost: Redis stops answering in the middle of a
// broadcast (paused while the second of three pipelines of posts is sent,
// until after its deadline), then goes on, and runs what it had received.
// Every member the broadcast reports delivered holds the message, none is
// refused, and the members of the lost pipeline are unknown, never
// unavailable: some or all of them have it, as the figure printed shows.
// The broadcast logs one WARN line with its counts. A retry under the same
// Idempotency-Key then reaches every member, and no peer holds the
// message twice.
func TestBroadcastAnswersLost(t *testing.T) {
	t.Parallel()
	srv := privateServer(t)
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	hook := &pauseOnPosts{srv: srv, nth: 2}
	c.AddHook(hook)
	log := &errorLog{}
	// The pause lasts the lost pipeline's time bound; once Redis goes on it
	// runs that pipeline's posts before anything else, and what the store
	// sends next (the Idempotency-Key's record, the sweeper's look) must
	// not run out of time meanwhile, on however loaded a machine: with
	// 500 ms, once, the whole suite running, a second WARN was logged.
	s, err := redis.New(t.Context(), c, redis.Options{Prefix: redistest.Prefix(t), Logger: slog.New(log), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	const n = 1200 // three pipelines of 500, 500 and 200
	coll, err := s.CreateCollection(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	peers := map[string]store.Credentials{}
	for range n {
		ch, err := s.CreateChannel(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMember(t.Context(), coll.ID, coll.Token, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}); err != nil {
			t.Fatal(err)
		}
		peers[ch.Port1.ID] = store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}
	}
	msg := store.Outgoing{Data: json.RawMessage(`"once"`)}
	once := store.Idempotency{Key: "lost answers", Fingerprint: [32]byte{1}}
	res, err := s.BroadcastOnce(t.Context(), coll.ID, coll.Token, msg, once)
	if err != nil {
		t.Fatal(err)
	}
	held := func(member string) int {
		t.Helper()
		b, err := s.Read(t.Context(), peers[member], store.EventID{}, store.ReadLimit{Messages: 10})
		if err != nil {
			t.Fatalf("read the peer of %s: %v", member, err)
		}
		return len(b.Messages)
	}
	for _, d := range res.Delivered {
		if held(d.Port) != 1 {
			t.Errorf("member %s reported delivered, and its peer does not hold the message", d.Port)
		}
	}
	if len(res.Refused) != 0 {
		t.Errorf("%d members refused, want none: %+v", len(res.Refused), res.Refused[:min(3, len(res.Refused))])
	}
	if len(res.Unknown) != 500 || len(res.Delivered) != n-500 {
		t.Errorf("%d delivered, %d unknown; want the lost pipeline's 500 unknown and the %d others delivered", len(res.Delivered), len(res.Unknown), n-500)
	}
	// Redis runs what it received once it goes on; count after it has.
	stored := 0
	for range 50 {
		now := 0
		for _, p := range res.Unknown {
			now += held(p)
		}
		if now == stored && now > 0 {
			break
		}
		stored = now
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%d members: %d delivered, %d unknown, of which %d hold the message once Redis went on", n, len(res.Delivered), len(res.Unknown), stored)

	log.mu.Lock()
	if len(log.records) != 1 || log.records[0].Level != slog.LevelWarn {
		var logged []string
		for _, r := range log.records {
			logged = append(logged, r.Level.String()+" "+r.Message)
		}
		t.Errorf("%d log records %q, want one WARN for the broadcast", len(log.records), logged)
	} else {
		t.Logf("logged: %s", log.records[0].Message)
	}
	log.mu.Unlock()

	again, err := s.BroadcastOnce(t.Context(), coll.ID, coll.Token, msg, once)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Delivered) != n || len(again.Unknown) != 0 || len(again.Refused) != 0 {
		t.Errorf("the retry: %d delivered, %d unknown, %d refused; want all %d delivered", len(again.Delivered), len(again.Unknown), len(again.Refused), n)
	}
	for member := range peers {
		if k := held(member); k != 1 {
			t.Errorf("the peer of %s holds %d messages after the retry, want 1", member, k)
		}
	}
}
