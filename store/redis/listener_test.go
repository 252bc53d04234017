package redis_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// subscribe is s.Subscribe that fails the test on an error.
func subscribe(t testing.TB, s store.Store, portIDs ...string) *store.Subscription {
	t.Helper()
	sub, err := s.Subscribe(t.Context(), portIDs...)
	if err != nil {
		t.Fatalf("Subscribe %v: %v", portIDs, err)
	}
	return sub
}

func rings(sub *store.Subscription, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-sub.C:
		return true
	case <-timer.C:
		return false
	}
}

// TestListenerSurvivesRestart: when the server restarts, the listener
// resubscribes and rings every doorbell (notices sent meanwhile are lost,
// so waiters must look again), and later notices arrive as before.
func TestListenerSurvivesRestart(t *testing.T) {
	t.Parallel()
	srv := privateServer(t)
	s := newStore(t, srv, redis.Options{})
	waiting := subscribe(t, s, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
	defer waiting.Close()

	srv.Restart()
	if !rings(waiting, 5*time.Second) {
		t.Fatal("no ring after the server restarted")
	}

	// The restarted server lost everything; the store still works on it,
	// and is ready once it wrote the schema again.
	if err := s.Ready(t.Context()); err != nil {
		t.Errorf("Ready after the server lost its data: %v", err)
	}
	ch, err := s.CreateChannel(t.Context(), "")
	if err != nil {
		t.Fatalf("CreateChannel after the restart: %v", err)
	}
	sub := subscribe(t, s, ch.Port2.ID)
	defer sub.Close()
	if _, err := s.Post(t.Context(), creds(ch.Port1), store.Outgoing{Data: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	if !rings(sub, 5*time.Second) {
		t.Fatal("no ring for a post after the restart")
	}
}

// TestListenerAcrossStores: a post through one store (instance) rings a
// subscriber of another on the same Redis.
func TestListenerAcrossStores(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	one := newStore(t, shared, redis.Options{Prefix: prefix})
	two := newStore(t, shared, redis.Options{Prefix: prefix})
	ch, err := one.CreateChannel(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, two, ch.Port2.ID)
	defer sub.Close()
	if _, err := one.Post(t.Context(), creds(ch.Port1), store.Outgoing{Data: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	if !rings(sub, 5*time.Second) {
		t.Fatal("no ring across instances")
	}
}

// TestListenerReplacesASilentConnection: when the server stops answering
// on the pub/sub connection (paused here; a vanished peer in real life),
// the listener's unanswered ping makes it subscribe on a new connection,
// which rings every doorbell.
func TestListenerReplacesASilentConnection(t *testing.T) {
	t.Parallel()
	srv := privateServer(t)
	opts := redis.Options{}
	redis.SetListenerPing(&opts, 100*time.Millisecond)
	s := newStore(t, srv, opts)
	waiting := subscribe(t, s, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
	defer waiting.Close()
	time.Sleep(300 * time.Millisecond)
	select {
	case <-waiting.C:
		t.Fatal("rang while nothing happened (Subscribe returns once subscribed, and rings nothing itself)")
	default:
	}

	if err := client(t, srv).Do(t.Context(), "CLIENT", "PAUSE", 700, "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	if !rings(waiting, 8*time.Second) {
		t.Fatal("no ring after the pub/sub connection went silent")
	}
}

// TestListenerResubscribe: a port subscribed again right after its last
// subscription closed, before or after the listener unsubscribed its tag
// (so with that SUNSUBSCRIBE's reply still to come), is subscribed within
// the store's Timeout every time, and rings.
func TestListenerResubscribe(t *testing.T) {
	t.Parallel()
	s := newStore(t, shared, redis.Options{})
	ch, err := s.CreateChannel(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		sub, err := s.Subscribe(t.Context(), ch.Port2.ID)
		if err != nil {
			t.Fatalf("Subscribe %d: %v", i, err)
		}
		sub.Close()
		// Varied pauses let the listener reach different points of
		// unsubscribing the tag.
		time.Sleep(time.Duration(i%4) * 200 * time.Microsecond)
	}
	sub := subscribe(t, s, ch.Port2.ID)
	defer sub.Close()
	if _, err := s.Post(t.Context(), creds(ch.Port1), store.Outgoing{Data: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	if !rings(sub, 5*time.Second) {
		t.Fatal("no ring for a post after subscribing again")
	}
}

// TestListenerSubscribeUnconfirmed: a Subscribe whose subscription is not
// confirmed within the store's Timeout (the server is paused here) fails
// with ErrUnavailable, and one whose context ends first with the
// context's error; once the server answers again, Subscribe works and
// rings.
func TestListenerSubscribeUnconfirmed(t *testing.T) {
	t.Parallel()
	srv := privateServer(t)
	short := newStore(t, srv, redis.Options{Timeout: 300 * time.Millisecond})
	long := newStore(t, srv, redis.Options{Timeout: time.Minute})
	ch, err := short.CreateChannel(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := client(t, srv).Do(t.Context(), "CLIENT", "PAUSE", 2500, "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	if sub, err := short.Subscribe(t.Context(), ch.Port2.ID); !errors.Is(err, store.ErrUnavailable) || sub != nil {
		t.Errorf("Subscribe while paused: %v, %v; want ErrUnavailable and no subscription", sub, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	if sub, err := long.Subscribe(ctx, ch.Port2.ID); !errors.Is(err, context.Canceled) || sub != nil {
		t.Errorf("Subscribe while paused, cancelled: %v, %v; want context.Canceled and no subscription", sub, err)
	}

	deadline := time.Now().Add(10 * time.Second)
	for {
		sub, err := short.Subscribe(t.Context(), ch.Port2.ID)
		if err == nil {
			defer sub.Close()
			if _, err := short.Post(t.Context(), creds(ch.Port1), store.Outgoing{Data: []byte(`1`)}); err != nil {
				t.Fatal(err)
			}
			if !rings(sub, 5*time.Second) {
				t.Fatal("no ring for a post once the server answered again")
			}
			return
		}
		if !errors.Is(err, store.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("Subscribe after the pause: %v", err)
		}
	}
}

// TestListenerSubscribeWhileDown: while subscribing is known to fail (the
// server is gone), Subscribe answers ErrUnavailable without waiting for
// the store's Timeout, here a minute: the caller's read would fail too.
func TestListenerSubscribeWhileDown(t *testing.T) {
	t.Parallel()
	srv := privateServer(t)
	s := newStore(t, srv, redis.Options{Timeout: time.Minute})
	waiting := subscribe(t, s, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
	defer waiting.Close()
	srv.Stop()
	// Until the listener has seen its connection fail, a Subscribe waits:
	// each attempt is bounded by its context.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		sub, err := s.Subscribe(ctx, "01BX5ZZKBKACTAV9WEVGEMMVRZ")
		cancel()
		if errors.Is(err, store.ErrUnavailable) && sub == nil {
			return
		}
		if sub != nil {
			sub.Close()
		}
		if !errors.Is(err, context.DeadlineExceeded) || time.Now().After(deadline) {
			t.Fatalf("Subscribe with the server stopped: %v, %v; want ErrUnavailable", sub, err)
		}
	}
}

// TestListenerRecoversWithoutWaiters: once subscribing has failed and
// every waiter has gone (each stream ended with the outage), the server's
// return must be noticed by the next Subscribe's attempts, not only by a
// waiter that was already there: clients that retry get their streams
// back. (Seen from outside: after a Sentinel failover under load, every
// stream open answered "pub/sub is failing" for over a minute.)
func TestListenerRecoversWithoutWaiters(t *testing.T) {
	t.Parallel()
	srv := privateServer(t)
	s := newStore(t, srv, redis.Options{Timeout: 2 * time.Second})
	waiting := subscribe(t, s, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
	srv.Stop()
	// Until the listener has seen its connection fail, a Subscribe waits
	// out the store's Timeout; then it fails at once.
	deadline := time.Now().Add(20 * time.Second)
	for {
		sub, err := s.Subscribe(t.Context(), "01BX5ZZKBKACTAV9WEVGEMMVRZ")
		if sub != nil {
			sub.Close()
			t.Fatal("Subscribe succeeded with the server stopped")
		}
		if errors.Is(err, store.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) &&
			strings.Contains(err.Error(), "failing") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Subscribe with the server stopped: %v; want it to fail at once as down", err)
		}
	}
	waiting.Close() // the last waiter goes, as streams end in an outage
	srv.Restart()

	// A client retrying every 50 ms, as browsers and the CLI do.
	deadline = time.Now().Add(20 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		var sub *store.Subscription
		sub, err = s.Subscribe(t.Context(), "01BX5ZZKBKACTAV9WEVGEMMVRZ")
		if err == nil {
			sub.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("Subscribe still fails 20 s after the server came back: %v", err)
}
