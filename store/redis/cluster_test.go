package redis_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
	"github.com/tincan-dev/tincan/store/storetest"
)

// TestClusterConformance runs the conformance suite on a three-master Redis
// Cluster, where a channel's keys and a moved port's keys live on different
// nodes: no script may touch two slots, and moves must work across nodes.
func TestClusterConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	addrs := startCluster(t, 3)
	storetest.Run(t, func(t *testing.T, limits store.Limits) store.Store {
		c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
		prefix := redistest.Prefix(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := redis.New(ctx, c, redis.Options{Prefix: prefix, Limits: limits})
		if err != nil {
			_ = c.Close()
			t.Fatalf("redis.New on a cluster: %v", err)
		}
		t.Cleanup(func() {
			_ = s.Close()
			_ = c.ForEachMaster(context.Background(), func(ctx context.Context, node *goredis.Client) error {
				deleteKeys(t, node, prefix)
				return nil
			})
			_ = c.Close()
		})
		return s
	})
}

// startCluster starts n cluster-enabled servers, gives each an equal share
// of the slots, introduces them, and waits until the cluster is up.
func startCluster(t *testing.T, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var addrs []string
	var nodes []*goredis.Client
	var busPorts []string
	for range n {
		bus := strconv.Itoa(redistest.FreePort(t))
		srv := redistest.Start(t,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-port", bus,
			"--cluster-node-timeout", "5000")
		addrs = append(addrs, srv.Addr)
		busPorts = append(busPorts, bus)
		nodes = append(nodes, client(t, srv))
	}
	const slots = 16384
	for i, c := range nodes {
		lo, hi := i*slots/n, (i+1)*slots/n-1
		if err := c.ClusterAddSlotsRange(ctx, lo, hi).Err(); err != nil {
			t.Fatalf("add slots %d-%d: %v", lo, hi, err)
		}
	}
	for i, a := range addrs[1:] {
		host, port, _ := net.SplitHostPort(a)
		// The bus port is not port+10000 here, so MEET must be told it.
		if err := nodes[0].Do(ctx, "CLUSTER", "MEET", host, port, busPorts[i+1]).Err(); err != nil {
			t.Fatalf("cluster meet %s: %v", a, err)
		}
	}
	for _, c := range nodes {
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n)) {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("cluster did not come up: %v\n%s", err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return addrs
}
