package redis

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
)

// TestListenerDownClearsWithoutWaiters: the listener has seen subscribing
// fail, and every waiter has gone (wait turns them away at once while
// down). The server answers: the manager's next pass, which the next
// Subscribe's watch starts, must clear down by itself, since no
// subscription is left whose confirmation would.
func TestListenerDownClearsWithoutWaiters(t *testing.T) {
	t.Parallel()
	s, _ := newInternalStore(t)
	l := s.listener
	l.mu.Lock()
	l.down = true
	l.mu.Unlock()
	l.wake() // what a Subscribe's watch does

	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		down := l.down
		l.mu.Unlock()
		if !down {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the listener still takes subscribing for failing 10 s after a pass with the server up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestListenerPassCostsWhatChanged: with many tags subscribed, a stream
// opening or closing makes the manager's next pass look at its own tag
// only. A pass that walked every tag made opening N streams cost N² and
// held the lock that the hub and the readers wait on (issue 17's S4).
// A failed shard makes the next pass look at that shard's tags.
func TestListenerPassCostsWhatChanged(t *testing.T) {
	t.Parallel()
	const n = 10_000
	l := newBareListener(t)
	a, b := bareShard(t, "a"), bareShard(t, "b")
	ports := make(map[string]string) // tag -> its port
	for _, sh := range []*shard{a, b} {
		for range n / 2 {
			port := newPortID(t)
			ports[store.Tag(port)] = port
			l.watch(port, true)
		}
		place(l, sh)
	}

	looks := func(what string, wantAdd, wantDrop int) ([]string, []placement) {
		t.Helper()
		before := l.looked
		add, drop := l.changes()
		if len(add) != wantAdd || len(drop) != wantDrop {
			t.Fatalf("%s: the pass adds %d tags and drops %d, want %d and %d", what, len(add), len(drop), wantAdd, wantDrop)
		}
		if got, limit := l.looked-before, max(wantAdd+wantDrop, 1); got > limit {
			t.Errorf("%s with %d tags subscribed: the pass looked at %d tags, want at most %d", what, n, got, limit)
		}
		return add, drop
	}

	opened := newPortID(t)
	l.watch(opened, true)
	if add, _ := looks("a stream opened", 1, 0); add[0] != store.Tag(opened) {
		t.Errorf("the pass adds %v, want %s", add, store.Tag(opened))
	}
	place(l, a)

	var closed string
	for tag := range b.tags {
		closed = ports[tag]
		break
	}
	l.watch(closed, false)
	if _, drop := looks("a stream closed", 0, 1); drop[0] != (placement{b, store.Tag(closed)}) {
		t.Errorf("the pass drops %v, want %s on b", drop, store.Tag(closed))
	}
	looks("nothing changed", 0, 0)

	onA := len(a.tags)
	l.fail(a)
	add, _ := looks("a shard failed", onA, 0)
	for _, tag := range add {
		if l.placed[tag] != nil {
			t.Fatalf("the pass adds %s, which is still placed", tag)
		}
	}
}

// TestListenerRetriesWhatAPassLeft: a pass that cannot subscribe its
// tags (the node refuses connections) leaves every one of them to the
// next pass, which only looks at the tags marked for it.
func TestListenerRetriesWhatAPassLeft(t *testing.T) {
	t.Parallel()
	l := newBareListener(t) // nothing listens at its address
	ctx, cancel := context.WithCancel(t.Context())
	defer func() {
		cancel()
		l.close()
	}()
	var want []string
	for range 3 {
		port := newPortID(t)
		l.watch(port, true)
		want = append(want, store.Tag(port))
	}
	if err := l.reconcile(ctx); err == nil {
		t.Fatal("a pass subscribed with nothing to connect to")
	}
	add, _ := l.changes()
	slices.Sort(add)
	slices.Sort(want)
	if !slices.Equal(add, want) {
		t.Errorf("the next pass adds %v, want %v", add, want)
	}
}

// BenchmarkListenerWatch: one stream opening then closing, as the
// listener sees it (the hub's two calls to watch, each followed by the
// manager's pass that takes what changed), with many tags already
// subscribed. Its cost should not grow with their number.
func BenchmarkListenerWatch(b *testing.B) {
	for _, n := range []int{1_000, 50_000} {
		b.Run(fmt.Sprintf("placed=%d", n), func(b *testing.B) {
			l := newBareListener(b)
			sh := bareShard(b, "")
			for range n {
				l.watch(newPortID(b), true)
			}
			place(l, sh)
			port := newPortID(b)
			for b.Loop() {
				l.watch(port, true)
				l.changes()
				l.watch(port, false)
				l.changes()
			}
		})
	}
}

// newBareListener returns a listener with no manager and no server: a
// test drives its passes with changes and place.
func newBareListener(tb testing.TB) *listener {
	tb.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:0"})
	tb.Cleanup(func() { _ = c.Close() })
	return newListener(c, "bare:", slog.New(slog.NewTextHandler(io.Discard, nil)), time.Minute)
}

// bareShard returns a shard whose connection is never dialled.
func bareShard(tb testing.TB, addr string) *shard {
	tb.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:0"})
	tb.Cleanup(func() { _ = c.Close() })
	return &shard{addr: addr, ps: c.SSubscribe(tb.Context()), tags: make(map[string]struct{}),
		joining: make(map[string]int), leaving: make(map[string]int)}
}

// place runs a manager's pass whose every SSUBSCRIBE goes to sh and is
// confirmed at once.
func place(l *listener, sh *shard) {
	add, _ := l.changes()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, tag := range add {
		l.placed[tag] = sh
		sh.tags[tag] = struct{}{}
		if t := l.tags[tag]; !t.live {
			t.live = true
			close(t.ready)
		}
	}
}

// newPortID returns the id of a port of a new channel: a new tag.
func newPortID(tb testing.TB) string {
	tb.Helper()
	_, port, _, err := store.NewChannelIDs(time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return port
}
