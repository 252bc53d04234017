package redis

import (
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// TestCountersOfAnOlderChannel: a channel stored before the posted and
// acknowledged counters existed counts what it holds as posted, and
// its next post goes on from there, so queued = posted - acknowledged
// holds from the upgrade on.
func TestCountersOfAnOlderChannel(t *testing.T) {
	t.Parallel()
	s, c := newInternalStore(t)
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	to := store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}
	var ids []store.EventID
	for range 3 {
		id, err := s.Post(ctx, from, store.Outgoing{Data: []byte(`1`)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := s.Ack(ctx, to, ids[0]); err != nil {
		t.Fatal(err)
	}
	// What an older build left: no counters at all.
	hash := s.keys.forTag(store.Tag(ch.ID)).list()[0]
	if err := c.HDel(ctx, hash, "p2:posted", "p2:acknowledged").Err(); err != nil {
		t.Fatal(err)
	}
	want := func(what string, posted, acknowledged int64, queued int) {
		t.Helper()
		info, err := s.Describe(ctx, to)
		if err != nil {
			t.Fatal(err)
		}
		if info.Posted != posted || info.Acknowledged != acknowledged || info.Queued != queued {
			t.Errorf("%s: posted %d acknowledged %d queued %d, want %d %d %d",
				what, info.Posted, info.Acknowledged, info.Queued, posted, acknowledged, queued)
		}
	}
	want("without counters", 2, 0, 2)
	if _, err := s.Post(ctx, from, store.Outgoing{Data: []byte(`2`)}); err != nil {
		t.Fatal(err)
	}
	want("after a post", 3, 0, 3)
	if err := s.Ack(ctx, to, ids[2]); err != nil {
		t.Fatal(err)
	}
	want("after an ack", 3, 2, 1)
}
