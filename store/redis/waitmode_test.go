package redis_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// Read fills Batch.LastID with the newest id ever queued at the port,
// whether or not its message is still there.
func TestReadLastID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t, shared, redis.Options{})
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	from, to := creds(ch.Port1), creds(ch.Port2)
	b, err := s.Read(ctx, to, store.EventID{}, store.ReadLimit{Messages: 10})
	if err != nil || !b.LastID.IsZero() {
		t.Fatalf("before any post: last %v, %v; want none", b.LastID, err)
	}
	var last store.EventID
	for range 3 {
		if last, err = s.Post(ctx, from, store.Outgoing{Data: []byte(`1`)}); err != nil {
			t.Fatal(err)
		}
	}
	b, err = s.Read(ctx, to, store.EventID{}, store.ReadLimit{Messages: 1})
	if err != nil || b.LastID != last || len(b.Messages) != 1 {
		t.Fatalf("read one of three: last %v, %d messages, %v; want %v", b.LastID, len(b.Messages), err, last)
	}
	if err := s.Ack(ctx, to, last); err != nil {
		t.Fatal(err)
	}
	b, err = s.Read(ctx, to, last, store.ReadLimit{Messages: 10})
	if err != nil || b.LastID != last || len(b.Messages) != 0 {
		t.Fatalf("read after acknowledging all: last %v, %d messages, %v; want %v", b.LastID, len(b.Messages), err, last)
	}
	// The other side has had nothing queued.
	if b, err := s.Read(ctx, from, store.EventID{}, store.ReadLimit{Messages: 10}); err != nil || !b.LastID.IsZero() {
		t.Errorf("the sender's side: last %v, %v; want none", b.LastID, err)
	}
}

// In WAIT mode a reader never gets a message that a failover may take
// back: a read goes with WAIT on the primary's connection and is
// ErrUnavailable when the replicas do not confirm everything written up
// to it, and a post's notice carries only the port, never the message,
// so that every delivery is such a read.
func TestWaitModeFencesReads(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	primary, replica := startReplicated(t)
	prefix := redistest.Prefix(t)
	// Long enough for a replica on a machine busy with the race detector;
	// short, for the calls that wait in vain.
	s := newStore(t, primary, redis.Options{Prefix: prefix, WaitReplicas: 1, WaitTimeout: 2 * time.Second})
	short := newStore(t, primary, redis.Options{Prefix: prefix, WaitReplicas: 1, WaitTimeout: 200 * time.Millisecond})
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	from, to := creds(ch.Port1), creds(ch.Port2)
	sub := subscribe(t, s, to.PortID)
	defer sub.Close()

	first, err := s.Post(ctx, from, store.Outgoing{Data: []byte(`"confirmed"`)})
	if err != nil {
		t.Fatal(err)
	}
	if n := takeOne(t, sub); n.Pushed || n.Port != to.PortID {
		t.Errorf("notice of a post in WAIT mode: %+v, want a look at %s only", n, to.PortID)
	}
	b, err := s.Read(ctx, to, store.EventID{}, store.ReadLimit{Messages: 10})
	if err != nil || len(b.Messages) != 1 || b.Messages[0].ID != first {
		t.Fatalf("read with the replica up: %+v, %v", b, err)
	}

	replica.Pause()
	if _, err := short.Post(ctx, from, store.Outgoing{Data: []byte(`"unconfirmed"`)}); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("post with the replica paused: %v, want ErrUnavailable", err)
	}
	if n := takeOne(t, sub); n.Pushed {
		t.Errorf("a subscriber was handed an unconfirmed message: %+v", n)
	}
	if b, err := short.Read(ctx, to, first, store.ReadLimit{Messages: 10}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("read with the replica paused: %d messages, %v; want ErrUnavailable", len(b.Messages), err)
	}

	replica.Resume()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err = s.Read(ctx, to, first, store.ReadLimit{Messages: 10})
		if err == nil || !errors.Is(err, store.ErrUnavailable) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || len(b.Messages) != 1 || string(b.Messages[0].Data) != `"unconfirmed"` || b.LastID != b.Messages[0].ID {
		t.Fatalf("read once the replica is back: %+v, %v", b, err)
	}
}
