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
// With WaitReplicas N, a durable script (post, create, transfer, a
// minted token, a collection's creation or a member's addition) is sent
// in one pipeline with WAIT N on the same connection, so WAIT counts
// exactly the replicas that have that script's write. Fewer than N within
// WaitTimeout is store.ErrUnavailable although the write stands: the
// client retries, with an Idempotency-Key so the retry is not a second
// message. On a Cluster the pipeline goes to the primary of the keys' slot,
// the only node whose replicas matter.
//
// Reads are fenced the same way: read.lua always writes (it restarts the
// channel's idle timers), after every write it can return in the
// primary's replication stream, so WAIT after it confirms that the
// replicas hold all it read; fewer is ErrUnavailable, and the reader
// reads again later. post.lua then pushes no message in its notice, only
// the port (see messages.go's pushArg): every delivery is such a read, and
// no reader gets a message that a failover to a replica would take back.

// errNotReplicated marks a write that was made but reached fewer replicas
// than asked for. It wraps store.ErrUnavailable.
var errNotReplicated = errors.New("redis: write not acknowledged by enough replicas")

// runDurable runs sc and WAIT in one pipeline on one connection (that of
// the primary holding keys on a Cluster), within the store's timeout plus
// WaitTimeout: pipelinedDurable with one call. A refusal is answered as it
// is; a success that fewer than WaitReplicas replicas acknowledged is an
// error.
func (s *Store) runDurable(ctx context.Context, sc *goredis.Script, keys []string, args ...any) (any, error) {
	replies, errs := s.pipelinedDurable(ctx, []call{{script: sc, keys: keys, args: args}})
	return replies[0], errs[0]
}

// pipelinedDurable is pipelined for writes that must reach replicas
// first (Options.WaitReplicas): the calls are grouped by the primary that
// owns their keys, and each group goes in one pipeline that ends with
// WAIT, on one connection, so that WAIT counts exactly those writes. A
// call that wrote (answered 'ok') on a primary whose replicas did not all
// confirm in time fails with ErrUnavailable: it is stored on the primary
// but might not survive a failover. Refusals wrote nothing and stand.
func (s *Store) pipelinedDurable(ctx context.Context, calls []call) (replies []any, errs []error) {
	ctx, cancel := s.bound(ctx, s.waitTimeout)
	defer cancel()
	replies = make([]any, len(calls))
	errs = make([]error, len(calls))
	groups := map[goredis.Cmdable][]int{}
	var nodes []goredis.Cmdable
	for i, c := range calls {
		node, err := s.primaryFor(ctx, c.keys[0])
		if err != nil {
			errs[i] = s.wrap(ctx, err)
			continue
		}
		if _, seen := groups[node]; !seen {
			nodes = append(nodes, node)
		}
		groups[node] = append(groups[node], i)
	}
	if len(nodes) == 1 { // every post, and a broadcast off a Cluster
		s.pipeGroupWait(ctx, nodes[0], calls, groups[nodes[0]], replies, errs)
		return replies, errs
	}
	var wg sync.WaitGroup
	for _, node := range nodes {
		wg.Go(func() { s.pipeGroupWait(ctx, node, calls, groups[node], replies, errs) })
	}
	wg.Wait()
	return replies, errs
}

// primaryFor is the node whose replicas a write of key must reach: the
// primary of key's slot on a Cluster, else the client itself (a Sentinel
// client follows the primary by itself).
func (s *Store) primaryFor(ctx context.Context, key string) (goredis.Cmdable, error) {
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		return cc.MasterForKey(ctx, key)
	}
	return s.client, nil
}

