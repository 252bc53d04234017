package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
)

// gate holds round trips on their way to Redis, one per hold, so that a
// test knows what is in flight and what queued behind it.
type gate struct {
	holds   chan chan struct{}
	entered chan struct{}
	// match, when set, picks the round trips a hold holds.
	match func(cmds []goredis.Cmder) bool
}

func newGate() *gate {
	return &gate{holds: make(chan chan struct{}, 4), entered: make(chan struct{}, 4)}
}

// hold makes the next round trip through the client wait, once it has
// reached the gate (which it reports on entered), until release is called.
func (g *gate) hold() (release func()) {
	r := make(chan struct{})
	g.holds <- r
	return func() { close(r) }
}

func (g *gate) wait(cmds ...goredis.Cmder) {
	if g.match != nil && !g.match(cmds) {
		return
	}
	select {
	case r := <-g.holds:
		g.entered <- struct{}{}
		<-r
	default:
	}
}

func (g *gate) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (g *gate) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		g.wait(cmd)
		return next(ctx, cmd)
	}
}

func (g *gate) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		g.wait(cmds...)
		return next(ctx, cmds)
	}
}

// newQuietStore is a Store on c with nothing in the background that
// sends (sweeps, checks), closed when the test ends.
func newQuietStore(t *testing.T, c goredis.UniversalClient) *Store {
	t.Helper()
	s, err := New(t.Context(), c, Options{
		Prefix:        redistest.Prefix(t),
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		SweepInterval: time.Hour,
		CheckInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newGatedStore is a Store on a private server whose client goes through
// a gate, with nothing in the background that sends (sweeps, checks).
func newGatedStore(t *testing.T) (*Store, *goredis.Client, *gate) {
	t.Helper()
	c := redistest.Start(t).Client(t)
	s := newQuietStore(t, c)
	g := newGate()
	c.AddHook(g)
	return s, c, g
}

// queued is how many calls wait in the batcher of node and wait.
func queued(s *Store, node goredis.UniversalClient, wait bool) int {
	b := s.batcher(&route{node: node, group: node, wait: wait})
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// waitQueued returns once n calls wait in the client's plain batcher.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	waitQueuedOn(t, s, false, n)
}

// waitQueuedOn returns once n calls wait in the client's batcher of wait.
func waitQueuedOn(t *testing.T, s *Store, wait bool, n int) {
	t.Helper()
	for queued(s, s.client, wait) < n {
		if t.Context().Err() != nil {
			t.Fatal("calls did not queue")
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// inFlight holds as many calls' round trips at the gate as a batcher
// sends at once, so that the next calls queue, and returns the gate's
// release and a wait for those calls' end.
func inFlight(t *testing.T, s *Store, g *gate) (release func(), done func()) {
	t.Helper()
	return holdPing(t, s, g, true)
}

// holdPing is inFlight, checking the calls' answers if check.
func holdPing(t *testing.T, s *Store, g *gate, check bool) (release func(), done func()) {
	t.Helper()
	var releases []func()
	var wg sync.WaitGroup
	for range s.batchInFlight {
		releases = append(releases, g.hold())
		wg.Go(func() {
			if r := s.exec(context.Background(), command("ping"))[0]; r.err != nil && check {
				t.Errorf("ping: %v", r.err)
			}
		})
		<-g.entered
	}
	return func() {
		for _, r := range releases {
			r()
		}
	}, wg.Wait
}

// TestBatchSharesRoundTrips: calls that come while a round trip is in
// flight go together, in one round trip, each with its own answer, and a
// call's ops stay together and in order.
func TestBatchSharesRoundTrips(t *testing.T) {
	s, _, g := newGatedStore(t)
	ctx := t.Context()
	const n = 20
	chans := make([]store.NewChannel, n)
	for i := range chans {
		var err error
		if chans[i], err = s.CreateChannel(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	key := s.keys.prefix + "counter"

	before := s.trips.Load()
	release, done := inFlight(t, s, g)
	ids := make([]store.EventID, n)
	counts := make([][]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			ids[i], err = s.Post(ctx, store.Credentials{PortID: chans[i].Port1.ID, Token: chans[i].Port1.Token},
				store.Outgoing{Data: fmt.Appendf(nil, "%d", i)})
			if err != nil {
				t.Errorf("post %d: %v", i, err)
			}
		})
		wg.Go(func() {
			counts[i] = s.exec(ctx, command("incr", key), command("incr", key), command("get", key))
		})
	}
	waitQueued(t, s, 2*n)
	release()
	done()
	wg.Wait()
	if got, want := s.trips.Load()-before, int64(s.batchInFlight+1); got != want {
		t.Errorf("%d calls sent in %d round trips, want %d (those in flight, then one batch)", 2*n+s.batchInFlight, got, want)
	}
	seen := map[int64]bool{}
	for i, c := range counts {
		a, _ := c[0].val.(int64)
		b, _ := c[1].val.(int64)
		v, _ := c[2].val.(string)
		if c[0].err != nil || c[1].err != nil || c[2].err != nil || b != a+1 || v != fmt.Sprint(b) {
			t.Errorf("call %d: incr, incr, get answered %v, %v, %v: not one call's ops in order", i, c[0], c[1], c[2])
		}
		seen[a] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct counts for %d calls", len(seen), n)
	}
	for i, ch := range chans {
		b, err := s.Read(ctx, store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}, store.EventID{}, store.ReadLimit{Messages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Messages) != 1 || b.Messages[0].ID != ids[i] || string(b.Messages[0].Data) != fmt.Sprint(i) {
			t.Errorf("channel %d holds %+v, want message %d under id %v", i, b.Messages, i, ids[i])
		}
	}
}

// TestBatchBounded: a batch takes whole calls up to batchMaxOps ops; the
// rest go in the next.
func TestBatchBounded(t *testing.T) {
	s, _, g := newGatedStore(t)
	ctx := t.Context()
	before := s.trips.Load()
	release, done := inFlight(t, s, g)
	const calls = 3 * batchMaxOps / 2 // 1.5 batches of one-op calls
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			if r := s.exec(ctx, command("ping"))[0]; r.err != nil {
				t.Errorf("ping: %v", r.err)
			}
		})
	}
	waitQueued(t, s, calls)
	release()
	done()
	wg.Wait()
	if got, want := s.trips.Load()-before, int64(s.batchInFlight+2); got != want {
		t.Errorf("%d calls sent in %d round trips, want %d (those in flight, a full batch, the rest)", calls+s.batchInFlight, got, want)
	}
}

// TestBatchErrorStaysWithOp: in a batch, an op that fails (a script error,
// a command on a key of the wrong type, a script Redis does not hold)
// has its own answer, and the others theirs.
func TestBatchErrorStaysWithOp(t *testing.T) {
	s, c, g := newGatedStore(t)
	ctx := t.Context()
	key := s.keys.prefix + "list"
	if err := c.RPush(ctx, key, "a").Err(); err != nil {
		t.Fatal(err)
	}
	failing := newScript("return redis.error_reply('ERR boom')")
	fresh := newScript("return 'fresh " + t.Name() + "'") // never loaded: NOSCRIPT, then EVAL

	release, done := inFlight(t, s, g)
	var wg sync.WaitGroup
	var wrongType, script, good, noScript, good2 result
	for _, f := range []func(){
		func() { wrongType = s.exec(ctx, command("incr", key))[0] },
		func() { script = s.exec(ctx, scriptOp(failing, 0, []string{key}))[0] },
		func() { good = s.exec(ctx, command("lrange", key, 0, -1))[0] },
		func() { noScript = s.exec(ctx, scriptOp(fresh, 0, []string{key}))[0] },
		func() { good2 = s.exec(ctx, command("echo", "x"))[0] },
	} {
		wg.Go(f)
	}
	waitQueued(t, s, 5)
	release()
	done()
	wg.Wait()
	if wrongType.err == nil || !strings.Contains(wrongType.err.Error(), "WRONGTYPE") {
		t.Errorf("incr on a list answered %v, %v; want WRONGTYPE", wrongType.val, wrongType.err)
	}
	if script.err == nil || !strings.Contains(script.err.Error(), "boom") {
		t.Errorf("failing script answered %v, %v; want its error", script.val, script.err)
	}
	if v, ok := good.val.([]any); good.err != nil || !ok || len(v) != 1 || v[0] != "a" {
		t.Errorf("lrange answered %v, %v", good.val, good.err)
	}
	if noScript.err != nil || noScript.val != "fresh "+t.Name() {
		t.Errorf("a script Redis did not hold answered %v, %v; want it run with its text", noScript.val, noScript.err)
	}
	if good2.err != nil || good2.val != "x" {
		t.Errorf("echo answered %v, %v", good2.val, good2.err)
	}
}

// TestBatchCallerGivesUp: a caller who gives up while its ops are queued
// gets its context's error, not unknown, and its ops are never sent; one
// who gives up while its batch is in flight gets unknown at once; neither
// changes the others' answers.
func TestBatchCallerGivesUp(t *testing.T) {
	s, c, g := newGatedStore(t)
	ctx := t.Context()
	k := func(name string) string { return s.keys.prefix + name }

	t.Run("Queued", func(t *testing.T) {
		release, done := inFlight(t, s, g)
		quit, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var gaveUp, other result
		wg.Go(func() { gaveUp = s.exec(quit, command("set", k("queued"), "1"))[0] })
		waitQueued(t, s, 1)
		wg.Go(func() { other = s.exec(ctx, command("set", k("other"), "1"))[0] })
		waitQueued(t, s, 2)
		cancel()
		for queued(s, s.client, false) != 1 {
			runtime.Gosched()
		}
		release()
		done()
		wg.Wait()
		if !errors.Is(gaveUp.err, context.Canceled) || gaveUp.unknown {
			t.Errorf("queued caller who gave up: %v, unknown %v; want canceled, not unknown", gaveUp.err, gaveUp.unknown)
		}
		if other.err != nil || other.val != "OK" {
			t.Errorf("the other caller: %v, %v", other.val, other.err)
		}
		if n := c.Exists(ctx, k("queued")).Val(); n != 0 {
			t.Error("the withdrawn op was sent")
		}
	})

	t.Run("Bound", func(t *testing.T) {
		// Queued behind a round trip that never ends, a call answers at
		// the store's time bound, unavailable, and not unknown: it was
		// never sent. (The held call passes its own bound too.)
		release, done := holdPing(t, s, g, false)
		var bounded result
		answered := make(chan struct{})
		go func() {
			bounded = s.exec(ctx, command("set", k("bounded"), "1"))[0]
			close(answered)
		}()
		select {
		case <-answered:
		case <-ctx.Done():
			t.Fatal("the queued call did not answer")
		}
		release()
		done()
		if !errors.Is(bounded.err, store.ErrUnavailable) || bounded.unknown {
			t.Errorf("queued call past the bound: %v, unknown %v; want unavailable, not unknown", bounded.err, bounded.unknown)
		}
		if n := c.Exists(ctx, k("bounded")).Val(); n != 0 {
			t.Error("the op past its bound was sent")
		}
	})

	t.Run("InFlight", func(t *testing.T) {
		release, done := inFlight(t, s, g)
		quit, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var gaveUp, other result
		answered := make(chan struct{})
		wg.Go(func() {
			gaveUp = s.exec(quit, command("set", k("sent"), "1"))[0]
			close(answered)
		})
		wg.Go(func() { other = s.exec(ctx, command("incr", k("count")))[0] })
		waitQueued(t, s, 2)
		releaseBatch := g.hold() // the batch's round trip, next
		release()
		done()
		<-g.entered
		cancel()
		// The caller who gave up answers while its batch is still held.
		select {
		case <-answered:
		case <-ctx.Done():
			t.Fatal("the caller who gave up did not answer")
		}
		releaseBatch()
		wg.Wait()
		if !errors.Is(gaveUp.err, context.Canceled) || !gaveUp.unknown {
			t.Errorf("caller who gave up in flight: %v, unknown %v; want canceled, unknown", gaveUp.err, gaveUp.unknown)
		}
		if other.err != nil || other.val != int64(1) {
			t.Errorf("the other caller: %v, %v", other.val, other.err)
		}
		if v := c.Get(ctx, k("sent")).Val(); v != "1" {
			t.Errorf("the op of the caller who gave up in flight: %q, want it sent", v)
		}
	})
}

// TestBatchCloseWaitsForSenders: Close returns only once the senders of
// batches under way have ended (goleak checks none outlives the tests).
func TestBatchCloseWaitsForSenders(t *testing.T) {
	s, _, g := newGatedStore(t)
	release, done := inFlight(t, s, g)
	var wg sync.WaitGroup
	wg.Go(func() { s.exec(context.Background(), command("ping")) })
	waitQueued(t, s, 1)
	release()
	done()
	wg.Wait()
	_ = s.Close()
	s.senders.mu.Lock()
	defer s.senders.mu.Unlock()
	if s.senders.n != 0 {
		t.Errorf("%d senders run after Close", s.senders.n)
	}
}

// TestBatchClusterStalledNode: on a Cluster, calls are batched by the
// primary owning their keys, so that calls to one node stalled (here held
// at a gate) hold up none to the others.
func TestBatchClusterStalledNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	c := redistest.StartCluster(t)
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: slices.Clone(c.Addrs)})
	t.Cleanup(func() { _ = cc.Close() })
	s := newQuietStore(t, cc)
	ctx := t.Context()
	owner := func(ch store.NewChannel) string {
		n, err := cc.MasterForKey(ctx, "{"+store.Tag(ch.ID)+"}")
		if err != nil {
			t.Fatal(err)
		}
		return n.Options().Addr
	}
	stalled, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var others []store.NewChannel
	for len(others) < 4 {
		ch, err := s.CreateChannel(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if owner(ch) != owner(stalled) {
			others = append(others, ch)
		}
	}
	tag := "{" + store.Tag(stalled.ID) + "}"
	g := newGate()
	g.match = func(cmds []goredis.Cmder) bool {
		for _, c := range cmds {
			for _, a := range c.Args() {
				if s, ok := a.(string); ok && strings.Contains(s, tag) {
					return true
				}
			}
		}
		return false
	}
	cc.AddHook(g)

	var releases []func()
	var wg sync.WaitGroup
	held := make([]error, s.batchInFlight+1)
	for i := range held {
		last := i == len(held)-1
		if !last {
			releases = append(releases, g.hold())
		}
		wg.Go(func() {
			_, held[i] = s.Post(ctx, store.Credentials{PortID: stalled.Port1.ID, Token: stalled.Port1.Token}, store.Outgoing{Data: []byte("1")})
		})
		if !last {
			<-g.entered
		}
	}
	// While the stalled node's round trips are held, and a call queued
	// behind them, posts to the other nodes go through, concurrently.
	var others2 sync.WaitGroup
	for _, ch := range others {
		others2.Go(func() {
			for range 3 {
				if _, err := s.Post(ctx, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}, store.Outgoing{Data: []byte("2")}); err != nil {
					t.Errorf("post to another node: %v", err)
				}
			}
		})
	}
	others2.Wait()
	for _, r := range releases {
		r()
	}
	wg.Wait()
	for i, err := range held {
		if err != nil {
			t.Errorf("held post %d: %v", i, err)
		}
	}
}

