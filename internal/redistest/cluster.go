package redistest

import (
	"context"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three masters (no replicas) started for a
// test.
type Cluster struct {
	// Nodes are the masters, in the order of their slot ranges.
	Nodes []*Server
	// Addrs are the nodes' host:port.
	Addrs []string
	// URL names every node the way go-redis's ParseClusterURL reads it:
	// redis://<first>?addr=<second>&addr=<third>.
	URL string
}

// StartCluster starts three cluster-enabled redis-servers on free loopback
// ports, joins them with `redis-cli --cluster create`, waits until every
// node reports the cluster ok, and stops them at tb's end.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		tb.Fatalf("redis-cli is not installed: apt-get install -y redis-tools")
	}
	c := &Cluster{}
	for range 3 {
		// The bus port would be port+10000, which may not exist.
		bus := strconv.Itoa(FreePort(tb))
		srv := Start(tb,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-port", bus,
			"--cluster-node-timeout", "2000")
		c.Nodes = append(c.Nodes, srv)
		c.Addrs = append(c.Addrs, srv.Addr)
	}
	// go-redis keeps a client's Addrs as its node list and appends to it:
	// without spare capacity, two clients never write into one array.
	c.Addrs = slices.Clip(c.Addrs)
	c.URL = "redis://" + c.Addrs[0] + "?addr=" + strings.Join(c.Addrs[1:], "&addr=")
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, srv := range c.Nodes {
		if err := waitClusterOK(ctx, srv.Addr); err != nil {
			tb.Fatalf("cluster node %s: %v", srv.Addr, err)
		}
	}
	return c
}

// Client returns a cluster client for c, closed at tb's end.
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	tb.Cleanup(func() { _ = cc.Close() })
	return cc
}

// waitClusterOK waits until the node at addr says cluster_state:ok and
// knows three nodes.
func waitClusterOK(ctx context.Context, addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	for {
		info, err := c.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
			return nil
		}
		if ctx.Err() != nil {
			if err == nil {
				err = ctx.Err()
			}
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hostPort splits an address this package made.
func hostPort(addr string) (string, string) {
	h, p, _ := net.SplitHostPort(addr)
	return h, p
}
