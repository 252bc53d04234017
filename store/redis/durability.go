package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
)

// Durability: what an answer of this store promises.
//
// With WaitReplicas zero (the default) a post succeeds once the primary
// has run its script: a failover before a replica copied it loses it, and
// so may a crash of Redis itself, depending on its persistence (which
// ReadPersistence reads and LossOnCrash puts into words).
//
// With WaitReplicas N (or WaitAll, see replicasToWait), a durable op
// (post, create, transfer, a minted token, a collection's creation or a
// member's addition) is sent in one pipeline with WAIT N on the same
// connection (exec's routes), so WAIT counts exactly the replicas that
// have that script's write. Fewer than N within WaitTimeout is
// store.ErrUnavailable although the write stands: the client retries,
// with an Idempotency-Key so the retry is not a second message. On a
// Cluster the pipeline goes to the primary of the keys' slot, the only
// node whose replicas matter.
//
// Reads are fenced the same way, as durable ops: read.lua always writes
// (it restarts the channel's idle timers), after every write it can
// return in the primary's replication stream, so WAIT after it confirms
// that the replicas hold all it read; fewer is ErrUnavailable, and the
// reader reads again later. post.lua then pushes no message in its notice, only
// the port (see messages.go's pushArg): every delivery is such a read, and
// no reader gets a message that a failover to a replica would take back.

// errNotReplicated marks a write that was made but reached fewer replicas
// than asked for. It wraps store.ErrUnavailable.
var errNotReplicated = errors.New("redis: write not acknowledged by enough replicas")

// waits reports whether durable ops wait for replicas (exec's routes).
func (s *Store) waits() bool { return s.waitReplicas > 0 }

// replicasToWait is how many replicas a write to node, the primary owning
// its keys, waits for: the one number every WAIT of the store asks for.
// It is Options.WaitReplicas, or with WaitAll as many as put the write on
// every promotable replica of that primary, as last counted (Needed; see
// replicas.go).
func (s *Store) replicasToWait(node goredis.Cmdable) int {
	if s.waitReplicas == WaitAll {
		return s.watch.waitFor(node)
	}
	return s.waitReplicas
}

// primaryFor is the node whose replicas a write of key must reach: the
// primary of key's slot on a Cluster, else the client itself (a Sentinel
// client follows the primary by itself).
func (s *Store) primaryFor(ctx context.Context, key string) (goredis.UniversalClient, error) {
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		return cc.MasterForKey(ctx, key)
	}
	return s.client, nil
}

// confirm is nil when a durable op's write is on as many replicas as rt
// waited for, given its answer v and wait, the answer of the WAIT sent
// after it on the same connection. A refusal wrote nothing worth waiting
// for. A write made but short of its replicas is the ErrUnavailable of a
// write that stands on the primary but may not survive a failover.
func (s *Store) confirm(ctx context.Context, rt *route, o op, v any, wait *goredis.Cmd) error {
	r, err := asReply(v)
	if err != nil || r.status() != stOK {
		return nil
	}
	if answeredEarlier(r) {
		wait = s.fence(ctx, rt, o.keys)
	}
	return s.replicated(ctx, wait, rt.replicas)
}

// replicated is nil when wait (a WAIT's answer) counted want replicas,
// else the ErrUnavailable of a write that stands on the primary but may
// not survive a failover, which the store counts (Stats.WaitShort).
func (s *Store) replicated(ctx context.Context, wait *goredis.Cmd, want int) error {
	acked, err := wait.Int64()
	if err != nil {
		return fmt.Errorf("%w: %w: replication unknown: %w", store.ErrUnavailable, errNotReplicated, s.wrap(ctx, err))
	}
	if acked < int64(want) {
		s.watch.waitShort.Add(1)
		return fmt.Errorf("%w: %w: %d of %d replicas within %v", store.ErrUnavailable, errNotReplicated, acked, want, s.waitTimeout)
	}
	return nil
}

// answeredEarlier reports whether a channel script's 'ok' answers a write
// made before, not by this run (its mark, see status.go): WAIT on this
// connection does not cover that write; see fence.
func answeredEarlier(r reply) bool {
	return r.str(2) == markReplayed || r.str(2) == markResent
}