// pipeGroupWait runs the calls at indexes on node in one pipeline ending
// with WAIT, and sets their replies and errors (see pipelinedDurable).
// A node can lose its scripts at any time (a restart, a failover to a
// replica, SCRIPT FLUSH): the calls refused with NOSCRIPT, which ran
// nothing, go again with their whole text, in a second pipeline ending
// with WAIT of its own.
func (s *Store) pipeGroupWait(ctx context.Context, node goredis.Cmdable, calls []call, indexes []int, replies []any, errs []error) {
	if again := s.pipeGroupWaitOnce(ctx, node, calls, indexes, replies, errs, true); len(again) > 0 {
		s.pipeGroupWaitOnce(ctx, node, calls, again, replies, errs, false)
	}
}

// pipeGroupWaitOnce is pipeGroupWait with EVALSHA (sha) or EVAL, once. It
// returns the indexes refused with NOSCRIPT, whose replies and errors it
// leaves unset.
func (s *Store) pipeGroupWaitOnce(ctx context.Context, node goredis.Cmdable, calls []call, indexes []int, replies []any, errs []error, sha bool) (noScript []int) {
	pipe := node.Pipeline()
	cmds := make([]*goredis.Cmd, len(indexes))
	for j, i := range indexes {
		c := calls[i]
		if sha {
			cmds[j] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
		} else {
			cmds[j] = c.script.Eval(ctx, pipe, c.keys, c.args...)
		}
	}
	want := s.replicasToWait(node)
	wait := pipe.Do(ctx, "wait", want, s.waitTimeout.Milliseconds())
	_, _ = pipe.Exec(ctx) // each command's error is read from it
	for j, i := range indexes {
		v, err := cmds[j].Result()
		if sha && goredis.HasErrorPrefix(err, "NOSCRIPT") {
			noScript = append(noScript, i)
			continue
		}
		if err != nil {
			errs[i] = s.wrap(ctx, err)
			continue
		}
		replies[i] = v
		r, rerr := asReply(v)
		if rerr != nil || r.status() != "ok" {
			continue // a refusal wrote nothing worth waiting for
		}
		waited := wait
		if (calls[i].script == s.scripts.post || calls[i].script == s.scripts.transfer) && wroteEarlier(r) {
			// Answered from a write made before, maybe on another
			// connection (rare; one fence each).
			waited = s.fenceWait(ctx, node, calls[i].keys[:4], want)
		}
		errs[i] = s.replicated(ctx, waited, want)
	}
	return noScript
}

// replicasToWait is how many replicas a write to node, a primary, waits
// for: Options.WaitReplicas, or with WaitAll as many as put the write on
// every promotable replica of that primary, as last counted (Needed; see
// replicas.go).
func (s *Store) replicasToWait(node goredis.Cmdable) int {
	if s.waitReplicas == WaitAll {
		return s.watch.waitFor(node)
	}
	return s.waitReplicas
}

// replicated is nil when wait (a WAIT's answer) counted want replicas,
// else the ErrUnavailable of a write that stands on the primary but may
// not survive a failover.
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

// wroteEarlier reports whether post.lua or transfer.lua answered a write
// made before, not by this run: an idempotency key's replay, or a resent
// run of the same call. WAIT on this connection does not cover that
// write; see fenceWait.
func wroteEarlier(r reply) bool {
	return r.str(2) == "replayed" || r.str(2) == "resent"
}

// fenceWait waits for replicas on behalf of a replayed post, which wrote
// nothing: WAIT counts the replicas that have everything up to its own
// connection's last write (in the documented contract; some versions
// take the primary's offset), and the first run's write may have been
// made on another connection, or by another instance, and never have
// reached a replica (its client got a 503 for that). So the replay first
// restarts the channel's idle timer, as every post does, which is a write
// after the first run's in the primary's replication stream, and WAIT
// covers both. keys are the channel's keys, want the replicas to count.
func (s *Store) fenceWait(ctx context.Context, node goredis.Cmdable, keys []string, want int) *goredis.Cmd {
	pipe := node.Pipeline()
	for _, k := range keys {
		pipe.PExpire(ctx, k, s.limits.ChannelTTL)
	}
	wait := pipe.Do(ctx, "wait", want, s.waitTimeout.Milliseconds())
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