// TestBatchWait: durable ops batched in WAIT mode go in one pipeline
// ending with one WAIT, which confirms each of them; with the replica
// stalled, each op of the batch is its own ErrUnavailable, unknown.
func TestBatchWait(t *testing.T) {
	primary := redistest.Start(t, "--repl-diskless-sync-delay", "0")
	_, port, _ := net.SplitHostPort(primary.Addr)
	replica := redistest.Start(t, "--replicaof", "127.0.0.1", port)
	redistest.WaitReplicaOnline(t, replica.Addr)
	c := primary.Client(t)
	s, err := New(t.Context(), c, Options{
		Prefix:        redistest.Prefix(t),
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		SweepInterval: time.Hour,
		CheckInterval: time.Hour,
		WaitReplicas:  1,
		WaitTimeout:   time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	g := newGate()
	c.AddHook(g)
	ctx := t.Context()
	const n = 8
	held := s.batchInFlight
	chans := make([]store.NewChannel, n+held)
	for i := range chans {
		if chans[i], err = s.CreateChannel(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	// posts holds the first posts' round trips (as many as go at once),
	// queues the others behind them, and returns every post's error and
	// the round trips and WAITs they took.
	posts := func() (errs []error, trips int64, waits int) {
		if err := c.ConfigResetStat(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		before := s.trips.Load()
		errs = make([]error, len(chans))
		var releases []func()
		var wg sync.WaitGroup
		for i, ch := range chans {
			if i < held {
				releases = append(releases, g.hold())
			}
			wg.Go(func() {
				_, errs[i] = s.Post(ctx, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}, store.Outgoing{Data: []byte("1")})
			})
			if i < held {
				<-g.entered
			}
		}
		waitQueuedOn(t, s, true, n)
		for _, r := range releases {
			r()
		}
		wg.Wait()
		return errs, s.trips.Load() - before, commandCalls(t, c, "wait")
	}

	// One post first, so that Redis holds the script: a NOSCRIPT would
	// send its op again, with its text, and a WAIT of its own.
	if _, err := s.Post(ctx, store.Credentials{PortID: chans[0].Port1.ID, Token: chans[0].Port1.Token}, store.Outgoing{Data: []byte("0")}); err != nil {
		t.Fatal(err)
	}
	errs, trips, waits := posts()
	for i, err := range errs {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	if want := held + 1; trips != int64(want) || waits != want {
		t.Errorf("%d posts took %d round trips and %d WAITs, want %d of each", len(errs), trips, waits, want)
	}

	replica.Pause()
	errs, trips, waits = posts()
	replica.Resume()
	for i, err := range errs {
		if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, errNotReplicated) {
			t.Errorf("post %d with the replica stalled: %v, want not replicated", i, err)
		}
	}
	if want := held + 1; trips != int64(want) || waits != want {
		t.Errorf("%d posts took %d round trips and %d WAITs, want %d of each", len(errs), trips, waits, want)
	}
}
