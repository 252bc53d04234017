package redis_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/internal/syncbuf"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// checkEvery is the CheckInterval of these tests: the counts they wait
// for follow Redis within a few of them.
const checkEvery = 50 * time.Millisecond

// TestReplicasProblems: a wait below Needed can lose a write in a
// failover, a wait above the replicas online fails every write, and a
// wait of exactly Needed with all of them online keeps its promise.
func TestReplicasProblems(t *testing.T) {
	tests := []struct {
		name string
		r    redis.Replicas
		want []string // each problem starts with it
	}{
		{"all online, waited for", redis.Replicas{Wait: 2, Needed: 2, Promotable: 2, Online: 2}, nil},
		{"no replicas", redis.Replicas{}, nil},
		{"one of two promotable", redis.Replicas{Wait: 1, Needed: 2, Promotable: 2, Online: 2},
			[]string{"a write waits for 1 replica(s), fewer than the 2 that put it on every replica a failover could promote (2 promotable, down ones included, and 0 others"}},
		{"a priority-0 replica counts in WAIT", redis.Replicas{Wait: 1, Needed: 2, Promotable: 1, Online: 2},
			[]string{"a write waits for 1 replica(s), fewer than the 2 that put it on every replica a failover could promote (1 promotable, down ones included, and 1 others online"}},
		{"more than there are", redis.Replicas{Wait: 3, Needed: 2, Promotable: 2, Online: 2},
			[]string{"a write waits for 3 replica(s) but 2 are online: every write answers 503"}},
		{"a promotable replica down", redis.Replicas{Wait: 2, Needed: 2, Promotable: 2, Online: 1},
			[]string{"a write waits for 2 replica(s) but 1 are online"}},
		{"both", redis.Replicas{Wait: 1, Needed: 2, Promotable: 2, Online: 0},
			[]string{"a write waits for 1 replica(s), fewer than the 2", "a write waits for 1 replica(s) but 0 are online"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.r.Problems()
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d", got, len(tt.want))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d:\n got %q\nwant %q...", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// replicaOf starts a replica of primary with extra arguments and waits
// until it has synced.
func replicaOf(t *testing.T, primary *redistest.Server, extra ...string) *redistest.Server {
	t.Helper()
	host, port, _ := net.SplitHostPort(primary.Addr)
	r := redistest.Start(t, append([]string{"--replicaof", host, port}, extra...)...)
	waitLinked(t, r.Client(t))
	return r
}

// waitCount waits until the store's count of replicas satisfies ok, and
// returns it.
func waitCount(t *testing.T, s *redis.Store, what string, ok func([]redis.Replicas) bool) []redis.Replicas {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := s.Replicas()
		if ok(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the count never showed %s: %+v", what, got)
		}
		time.Sleep(checkEvery)
	}
}

// one is a count of one primary whose replicas are as given.
func one(wait, needed, promotable, online int) func([]redis.Replicas) bool {
	return func(rs []redis.Replicas) bool {
		return len(rs) == 1 && rs[0].Wait == wait && rs[0].Needed == needed && rs[0].Promotable == promotable && rs[0].Online == online
	}
}

func postOnce(ctx context.Context, s *redis.Store, ch store.NewChannel) error {
	_, err := s.Post(ctx, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}, store.Outgoing{Data: []byte(`1`)})
	return err
}

// TestWaitAllSingle: with WaitAll on a single server, of two replicas one
// with replica-priority 0, one is promotable and a write waits for both
// (WAIT would count the priority-0 one in place of the other). The
// promotable one stopped is still counted, and writes fail; the
// priority-0 one stopped holds nothing up.
func TestWaitAllSingle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	primary := redistest.Start(t, "--repl-diskless-sync-delay", "0")
	promotable := replicaOf(t, primary)
	extra := replicaOf(t, primary, "--replica-priority", "0")

	prefix := redistest.Prefix(t)
	plain := newStore(t, primary, redis.Options{Prefix: prefix})
	s := newStore(t, primary, redis.Options{Prefix: prefix, WaitReplicas: redis.WaitAll,
		WaitTimeout: 2 * time.Second, CheckInterval: checkEvery})
	got := s.Replicas()
	if !one(2, 2, 1, 2)(got) || got[0].Primary != primary.Addr || got[0].Unread != 0 {
		t.Fatalf("at start: %+v, want 2 waited for, 1 promotable, 2 online at %s", got, primary.Addr)
	}
	ch, err := plain.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := postOnce(ctx, s, ch); err != nil {
		t.Fatalf("post with every replica up: %v", err)
	}

	promotable.Stop()
	waitCount(t, s, "the promotable replica still counted while down", one(2, 2, 1, 1))
	before := s.Stats().WaitShort
	if err := postOnce(ctx, s, ch); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("post with the promotable replica down: %v, want ErrUnavailable", err)
	}
	if after := s.Stats().WaitShort; after != before+1 {
		t.Errorf("WaitShort %d, then %d; want one more", before, after)
	}

	promotable.Restart()
	waitLinked(t, promotable.Client(t))
	waitCount(t, s, "the promotable replica back", one(2, 2, 1, 2))
	extra.Stop()
	waitCount(t, s, "the priority-0 replica dropped", one(1, 1, 1, 1))
	if err := postOnce(ctx, s, ch); err != nil {
		t.Fatalf("post with only the priority-0 replica down: %v", err)
	}
}

