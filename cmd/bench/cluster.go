package main

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
)

// clusterPrimaries is how many primaries the bench's Redis Cluster has.
const clusterPrimaries = 3

// redisStore is where an api target keeps its data: REDIS_URL, read as
// REDIS_MODE says, and the redis-servers behind it.
type redisStore struct {
	url, mode string
	nodes     []*child
}

// startCluster starts a private Redis Cluster of clusterPrimaries
// primaries and no replicas on free loopback ports, as
// internal/redistest's StartCluster does for tests, but as the bench's
// children (killed with it, their CPU time read from /proc, pinned with
// the other servers), and joined with commands rather than redis-cli: each
// node takes a third of the slots and a config epoch of its own, then the
// first meets the others. It returns once every node says the cluster is
// ok and knows every node.
func (cs *children) startCluster(ctx context.Context) (*redisStore, error) {
	st := &redisStore{mode: "cluster"}
	var addrs, buses []string
	for i := range clusterPrimaries {
		bus, err := freeAddr()
		if err != nil {
			return nil, err
		}
		_, busPort, _ := net.SplitHostPort(bus)
		addr, c, err := cs.startRedis(ctx, fmt.Sprintf("redis-cluster-%d", i+1),
			// The bus would be on port+10000 otherwise, which may not
			// exist or be free.
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", busPort)
		if err != nil {
			return nil, err
		}
		st.nodes = append(st.nodes, c)
		addrs, buses = append(addrs, addr), append(buses, busPort)
	}
	st.url = "redis://" + addrs[0] + "?addr=" + strings.Join(addrs[1:], "&addr=")
	clients := make([]*redis.Client, len(addrs))
	for i, a := range addrs {
		clients[i] = redis.NewClient(&redis.Options{Addr: a})
		defer clients[i].Close()
	}
	const slots = 16384
	for i, c := range clients {
		lo, hi := i*slots/len(clients), (i+1)*slots/len(clients)-1
		if err := c.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return nil, fmt.Errorf("cluster node %s: %w", addrs[i], err)
		}
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return nil, fmt.Errorf("cluster node %s: %w", addrs[i], err)
		}
	}
	for i := 1; i < len(addrs); i++ {
		host, port, _ := net.SplitHostPort(addrs[i])
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", host, port, buses[i]).Err(); err != nil {
			return nil, fmt.Errorf("cluster meet %s: %w", addrs[i], err)
		}
	}
	for i, c := range clients {
		err := waitReady(ctx, st.nodes[i], func(ctx context.Context) error {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", len(addrs))) {
				return fmt.Errorf("cluster not ready yet")
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("cluster node %s: %w", addrs[i], err)
		}
	}
	return st, nil
}