// fence waits for replicas on behalf of an answer written before, by a
// run that may have been on another connection, or another instance, and
// never have reached a replica (its client got a 503 for that): WAIT
// counts the replicas that have everything up to its own connection's
// last write (in the documented contract; some versions take the
// primary's offset). So the fence first restarts the idle timer of the
// channel (keys begin with its four), which is a write after the first
// run's in the primary's replication stream, and WAIT covers both.
func (s *Store) fence(ctx context.Context, rt *route, keys []string) *goredis.Cmd {
	pipe := rt.node.Pipeline()
	for _, k := range keys[:min(4, len(keys))] {
		pipe.PExpire(ctx, k, s.limits.ChannelTTL)
	}
	wait := pipe.Do(ctx, "wait", rt.replicas, s.waitTimeout.Milliseconds())
	_, _ = pipe.Exec(ctx)
	return wait
}

// Persistence is what a Redis server says of how it keeps data on disk.
type Persistence struct {
	// Addr names the server (on a Cluster, one primary).
	Addr string
	// AppendOnly, AppendFsync and Save are the values of CONFIG GET
	// appendonly, appendfsync and save.
	AppendOnly, AppendFsync, Save string
	// Err is set when the settings could not be read (CONFIG disabled or
	// renamed, an ACL without +config, ...).
	Err error
}

// ReadPersistence reads the persistence settings of the Redis behind client:
// one entry, or one per primary of a Cluster. A server whose settings
// cannot be read has Err set; only a Cluster whose primaries cannot be
// listed makes the call fail.
func ReadPersistence(ctx context.Context, client goredis.UniversalClient) ([]Persistence, error) {
	cc, ok := client.(*goredis.ClusterClient)
	if !ok {
		return []Persistence{readPersistence(ctx, client, "")}, nil
	}
	var out syncSlice
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
		out.add(readPersistence(ctx, c, c.Options().Addr))
		return nil
	})
	return out.items, err
}

func readPersistence(ctx context.Context, c goredis.Cmdable, addr string) Persistence {
	p := Persistence{Addr: addr}
	if c, ok := c.(*goredis.Client); ok && addr == "" {
		p.Addr = c.Options().Addr
	}
	for _, f := range []struct {
		name string
		to   *string
	}{{"appendonly", &p.AppendOnly}, {"appendfsync", &p.AppendFsync}, {"save", &p.Save}} {
		m, err := c.ConfigGet(ctx, f.name).Result()
		if err != nil {
			p.Err = err
			return p
		}
		v, ok := m[f.name]
		if !ok {
			p.Err = fmt.Errorf("CONFIG GET %s answered nothing", f.name)
			return p
		}
		*f.to = v
	}
	return p
}

// LossOnCrash says, in a sentence for an operator, what acknowledged
// messages a crash of this Redis server would lose. A crash of the Redis
// process and a crash of its machine differ: data Redis handed to the
// operating system survives the first.
func (p Persistence) LossOnCrash() string {
	if p.Err != nil {
		return fmt.Sprintf("unknown: the persistence settings could not be read (%v); check appendonly, appendfsync and save on the server", p.Err)
	}
	if strings.EqualFold(p.AppendOnly, "yes") {
		switch strings.ToLower(p.AppendFsync) {
		case "always":
			return "nothing: every write is in the append-only file, fsynced, before it is acknowledged (appendfsync always)"
		case "everysec":
			return "nothing when only the Redis process crashes; up to about 1 s of acknowledged messages (2 s with a slow disk) when its machine crashes (appendfsync everysec)"
		case "no":
			return "nothing when only the Redis process crashes; whatever the operating system had not yet flushed to disk (often up to 30 s) when its machine crashes (appendfsync no)"
		}
		return fmt.Sprintf("unknown: appendonly yes with an unknown appendfsync %q", p.AppendFsync)
	}
	if strings.TrimSpace(p.Save) != "" {
		return fmt.Sprintf("everything acknowledged since the last snapshot: there is no append-only file, only RDB snapshots (save %q)", p.Save)
	}
	return "everything: this Redis keeps nothing on disk (appendonly no, save \"\")"
}

// syncSlice collects results from ForEachMaster's goroutines.
type syncSlice struct {
	mu    sync.Mutex
	items []Persistence
}

func (s *syncSlice) add(p Persistence) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items = append(s.items, p)
}
