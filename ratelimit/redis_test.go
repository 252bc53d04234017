package ratelimit

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
)

func TestRedis(t *testing.T) {
	srv := redistest.Start(t)
	runSuite(t, backendKind{name: "redis", open: func(t *testing.T) Backend {
		return NewRedis(srv.Client(t), redistest.Prefix(t), suiteTimeout)
	}})
}

func TestRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	cluster := redistest.SharedCluster(t)
	runSuite(t, backendKind{name: "redis-cluster", open: func(t *testing.T) Backend {
		return NewRedis(cluster.Client(t), redistest.Prefix(t), suiteTimeout)
	}})
}

// TestRedisKeys checks where the state lives: one key under the
// deployment's prefix, which expires once the bucket is full again.
func TestRedisKeys(t *testing.T) {
	client := redistest.Start(t).Client(t)
	prefix := redistest.Prefix(t)
	b := NewRedis(client, prefix, 0)
	allow(t, b, "client:192.0.2.1", Limit{Rate: 1, Burst: 3})
	allow(t, b, "client:192.0.2.1", Limit{Rate: 1, Burst: 3})

	keys, err := client.Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := prefix + "rate:client:192.0.2.1"
	if len(keys) != 1 || keys[0] != want {
		t.Fatalf("keys %q, want only %q", keys, want)
	}
	ttl, err := client.TTL(t.Context(), want).Result()
	if err != nil || ttl <= 0 || ttl > 2*time.Second {
		t.Errorf("TTL %v (%v), want the 2s until the bucket is full", ttl, err)
	}
}

// TestRedisDown checks that a Redis that cannot be reached is an error,
// within the timeout, and not a decision.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	opt, err := redis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true // as cmd/api sets it
	client := redis.NewClient(opt)
	t.Cleanup(func() { _ = client.Close() })
	b := NewRedis(client, redistest.Prefix(t), 300*time.Millisecond)
	allow(t, b, "k", Limit{Rate: 1, Burst: 1})
	srv.Pause()
	start := time.Now()
	_, err = b.Allow(t.Context(), "k", Limit{Rate: 1, Burst: 1})
	if err == nil || !strings.Contains(err.Error(), "redis") {
		t.Errorf("a paused Redis answered %v, want an error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the check took %v with a timeout of 300ms", d)
	}
	srv.Resume()
}

// suiteTimeout bounds a check in the suite's Redis backends: generous, as
// the suite is about answers and a loaded test machine can be slow
// (TestRedisDown tests the timeout itself).
const suiteTimeout = 10 * time.Second

// TestSameAnswers runs one sequence on Memory and on Redis side by side:
// the decisions and remaining counts are equal, and the waits equal up to
// the moments between the two calls. Every step keeps 250ms away from a
// boundary of the 500ms interval, so the test's pace cannot tip one.
func TestSameAnswers(t *testing.T) {
	mem := NewMemory()
	red := NewRedis(redistest.Start(t).Client(t), redistest.Prefix(t), 0)
	l := Limit{Rate: 2, Burst: 3}
	// The first call to Redis dials and loads the script; made on another
	// key, it keeps that time out of the sequence.
	allow(t, red, "warm-up", l)
	const slack = 100 * time.Millisecond
	near := func(a, b time.Duration) bool { return a-b < slack && b-a < slack }
	allowed := 0
	for i, wait := range []time.Duration{0, 0, 0, 0, 250, 500, 0, 1000, 0, 0, 0} {
		time.Sleep(wait * time.Millisecond)
		m, r := allow(t, mem, "k", l), allow(t, red, "k", l)
		if m.Allowed != r.Allowed || m.Remaining != r.Remaining || !near(m.RetryAfter, r.RetryAfter) || !near(m.ResetAfter, r.ResetAfter) {
			t.Errorf("step %d: memory %+v, redis %+v", i+1, m, r)
		}
		if m.Allowed {
			allowed++
		}
	}
	// The burst of 3, then one after 750ms, and two after 1750ms.
	if allowed != 6 {
		t.Errorf("%d of 11 allowed, want 6", allowed)
	}
}
