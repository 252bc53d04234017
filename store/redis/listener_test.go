package redis_test

import (
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

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
	waiting := s.Subscribe("01ARZ3NDEKTSV4RRFFQ69G5FAV")
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
	ch, err := s.CreateChannel(t.Context())
	if err != nil {
		t.Fatalf("CreateChannel after the restart: %v", err)
	}
	sub := s.Subscribe(ch.Port2.ID)
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
	ch, err := one.CreateChannel(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sub := two.Subscribe(ch.Port2.ID)
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
	waiting := s.Subscribe("01ARZ3NDEKTSV4RRFFQ69G5FAV")
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

// TestListenerRingsASubscribeThatStoppedWaiting: when Subscribe gives up
// waiting for its subscription (the server is stopped here, SIGSTOP, and
// goes on only once Subscribe has returned), the port is owed a ring, and
// gets it once the subscription is confirmed, so a reader that read
// meanwhile looks again. How long Subscribe waited is logged.
func TestListenerRingsASubscribeThatStoppedWaiting(t *testing.T) {
	t.Parallel()
	srv := privateServer(t)
	s := newStore(t, srv, redis.Options{})
	srv.Pause()
	start := time.Now()
	subscribed := make(chan *store.Subscription, 1)
	go func() { subscribed <- s.Subscribe("01ARZ3NDEKTSV4RRFFQ69G5FAV") }()
	var waiting *store.Subscription
	select {
	case waiting = <-subscribed:
	case <-time.After(30 * time.Second):
		srv.Resume()
		(<-subscribed).Close()
		t.Fatal("Subscribe still waited for a stopped server after 30s")
	}
	t.Logf("Subscribe gave up after %v", time.Since(start).Round(time.Millisecond))
	defer waiting.Close()
	srv.Resume()
	if !rings(waiting, 30*time.Second) {
		t.Fatal("no ring once the subscription was confirmed")
	}
}
