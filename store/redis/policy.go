package redis

import (
	"context"
	"fmt"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// EvictionPolicy is what a Redis server says of how it frees memory when
// full.
type EvictionPolicy struct {
	// Addr names the server (on a Cluster, one primary).
	Addr string
	// Policy is the value of CONFIG GET maxmemory-policy.
	Policy string
	// Err is set when the policy could not be read (CONFIG disabled or
	// renamed, an ACL without +config, ...).
	Err error
}

// NoEviction is the one maxmemory-policy under which Redis never deletes
// what the store wrote: a full Redis refuses writes (OOM, which the store
// answers as unavailable) instead.
const NoEviction = "noeviction"

// Evicts reports whether the policy deletes keys when Redis is full.
// Every key of the store has a TTL, so the volatile-* policies evict
// them as surely as the allkeys-* ones: anything but noeviction loses
// acknowledged messages silently.
func (p EvictionPolicy) Evicts() bool {
	return p.Err == nil && !strings.EqualFold(p.Policy, NoEviction)
}

// ReadEvictionPolicy reads maxmemory-policy of the Redis behind client:
// one entry, or one per primary of a Cluster. A server whose policy cannot
// be read has Err set; only a Cluster whose primaries cannot be listed
// makes the call fail.
func ReadEvictionPolicy(ctx context.Context, client goredis.UniversalClient) ([]EvictionPolicy, error) {
	cc, ok := client.(*goredis.ClusterClient)
	if !ok {
		addr := ""
		if c, ok := client.(*goredis.Client); ok {
			addr = c.Options().Addr
		}
		return []EvictionPolicy{readEvictionPolicy(ctx, client, addr)}, nil
	}
	var mu sync.Mutex
	var out []EvictionPolicy
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
		p := readEvictionPolicy(ctx, c, c.Options().Addr)
		mu.Lock()
		defer mu.Unlock()
		out = append(out, p)
		return nil
	})
	return out, err
}

func readEvictionPolicy(ctx context.Context, c goredis.Cmdable, addr string) EvictionPolicy {
	p := EvictionPolicy{Addr: addr}
	const name = "maxmemory-policy"
	m, err := c.ConfigGet(ctx, name).Result()
	if err != nil {
		p.Err = err
		return p
	}
	v, ok := m[name]
	if !ok {
		p.Err = fmt.Errorf("CONFIG GET %s answered nothing", name)
		return p
	}
	p.Policy = v
	return p
}
