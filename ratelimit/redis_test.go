package ratelimit

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
)

func TestRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	runSuite(t, backendKind{name: "redis", open: func(t *testing.T) Backend {
		return NewRedis(srv.Client(t), redistest.Prefix(t), suiteTimeout)
	}})
}

func TestRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	t.Parallel()
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
	// Per hour, so that the key cannot expire while the test looks.
	l := Limit{Rate: 1, Burst: 3, Period: time.Hour}
	allow(t, b, "client:192.0.2.1", l)
	allow(t, b, "client:192.0.2.1", l)

	keys, err := client.Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := prefix + "rate:client:192.0.2.1"
	if len(keys) != 1 || keys[0] != want {
		t.Fatalf("keys %q, want only %q", keys, want)
	}
	ttl, err := client.TTL(t.Context(), want).Result()
	if err != nil || ttl <= time.Hour || ttl > 2*time.Hour {
		t.Errorf("TTL %v (%v), want the 2h until the bucket is full", ttl, err)
	}
}

// TestRedisDown checks that a Redis that cannot be reached is an error,
// not a decision, and that the check's own timeout (300ms) is what ends
// the wait: the client here has no read or write timeout of its own, and
// the caller's context ends only after a minute. How long the check took
// is logged; the bound, half that minute, only tells the two apart.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	opt, err := redis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true // as cmd/api sets it
	opt.ReadTimeout, opt.WriteTimeout = -1, -1
	client := redis.NewClient(opt)
	t.Cleanup(func() { _ = client.Close() })
	b := NewRedis(client, redistest.Prefix(t), 300*time.Millisecond)
	allow(t, b, "k", Limit{Rate: 1, Burst: 1})
	srv.Pause()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err = b.Allow(ctx, "k", Limit{Rate: 1, Burst: 1})
	if err == nil || !strings.Contains(err.Error(), "redis") {
		t.Errorf("a paused Redis answered %v, want an error", err)
	}
	d := time.Since(start)
	if d < 300*time.Millisecond || d > 30*time.Second {
		t.Errorf("the check took %v with a timeout of 300ms", d)
	}
	t.Logf("the check failed after %v (timeout 300ms)", d.Round(time.Millisecond))
	srv.Resume()
}

// suiteTimeout bounds a check in the suite's Redis backends: generous, as
// the suite is about answers and a loaded test machine can be slow
// (TestRedisDown tests the timeout itself).
const suiteTimeout = 10 * time.Second

// TestSameAnswers runs one sequence on Memory and on Redis side by side:
// the decisions and remaining counts are equal, and the waits equal up to
// the moments between the two calls. Both read the machine's clock, so a
// late step moves both alike; what could tip one and not the other is an
// interval's boundary falling between the two calls. Every step is planned
// 250ms away from a boundary of the 500ms interval, and a run in which a
// step came more than 200ms late, or its two calls lay more than 25ms
// apart, proves nothing and starts again on a new key.
func TestSameAnswers(t *testing.T) {
	// Not in parallel: the comparison needs the machine's pace.
	mem := NewMemory()
	red := NewRedis(redistest.Start(t).Client(t), redistest.Prefix(t), 0)
	l := Limit{Rate: 2, Burst: 3}
	// The first call to Redis dials and loads the script; made on another
	// key, it keeps that time out of the sequence.
	allow(t, red, "warm-up", l)
	const late, apart = 200 * time.Millisecond, 25 * time.Millisecond
	steps := []time.Duration{0, 0, 0, 0, 250, 500, 0, 1000, 0, 0, 0}
	for run := 1; ; run++ {
		if sameAnswers(t, mem, red, fmt.Sprintf("k%d", run), l, steps, late, apart) {
			return
		}
		if run == 10 {
			t.Skipf("in 10 runs the machine never kept the pace the comparison needs")
		}
	}
}

// sameAnswers runs the steps (waits in milliseconds) on key, comparing
// the two backends' answers, and reports false if the run lost its pace.
func sameAnswers(t *testing.T, mem, red Backend, key string, l Limit, steps []time.Duration, late, apart time.Duration) bool {
	t.Helper()
	start := time.Now()
	var planned time.Duration
	allowed := 0
	for i, wait := range steps {
		time.Sleep(wait * time.Millisecond)
		planned += wait * time.Millisecond
		before := time.Now()
		m, r := allow(t, mem, key, l), allow(t, red, key, l)
		between := time.Since(before)
		if lag := before.Sub(start) - planned; lag > late || between > apart {
			t.Logf("step %d came %v late, its calls %v apart: this run proves nothing", i+1, lag, between)
			return false
		}
		// Redis answered last, at most between later: its waits are as
		// much shorter at most. But the time Redis's script reads was
		// seen, on a loaded machine, 7ms behind the moment of the call
		// (every step of a CI run alike): its waits may be that much
		// longer, up to the pace bound apart.
		near := func(m, r time.Duration) bool { return r <= m+apart && m-r <= between+time.Millisecond }
		if m.Allowed != r.Allowed || m.Remaining != r.Remaining || !near(m.RetryAfter, r.RetryAfter) || !near(m.ResetAfter, r.ResetAfter) {
			t.Errorf("step %d: memory %+v, redis %+v (%v apart)", i+1, m, r, between)
		}
		if m.Allowed {
			allowed++
		}
	}
	// The burst of 3, then one after 750ms, and two after 1750ms.
	if allowed != 6 {
		t.Errorf("%d of 11 allowed, want 6", allowed)
	}
	return true
}
