package redis_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/migrations"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// channelKey is the key of a channel's hash.
func channelKey(prefix, portID string) string {
	return prefix + "{" + store.Tag(portID) + "}:channel"
}

// Schema version 3 counts each port's queued bytes in the channel's hash;
// a Redis written by a version 2 build has queues and no counts. Starting
// on it counts every channel's queues (both sides, what was acknowledged
// left out) before the version is recorded, and the counts then go on as
// if they had always been kept: a post past the bound is refused, an ack
// gives back what it deletes.
func TestQueueBytesMigrated(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	prefix := redistest.Prefix(t)
	c := client(t, shared)
	limits := store.Limits{MaxQueueBytes: 1000}
	s := newStore(t, shared, redis.Options{Prefix: prefix, Limits: limits})
	data := func(n int) json.RawMessage { return json.RawMessage(`"` + strings.Repeat("x", n-2) + `"`) }

	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := creds(ch.Port1), creds(ch.Port2)
	var toP2 []store.EventID
	for _, n := range []int{100, 200, 300} {
		id, err := s.Post(ctx, p1, store.Outgoing{Data: data(n)})
		if err != nil {
			t.Fatal(err)
		}
		toP2 = append(toP2, id)
	}
	if _, err := s.Post(ctx, p2, store.Outgoing{Data: data(50)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(ctx, p2, toP2[0]); err != nil {
		t.Fatal(err)
	}
	empty, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// What a version 2 build leaves: no counts.
	for _, id := range []string{ch.ID, empty.ID} {
		if err := c.HDel(ctx, channelKey(prefix, id), "p1:bytes", "p2:bytes").Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Set(ctx, prefix+"schema", 2, 0).Err(); err != nil {
		t.Fatal(err)
	}

	s2 := newStore(t, shared, redis.Options{Prefix: prefix, Limits: limits})
	if v := schemaOf(t, c, prefix); v != fmt.Sprint(migrations.Version) {
		t.Errorf("schema %s after starting, want %d", v, migrations.Version)
	}
	for _, w := range []struct {
		port  store.Credentials
		bytes int64
	}{{p2, 500}, {p1, 50}, {creds(empty.Port1), 0}, {creds(empty.Port2), 0}} {
		info, err := s2.Describe(ctx, w.port)
		if err != nil {
			t.Fatal(err)
		}
		if info.QueuedBytes != w.bytes {
			t.Errorf("port %s: %d bytes queued after the migration, want %d", w.port.PortID, info.QueuedBytes, w.bytes)
		}
	}
	if _, err := s2.Post(ctx, p1, store.Outgoing{Data: data(501)}); !errors.Is(err, store.ErrQueueBytesFull) {
		t.Errorf("a post of 501 bytes to 500 of 1000: %v, want ErrQueueBytesFull", err)
	}
	if _, err := s2.Post(ctx, p1, store.Outgoing{Data: data(500)}); err != nil {
		t.Errorf("a post of 500 bytes to 500 of 1000: %v", err)
	}
	if err := s2.Ack(ctx, p2, toP2[1]); err != nil {
		t.Fatal(err)
	}
	if info, _ := s2.Describe(ctx, p2); info.QueuedBytes != 800 {
		t.Errorf("after acknowledging a migrated message of 200 bytes: %d queued, want 800", info.QueuedBytes)
	}

	// A count an older build left long (it deleted without counting) is
	// put right when the queue is empty, and one it left short (it posted
	// without counting) too.
	q1 := prefix + "{" + store.Tag(ch.ID) + "}:q1"
	if err := c.XTrimMinID(ctx, q1, "99999999999999-0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.HSet(ctx, channelKey(prefix, ch.ID), "p1:bytes", 990).Err(); err != nil {
		t.Fatal(err)
	}
	last, err := s2.Post(ctx, p2, store.Outgoing{Data: data(1000)})
	if err != nil {
		t.Fatalf("a post of 1000 bytes to an empty queue counted 990: %v", err)
	}
	if err := c.HSet(ctx, channelKey(prefix, ch.ID), "p1:bytes", 10).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s2.Ack(ctx, p1, last); err != nil {
		t.Fatal(err)
	}
	if info, _ := s2.Describe(ctx, p1); info.QueuedBytes != 0 || info.Queued != 0 {
		t.Errorf("port1 emptied: %d messages of %d bytes, want none", info.Queued, info.QueuedBytes)
	}
}
