package redis_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
	"github.com/tincan-dev/tincan/store/storetest"
)

// TestCluster runs on a three-master Redis Cluster, where a channel's keys
// and a moved port's keys live on different nodes: no script may touch two
// slots, moves must work across nodes, and notices travel by sharded
// pub/sub. The node restart comes last: it disturbs the others. Nothing
// else of the package uses this Cluster.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	t.Parallel()
	c := redistest.SharedCluster(t)
	t.Run("MovedIsUnreachable", func(t *testing.T) { testClusterMovedIsUnreachable(t, c) })
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, limits store.Limits) store.Store {
			return clusterStore(t, c, redis.Options{Limits: limits, Timeout: conformanceTimeout}, nil)
		})
	})
	t.Run("AcrossStores", func(t *testing.T) { testClusterAcrossStores(t, c) })
	t.Run("FewConnections", func(t *testing.T) { testClusterFewConnections(t, c) })
	t.Run("SlotMoves", func(t *testing.T) { testClusterSlotMoves(t, c) })
	t.Run("MigratesFormer", func(t *testing.T) { testClusterMigratesFormer(t, c) })
	t.Run("Library", func(t *testing.T) { testClusterLibrary(t, c) })
	t.Run("NodeRestart", func(t *testing.T) { testClusterNodeRestart(t, c) })
}

