package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// DefaultCheckInterval is how often the store counts the replicas writes
// wait for and looks for keys Redis evicted.
const DefaultCheckInterval = 5 * time.Second

// Stats are counts the store keeps for metrics. Each only grows.
type Stats struct {
	// WaitShort counts WAITs that counted fewer replicas than their write
	// waited for: each a 503 whose write stands on the primary but may
	// not survive a failover.
	WaitShort uint64
	// EvictedKeys counts the keys Redis evicted (INFO stats evicted_keys
	// growing) while the store watched. Any is acknowledged data lost.
	EvictedKeys uint64
}

// Stats returns the store's counts.
func (s *Store) Stats() Stats {
	return Stats{WaitShort: s.watch.waitShort.Load(), EvictedKeys: s.watch.evicted.Load()}
}

// Replicas returns the replicas of each primary as last counted: one
// entry, or one per primary of a Cluster. It is nil when writes do not
// wait for replicas (WaitReplicas 0), which leaves them uncounted, or
// before a first count succeeded.
func (s *Store) Replicas() []Replicas {
	if p := s.watch.counted.Load(); p != nil {
		return slices.Clone(*p)
	}
	return nil
}

// watcher is the store's one background look at Redis's own state: every
// CheckInterval it counts the promotable replicas (when writes wait for
// replicas) and the keys Redis evicted, and logs what an operator must
// know when it changes.
type watcher struct {
	client       goredis.UniversalClient
	log          *slog.Logger
	timeout      time.Duration
	interval     time.Duration
	waitReplicas int
	// name names the primary of a single server or Sentinel in logs.
	name string

	counted   atomic.Pointer[[]Replicas]
	waitShort atomic.Uint64
	evicted   atomic.Uint64

	// The rest belongs to the watching goroutine, and to New before it
	// starts.
	counter  *counter
	reported map[string]Replicas
	// warned holds the last error logged for each kind of look, so that
	// a lasting one is logged once.
	warned map[string]string
	// evictedSeen is each primary's last evicted_keys, by run_id (a
	// restarted Redis counts from zero again).
	evictedSeen map[string]int64
}

func newWatcher(client goredis.UniversalClient, opts Options) *watcher {
	w := &watcher{
		client:       client,
		log:          opts.Logger,
		timeout:      opts.Timeout,
		interval:     opts.CheckInterval,
		waitReplicas: opts.WaitReplicas,
		counter:      newCounter(client, opts.Sentinel, opts),
		reported:     map[string]Replicas{},
		warned:       map[string]string{},
		evictedSeen:  map[string]int64{},
	}
	if c, ok := client.(*goredis.Client); ok {
		w.name = c.Options().Addr
	}
	if opts.Sentinel != nil {
		w.name = "master " + opts.Sentinel.MasterName
	}
	return w
}

// first is the start-up check. A count that fails is an error only when
// writes wait for every promotable replica: they cannot wait for a number
// the store never learned.
func (w *watcher) first(ctx context.Context) error {
	if err := w.check(ctx); err != nil && w.waitReplicas == WaitAll {
		return fmt.Errorf("redis store: count the promotable replicas writes wait for: %w", err)
	}
	return nil
}

// run checks every interval until ctx ends, then closes the counter's
// connections.
func (w *watcher) run(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	defer w.counter.close()
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_ = w.check(ctx)
	}
}

// check looks once, logging what it finds, and returns the error of the
// count of replicas.
func (w *watcher) check(ctx context.Context) error {
	// Each round trip has its own timeout; this only bounds a look at
	// many nodes that all hang.
	ctx, cancel := context.WithTimeout(ctx, 10*w.timeout)
	defer cancel()
	var err error
	if w.waitReplicas != 0 {
		err = w.recount(ctx)
	}
	w.lookForEvictions(ctx)
	return err
}

// recount counts the replicas and logs each primary's that changed. A
// count that fails keeps the last one: a count must not drop because
// Redis did not answer once.
func (w *watcher) recount(ctx context.Context) error {
	list, err := w.counter.count(ctx)
	if err != nil {
		w.warnOnce(ctx, "count", "redis store: could not count the replicas writes wait for; keeping the last count", err)
		return err
	}
	w.warnOnce(ctx, "count", "", nil)
	slices.SortFunc(list, func(a, b Replicas) int { return cmp.Compare(a.Primary, b.Primary) })
	for i := range list {
		list[i].Wait = w.waitReplicas
		if w.waitReplicas == WaitAll {
			list[i].Wait = list[i].Needed
		}
	}
	w.counted.Store(&list)
	w.report(ctx, list)
	return nil
}

