package redis

import (
	"fmt"
	"io"
	"log/slog"
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