// clusterStore returns a Store on its own cluster client (tuned by tune),
// with a prefix of its own unless opts has one, closed and its keys
// deleted at the end of t.
func clusterStore(t *testing.T, c *redistest.Cluster, opts redis.Options, tune func(*goredis.ClusterOptions)) *redis.Store {
	t.Helper()
	// go-redis keeps Addrs as its list of known nodes and appends to it
	// (a replica it learns of): clients given one slice with room to
	// spare write into each other's lists, a data race. Each gets its own.
	o := &goredis.ClusterOptions{Addrs: slices.Clone(c.Addrs)}
	if tune != nil {
		tune(o)
	}
	cc := goredis.NewClusterClient(o)
	if opts.Prefix == "" {
		opts.Prefix = redistest.Prefix(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := redis.New(ctx, cc, opts)
	if err != nil {
		_ = cc.Close()
		t.Fatalf("redis.New on a cluster: %v", err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		_ = cc.ForEachMaster(context.Background(), func(ctx context.Context, node *goredis.Client) error {
			deleteKeys(t, node, opts.Prefix)
			return nil
		})
		_ = cc.Close()
	})
	return s
}

// testClusterMovedIsUnreachable: a slot owned by another node is a
// moment's trouble, like a failover: the pipelines that talk to a slot's
// primary directly (WAIT's) meet it when a slot moves, and it must come
// out as unavailable, which clients retry, not as an internal error.
func testClusterMovedIsUnreachable(t *testing.T, c *redistest.Cluster) {
	moved := 0
	for _, n := range c.Nodes {
		err := n.Client(t).Get(t.Context(), "{moved-test}").Err()
		if _, ok := goredis.IsMovedError(err); !ok {
			continue
		}
		moved++
		if !redis.Unreachable(err) {
			t.Errorf("MOVED from %s: unreachable = false", n.Addr)
		}
	}
	if moved == 0 {
		t.Fatal("no node answered MOVED")
	}
}

// testClusterAcrossStores: a post through one instance rings a waiter in
// another, for channels whose slots are spread over every node.
func testClusterAcrossStores(t *testing.T, c *redistest.Cluster) {
	prefix := redistest.Prefix(t)
	one := clusterStore(t, c, redis.Options{Prefix: prefix}, nil)
	two := clusterStore(t, c, redis.Options{Prefix: prefix}, nil)
	for i := range 12 {
		ch, err := one.CreateChannel(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		sub := subscribe(t, two, ch.Port2.ID)
		if _, err := one.Post(t.Context(), creds(ch.Port1), store.Outgoing{Data: []byte(`1`)}); err != nil {
			t.Fatal(err)
		}
		if !rings(sub, 5*time.Second) {
			t.Fatalf("channel %d: no ring across instances", i)
		}
		sub.Close()
	}
}

// testClusterFewConnections: however many streams wait, on however many
// channels, an instance holds one pub/sub connection per node, and only
// its pool besides.
func testClusterFewConnections(t *testing.T, c *redistest.Cluster) {
	name := fmt.Sprintf("tincan-test-%d", time.Now().UnixNano())
	s := clusterStore(t, c, redis.Options{}, func(o *goredis.ClusterOptions) {
		o.ClientName = name
		o.PoolSize = 4
	})
	const channels, waitersEach = 150, 2
	var subs []*store.Subscription
	defer func() {
		for _, sub := range subs {
			sub.Close()
		}
	}()
	for range channels {
		ch, err := s.CreateChannel(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		for range waitersEach {
			subs = append(subs, subscribe(t, s, ch.Port1.ID), subscribe(t, s, ch.Port2.ID))
		}
	}
	total, pubsub := 0, 0
	for _, srv := range c.Nodes {
		list, err := srv.Client(t).ClientList(t.Context()).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(list, "\n") {
			if !strings.Contains(line, " name="+name+" ") {
				continue
			}
			total++
			if !strings.Contains(line, " ssub=0 ") {
				pubsub++
			}
		}
	}
	t.Logf("%d waiters on %d channels: %d connections, %d of them pub/sub", len(subs), channels, total, pubsub)
	if pubsub > len(c.Nodes) {
		t.Errorf("%d pub/sub connections, want at most one per node (%d)", pubsub, len(c.Nodes))
	}
	if max := len(c.Nodes) * (4 + 1); total > max {
		t.Errorf("%d connections, want at most %d (a pool of 4 and a pub/sub connection per node)", total, max)
	}
}

// testClusterSlotMoves: when the slot of a waited-on channel moves to
// another node, that node's notices reach the waiter: the old node drops
// the subscription (SUNSUBSCRIBE), the listener subscribes on the new
// owner and rings the waiter, since notices may have been lost meanwhile.
func testClusterSlotMoves(t *testing.T, c *redistest.Cluster) {
	prefix := redistest.Prefix(t)
	s := clusterStore(t, c, redis.Options{Prefix: prefix}, nil)
	// A channel that has no keys, so that its slot moves without MIGRATE.
	_, port, _, err := store.NewChannelIDs(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	channel := prefix + "{" + store.Tag(port) + "}:notify"
	sub := subscribe(t, s, port)
	defer sub.Close()

	cc := c.Client(t)
	ctx := t.Context()
	slot, err := cc.ClusterKeySlot(ctx, channel).Result()
	if err != nil {
		t.Fatal(err)
	}
	src, err := cc.MasterForKey(ctx, channel)
	if err != nil {
		t.Fatal(err)
	}
	var dst *redistest.Server
	ids := map[string]string{}
	for _, n := range c.Nodes {
		id, err := n.Client(t).Do(ctx, "CLUSTER", "MYID").Text()
		if err != nil {
			t.Fatal(err)
		}
		ids[n.Addr] = id
		if dst == nil && n.Addr != src.Options().Addr {
			dst = n
		}
	}
	// The new owner first, then the old one (which drops the slot's shard
	// subscribers), then the third.
	order := []string{dst.Addr, src.Options().Addr}
	for _, n := range c.Nodes {
		if n.Addr != dst.Addr && n.Addr != src.Options().Addr {
			order = append(order, n.Addr)
		}
	}
	for _, addr := range order {
		nc := goredis.NewClient(&goredis.Options{Addr: addr})
		err := nc.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", ids[dst.Addr]).Err()
		_ = nc.Close()
		if err != nil {
			t.Fatalf("CLUSTER SETSLOT %d NODE on %s: %v", slot, addr, err)
		}
	}
	if !rings(sub, 30*time.Second) {
		t.Fatal("no ring after the slot moved")
	}
	if err := dst.Client(t).SPublish(ctx, channel, port).Err(); err != nil {
		t.Fatal(err)
	}
	if !rings(sub, 5*time.Second) {
		t.Fatal("a notice from the slot's new node did not ring")
	}
}

// testClusterNodeRestart: when a node restarts, the waiters on channels in
// its slots are rung (notices sent meanwhile are lost), and later posts
// ring again.
func testClusterNodeRestart(t *testing.T, c *redistest.Cluster) {
	s := clusterStore(t, c, redis.Options{}, nil)
	node := c.Nodes[0]
	// A channel whose slot the first node serves.
	var ch store.NewChannel
	for {
		var err error
		if ch, err = s.CreateChannel(t.Context(), ""); err != nil {
			t.Fatal(err)
		}
		owner, err := c.Client(t).MasterForKey(t.Context(), "{"+store.Tag(ch.ID)+"}")
		if err != nil {
			t.Fatal(err)
		}
		if owner.Options().Addr == node.Addr {
			break
		}
	}
	sub := subscribe(t, s, ch.Port2.ID)
	defer sub.Close()

	start := time.Now()
	node.Restart()
	if !rings(sub, 15*time.Second) {
		t.Fatal("no ring after the node restarted")
	}
	t.Logf("rung %v after the restart began", time.Since(start).Round(time.Millisecond))
	// The restarted node lost its data (no persistence): a new channel.
	deadline := time.Now().Add(15 * time.Second)
	for {
		ch2, err := s.CreateChannel(t.Context(), "")
		var sub2 *store.Subscription
		if err == nil {
			sub2, err = s.Subscribe(t.Context(), ch2.Port2.ID)
		}
		if err == nil {
			defer sub2.Close()
			if _, err = s.Post(t.Context(), creds(ch2.Port1), store.Outgoing{Data: []byte(`1`)}); err == nil {
				if !rings(sub2, 5*time.Second) {
					t.Fatal("no ring for a post after the restart")
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster did not take posts again: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
