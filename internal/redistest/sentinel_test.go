package redistest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A Sentinel set with two replicas has both attached to the primary, and
// PauseSentinels stops the sentinels answering until ResumeSentinels.
func TestStartSentinelReplicas(t *testing.T) {
	s := StartSentinelReplicas(t, 2, "--repl-diskless-sync-delay", "0")
	if len(s.Replicas) != 2 || s.Replica != s.Replicas[0] {
		t.Fatalf("replicas %v, Replica %v", s.Replicas, s.Replica)
	}
	for _, r := range s.Replicas {
		info, err := r.Client(t).Info(t.Context(), "replication").Result()
		if err != nil || !strings.Contains(info, "role:slave") || !strings.Contains(info, "master_port:"+portOf(s.Primary.Addr)) {
			t.Fatalf("replica %s: %v\n%s", r.Addr, err, info)
		}
	}
	// A paused sentinel does not answer within 200ms (nor ever); a
	// resumed one answers, however loaded the machine. Each question
	// has a client of its own, whose timeouts are the question's: a new
	// connection's handshake keeps the client's read timeout (3 s by
	// default), not the context's.
	ping := func(within time.Duration) error {
		c := redis.NewSentinelClient(&redis.Options{Addr: s.Addrs[0], MaxRetries: -1,
			DialTimeout: within, ReadTimeout: within, WriteTimeout: within})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		return c.Ping(ctx).Err()
	}
	s.PauseSentinels(t)
	if err := ping(200 * time.Millisecond); err == nil {
		t.Fatal("a paused sentinel answered PING")
	}
	s.ResumeSentinels()
	if err := ping(30 * time.Second); err != nil {
		t.Fatalf("a resumed sentinel: %v", err)
	}
}

func portOf(addr string) string {
	_, p := hostPort(addr)
	return p
}