// report logs each primary whose count changed since it was last logged:
// a WARN for each way its writes cannot keep their promise, else an INFO.
func (w *watcher) report(ctx context.Context, list []Replicas) {
	seen := map[string]bool{}
	for _, r := range list {
		seen[r.Primary] = true
		if last, ok := w.reported[r.Primary]; ok && last == r {
			continue
		}
		w.reported[r.Primary] = r
		attrs := []any{"primary", r.Primary, "wait", r.Wait, "needed", r.Needed, "promotable", r.Promotable, "online", r.Online, "unread", r.Unread}
		problems := r.Problems()
		for _, p := range problems {
			w.log.Log(ctx, slog.LevelWarn, "redis store: "+p, attrs...)
		}
		if len(problems) == 0 {
			w.log.Log(ctx, slog.LevelInfo, "redis store: a write waits for every replica a failover could promote", attrs...)
		}
	}
	for p := range w.reported {
		if !seen[p] {
			delete(w.reported, p)
		}
	}
}

// waitFor is how many replicas a write to node must reach with WaitAll:
// Needed for that primary. A primary not counted yet (a
// Cluster's new primary) gets WaitAll itself, which no WAIT reaches: its
// writes answer 503 until the next count knows it, never an
// acknowledgement its replicas may lack.
func (w *watcher) waitFor(node goredis.Cmdable) int {
	p := w.counted.Load()
	if p == nil {
		return WaitAll
	}
	list := *p
	if !isCluster(w.client) && len(list) == 1 {
		return list[0].Wait
	}
	if c, ok := node.(*goredis.Client); ok {
		addr := c.Options().Addr
		for _, r := range list {
			if r.Primary == addr {
				return r.Wait
			}
		}
	}
	return WaitAll
}

// evictions is one primary's evicted_keys.
type evictions struct {
	primary, runID string
	evicted        int64
}

// lookForEvictions reads evicted_keys on every primary and warns, and
// counts, when it grew: every tincan key has a TTL, so even a volatile-*
// policy evicts acknowledged messages.
func (w *watcher) lookForEvictions(ctx context.Context) {
	var found []evictions
	var err error
	if cc, ok := w.client.(*goredis.ClusterClient); ok {
		var mu sync.Mutex
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
			e, err := readEvictions(ctx, node, node.Options().Addr)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			found = append(found, e)
			return nil
		})
	} else {
		var e evictions
		e, err = readEvictions(ctx, w.client, w.name)
		found = append(found, e)
	}
	if err != nil {
		w.warnOnce(ctx, "evictions", "redis store: could not read evicted_keys; evictions go unnoticed meanwhile", err)
		return
	}
	w.warnOnce(ctx, "evictions", "", nil)
	next := map[string]int64{}
	for _, e := range found {
		next[e.runID] = e.evicted
		last, seen := w.evictedSeen[e.runID]
		switch {
		case !seen && e.evicted > 0:
			w.log.Warn("redis store: this Redis evicted keys before the store watched it; acknowledged messages may be gone (set maxmemory-policy noeviction)",
				"primary", e.primary, "evicted_keys", e.evicted)
		case seen && e.evicted > last:
			w.evicted.Add(uint64(e.evicted - last))
			w.log.Warn("redis store: Redis evicted keys; acknowledged messages may be gone (set maxmemory-policy noeviction, and give Redis more memory)",
				"primary", e.primary, "evicted", e.evicted-last, "evicted_keys", e.evicted)
		}
	}
	w.evictedSeen = next
}

// readEvictions reads the run id and evicted_keys of the primary behind
// c, in one round trip.
func readEvictions(ctx context.Context, c goredis.Cmdable, primary string) (evictions, error) {
	pipe := c.Pipeline()
	server := pipe.Info(ctx, "server")
	stats := pipe.Info(ctx, "stats")
	if _, err := pipe.Exec(ctx); err != nil {
		return evictions{}, fmt.Errorf("INFO on %s: %w", primary, err)
	}
	n, err := strconv.ParseInt(infoFields(stats.Val())["evicted_keys"], 10, 64)
	if err != nil {
		return evictions{}, fmt.Errorf("INFO stats on %s: evicted_keys: %w", primary, err)
	}
	return evictions{primary: primary, runID: infoFields(server.Val())["run_id"], evicted: n}, nil
}

// warnOnce logs msg with err at WARN unless the last error of kind was the
// same; a nil err forgets it, so that the next failure is logged again.
func (w *watcher) warnOnce(ctx context.Context, kind, msg string, err error) {
	if err == nil {
		delete(w.warned, kind)
		return
	}
	if w.warned[kind] == err.Error() || errors.Is(ctx.Err(), context.Canceled) {
		return
	}
	w.warned[kind] = err.Error()
	w.log.Warn(msg, "err", err)
}