// TestWaitNumericCountsToo: a number of replicas is compared with the
// count too, and the comparison logged; the count never decides the wait.
func TestWaitNumericCountsToo(t *testing.T) {
	t.Parallel()
	primary := redistest.Start(t, "--repl-diskless-sync-delay", "0")
	replicaOf(t, primary)
	replicaOf(t, primary)
	var logs syncbuf.Buffer
	s := newStore(t, primary, redis.Options{WaitReplicas: 1, CheckInterval: checkEvery,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if got := s.Replicas(); !one(1, 2, 2, 2)(got) {
		t.Fatalf("count %+v, want 1 waited for of 2 needed", got)
	}
	if !strings.Contains(logs.String(), `level=WARN msg="redis store: a write waits for 1 replica(s), fewer than the 2`) {
		t.Errorf("no WARN at start-up:\n%s", logs.String())
	}

	// Writes that wait for no replica count none.
	none := newStore(t, primary, redis.Options{CheckInterval: checkEvery})
	if got := none.Replicas(); got != nil {
		t.Errorf("counted without a wait: %+v", got)
	}
}

// TestWaitAllWithoutReplicas: a server with no replica at all makes
// WaitAll wait for none.
func TestWaitAllWithoutReplicas(t *testing.T) {
	t.Parallel()
	srv := privateServer(t)
	s := newStore(t, srv, redis.Options{WaitReplicas: redis.WaitAll, CheckInterval: checkEvery})
	if got := s.Replicas(); !one(0, 0, 0, 0)(got) {
		t.Fatalf("count %+v, want none", got)
	}
	ch, err := s.CreateChannel(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := postOnce(t.Context(), s, ch); err != nil {
		t.Fatal(err)
	}
}

// TestWaitAllSentinel: through Sentinel, the replicas are Sentinel's,
// with their priorities; one that went down is still listed, and still
// counted.
func TestWaitAllSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Sentinel")
	}
	t.Parallel()
	ctx := t.Context()
	// The priority-0 replica is there before the sentinels start: they
	// would learn of a replica added later, and of its priority, only at
	// their next INFO of the primary and then of the replica, each every
	// 10 s.
	sen := redistest.StartSentinelEach(t, [][]string{nil, {"--replica-priority", "0"}})
	for _, r := range sen.Replicas {
		waitLinked(t, r.Client(t))
	}
	sc := goredis.NewSentinelClient(&goredis.Options{Addr: sen.Addrs[0]})
	defer sc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rs, err := sc.Replicas(ctx, redistest.SentinelMaster).Result()
		if err == nil && len(rs) == 2 && (rs[0]["slave-priority"] == "0" || rs[1]["slave-priority"] == "0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Sentinel never listed the second replica with its priority: %v %v", rs, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	fo, err := goredis.ParseFailoverURL(sen.URL)
	if err != nil {
		t.Fatal(err)
	}
	fc := goredis.NewFailoverClient(fo)
	t.Cleanup(func() { _ = fc.Close() })
	s, err := redis.New(ctx, fc, redis.Options{Prefix: redistest.Prefix(t), WaitReplicas: redis.WaitAll, Sentinel: fo,
		WaitTimeout: 2 * time.Second, CheckInterval: checkEvery, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	got := s.Replicas()
	if !one(2, 2, 1, 2)(got) || got[0].Primary != sen.Primary.Addr {
		t.Fatalf("count %+v, want 2 waited for, 1 promotable, 2 online at %s", got, sen.Primary.Addr)
	}
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := postOnce(ctx, s, ch); err != nil {
		t.Fatal(err)
	}

	sen.Replica.Stop()
	waitCount(t, s, "the promotable replica still counted while down", one(2, 2, 1, 1))
	if err := postOnce(ctx, s, ch); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("post with the promotable replica down: %v, want ErrUnavailable", err)
	}
}

// TestWaitAllCluster: on a Cluster each primary's replicas are counted
// from its own CLUSTER NODES: one primary has a replica, the others
// none; the replica stopped (failed) is still counted, and flagged
// nofailover it is no longer promotable.
func TestWaitAllCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	t.Parallel()
	ctx := t.Context()
	c := redistest.StartCluster(t)
	withReplica := c.Nodes[0]
	replica := addClusterReplica(t, c, withReplica)
	s := clusterStore(t, c, redis.Options{WaitReplicas: redis.WaitAll, WaitTimeout: 2 * time.Second, CheckInterval: checkEvery,
		Logger: slog.New(slog.DiscardHandler)}, nil)
	cc := c.Client(t)
	byPrimary := func(rs []redis.Replicas) map[string]redis.Replicas {
		m := map[string]redis.Replicas{}
		for _, r := range rs {
			m[r.Primary] = r
		}
		return m
	}
	// A replica gossip has not yet announced as one counts as promotable
	// (Unread) until it has.
	waitCount(t, s, "one replica, on its primary", func(rs []redis.Replicas) bool {
		got := byPrimary(rs)
		for _, n := range c.Nodes {
			want := redis.Replicas{Primary: n.Addr}
			if n == withReplica {
				want = redis.Replicas{Primary: n.Addr, Wait: 1, Needed: 1, Promotable: 1, Online: 1}
			}
			if got[n.Addr] != want {
				return false
			}
		}
		return len(got) == 3
	})
	var onIt store.NewChannel
	for onIt.ID == "" {
		ch, err := s.CreateChannel(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if node, _ := cc.MasterForKey(ctx, "{"+store.Tag(ch.ID)+"}"); node.Options().Addr == withReplica.Addr {
			onIt = ch
		}
	}
	if err := postOnce(ctx, s, onIt); err != nil {
		t.Fatalf("post on the primary with a replica: %v", err)
	}

	if err := replica.Client(t).ConfigSet(ctx, "cluster-replica-no-failover", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	waitCount(t, s, "the nofailover replica not promotable", func(rs []redis.Replicas) bool {
		r := byPrimary(rs)[withReplica.Addr]
		return r.Promotable == 0 && r.Needed == 1 && r.Online == 1
	})
	if err := replica.Client(t).ConfigSet(ctx, "cluster-replica-no-failover", "no").Err(); err != nil {
		t.Fatal(err)
	}
	waitCount(t, s, "the replica promotable again", func(rs []redis.Replicas) bool {
		return byPrimary(rs)[withReplica.Addr].Promotable == 1
	})
	replica.Stop()
	waitCount(t, s, "the stopped replica still counted", func(rs []redis.Replicas) bool {
		r := byPrimary(rs)[withReplica.Addr]
		return r.Promotable == 1 && r.Wait == 1 && r.Online == 0
	})
	if err := postOnce(ctx, s, onIt); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("post with the replica down: %v, want ErrUnavailable", err)
	}
}

// TestEvictionsWatched: keys Redis evicts are counted and logged, at a
// WARN, as they happen.
func TestEvictionsWatched(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t, "--maxmemory", "4mb", "--maxmemory-policy", "allkeys-random")
	var logs syncbuf.Buffer
	s := newStore(t, srv, redis.Options{CheckInterval: checkEvery, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if n := s.Stats().EvictedKeys; n != 0 {
		t.Fatalf("evicted %d before any eviction", n)
	}
	c := srv.Client(t)
	value, prefix := strings.Repeat("x", 16<<10), redistest.Prefix(t)
	for i := 0; ; i++ {
		if err := c.Set(ctx, prefix+strconv.Itoa(i), value, 0).Err(); err != nil {
			t.Fatal(err)
		}
		info, _ := c.Info(ctx, "stats").Result()
		if !strings.Contains(info, "evicted_keys:0\r\n") {
			break
		}
		if i == 10000 {
			t.Fatal("Redis never evicted")
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.Stats().EvictedKeys == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no eviction counted:\n%s", logs.String())
		}
		time.Sleep(checkEvery)
	}
	if !strings.Contains(logs.String(), `level=WARN msg="redis store: Redis evicted keys; acknowledged messages may be gone`) {
		t.Errorf("no WARN:\n%s", logs.String())
	}
}

func TestReadEvictionPolicy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for _, tc := range []struct {
		policy string
		evicts bool
	}{{"noeviction", false}, {"allkeys-lru", true}, {"volatile-lru", true}, {"volatile-ttl", true}} {
		srv := redistest.Start(t, "--maxmemory-policy", tc.policy)
		ps, err := redis.ReadEvictionPolicy(ctx, srv.Client(t))
		if err != nil || len(ps) != 1 {
			t.Fatalf("%s: %+v, %v", tc.policy, ps, err)
		}
		if p := ps[0]; p.Err != nil || p.Policy != tc.policy || p.Addr != srv.Addr || p.Evicts() != tc.evicts {
			t.Errorf("%s: %+v, evicts %v", tc.policy, p, p.Evicts())
		}
	}
	hidden := redistest.Start(t, "--rename-command", "CONFIG", "")
	ps, err := redis.ReadEvictionPolicy(ctx, hidden.Client(t))
	if err != nil || len(ps) != 1 || ps[0].Err == nil || ps[0].Evicts() {
		t.Fatalf("with CONFIG renamed: %+v, %v", ps, err)
	}
}
