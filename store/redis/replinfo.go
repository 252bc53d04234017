package redis

import (
	"context"
	"fmt"
	"net"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// What Redis says of its replicas, read from INFO and CLUSTER NODES.

// clusterReplicas reads, from the CLUSTER NODES text of one node, the
// replicas of that node (the one flagged myself), by address.
func clusterReplicas(text string) map[string]replica {
	var myself string
	type line struct{ id, addr, flags, master string }
	var lines []line
	for l := range strings.SplitSeq(text, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		// ip:port@cport[,hostname]
		addr, _, _ := strings.Cut(f[1], "@")
		lines = append(lines, line{id: f[0], addr: addr, flags: f[2], master: f[3]})
		if hasFlag(f[2], "myself") {
			myself = f[0]
		}
	}
	out := map[string]replica{}
	for _, l := range lines {
		if myself == "" || l.master != myself || !hasFlag(l.flags, "slave") {
			continue
		}
		p := 1 // CLUSTER NODES shows no priority: promotable unless flagged
		if hasFlag(l.flags, "nofailover") {
			p = 0
		}
		out[l.addr] = replica{priority: p}
	}
	return out
}

func hasFlag(flags, flag string) bool {
	for f := range strings.SplitSeq(flags, ",") {
		if f == flag {
			return true
		}
	}
	return false
}

// replication is what INFO replication says of a primary.
type replication struct {
	replid string
	// replicas are the connected replicas by address: online when their
	// state is online, the only state WAIT counts.
	replicas map[string]bool
}

// readReplication reads INFO replication of the primary behind c.
func readReplication(ctx context.Context, c goredis.Cmdable) (replication, error) {
	text, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return replication{}, fmt.Errorf("INFO replication: %w", err)
	}
	return parseReplication(text)
}

// parseReplication reads the text of INFO replication of a primary.
func parseReplication(text string) (replication, error) {
	f := infoFields(text)
	if f["role"] != "master" {
		return replication{}, fmt.Errorf("INFO replication: role %q, not a primary", f["role"])
	}
	r := replication{replid: f["master_replid"], replicas: map[string]bool{}}
	for k, v := range f {
		if n, ok := strings.CutPrefix(k, "slave"); !ok || n == "" || strings.Trim(n, "0123456789") != "" {
			continue // not slave0, slave1, ...
		}
		// slave0:ip=10.0.0.2,port=6379,state=online,offset=...,lag=0
		kv := map[string]string{}
		for part := range strings.SplitSeq(v, ",") {
			name, val, _ := strings.Cut(part, "=")
			kv[name] = val
		}
		if kv["ip"] == "" || kv["port"] == "" {
			continue
		}
		r.replicas[net.JoinHostPort(kv["ip"], kv["port"])] = kv["state"] == "online"
	}
	return r, nil
}

// infoFields splits an INFO answer into its fields.
func infoFields(text string) map[string]string {
	out := map[string]string{}
	for l := range strings.SplitSeq(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[k] = v
		}
	}
	return out
}
