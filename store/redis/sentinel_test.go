package redis_test

import (
	"context"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
	"github.com/tincan-dev/tincan/store/storetest"
)

// TestSentinel runs on a primary, a replica and three sentinels, through a
// go-redis failover client. The failover kills its primary, so it has a
// Sentinel set of its own, started while the conformance suite runs.
func TestSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis Sentinel")
	}
	t.Parallel()
	t.Run("Failover", func(t *testing.T) {
		t.Parallel()
		testSentinelFailover(t, redistest.StartSentinel(t))
	})
	t.Run("Conformance", func(t *testing.T) {
		t.Parallel()
		sn := redistest.SharedSentinel(t)
		storetest.Run(t, func(t *testing.T, limits store.Limits) store.Store {
			return sentinelStore(t, sn, redis.Options{Limits: limits, Timeout: conformanceTimeout})
		})
	})
}

// sentinelStore returns a Store on its own failover client, with a prefix
// of its own, closed and its keys deleted at the end of t.
func sentinelStore(t *testing.T, sn *redistest.Sentinel, opts redis.Options) *redis.Store {
	t.Helper()
	opt, err := goredis.ParseFailoverURL(sn.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewFailoverClient(opt)
	opts.Prefix = redistest.Prefix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := redis.New(ctx, c, opts)
	if err != nil {
		_ = c.Close()
		t.Fatalf("redis.New through sentinels: %v", err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		deleteKeys(t, c, opts.Prefix)
		_ = c.Close()
	})
	return s
}

// testSentinelFailover kills the primary: the store must reach the
// promoted replica by itself and take posts again, and waiters must be
// rung once their subscription is back. How soon posts succeed is logged
// (docs/RELIABILITY.md quotes it); the bound, the sentinels' down-after
// and failover time plus 30 s, only stops a store that never gets there,
// and no loaded machine reaches it.
func testSentinelFailover(t *testing.T, sn *redistest.Sentinel) {
	s := sentinelStore(t, sn, redis.Options{})
	ch, err := s.CreateChannel(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	// Acknowledged only once the replica has it, so the channel survives.
	waitReplica(t, sn)
	sub := subscribe(t, s, ch.Port2.ID)
	defer sub.Close()

	killed := time.Now()
	sn.Primary.Stop()
	limit := redistest.SentinelDownAfter + redistest.SentinelFailoverTimeout + 30*time.Second
	var recovered time.Duration
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		_, err := s.Post(ctx, creds(ch.Port1), store.Outgoing{Data: []byte(`"after"`)})
		cancel()
		if err == nil {
			recovered = time.Since(killed)
			break
		}
		if time.Since(killed) > limit {
			t.Fatalf("no post succeeded within %v of killing the primary: %v", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("posts succeed again %v after the primary was killed (down-after %v, failover-timeout %v)",
		recovered.Round(time.Millisecond), redistest.SentinelDownAfter, redistest.SentinelFailoverTimeout)
	if !rings(sub, 30*time.Second) {
		t.Fatal("the waiter was not rung after the failover")
	}
	b, err := s.Read(t.Context(), creds(ch.Port2), store.EventID{}, store.ReadLimit{Messages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 1 {
		t.Errorf("read %d messages after the failover, want the 1 posted", len(b.Messages))
	}

	// The promoted replica had the library (Redis replicates FUNCTION
	// LOAD); one that lost it gets it again at the next op.
	opt, err := goredis.ParseFailoverURL(sn.URL)
	if err != nil {
		t.Fatal(err)
	}
	primary := goredis.NewFailoverClient(opt)
	defer primary.Close()
	if libs := libraries(t, primary); !slices.Contains(libs, redis.LibraryName(s)) {
		t.Errorf("the promoted replica has libraries %q, not %s", libs, redis.LibraryName(s))
	}
	if err := primary.FunctionFlush(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	postAndRead(t, s, &ch)
}

// waitReplica waits until the replica has every write the primary took.
func waitReplica(t *testing.T, sn *redistest.Sentinel) {
	t.Helper()
	n, err := sn.Primary.Client(t).Wait(t.Context(), 1, 5000).Result()
	if err != nil || n < 1 {
		t.Fatalf("WAIT for the replica: %d, %v", n, err)
	}
}
