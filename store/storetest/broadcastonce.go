package storetest

import (
	"cmp"
	"context"
	"slices"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

var broadcastOnceTests = []test{
	{"Replay", testBroadcastOnceReplay},
	{"NewMember", testBroadcastOnceNewMember},
	{"KeyReused", testBroadcastOnceKeyReused},
	{"KeysAreScoped", testBroadcastOnceScoped},
}

// broadcastOnce broadcasts data under key (the data is the request) and
// fails the test on an error. Its result is sorted by member.
func broadcastOnce(ctx context.Context, t *testing.T, s store.Store, c store.NewCollection, key, data string) store.BroadcastResult {
	t.Helper()
	res, err := s.BroadcastOnce(ctx, c.ID, c.Token, store.Outgoing{Data: text(data)}, once(key, data))
	if err != nil {
		t.Fatalf("BroadcastOnce %q: %v", key, err)
	}
	slices.SortFunc(res.Delivered, func(a, b store.Delivery) int { return cmp.Compare(a.Port, b.Port) })
	slices.SortFunc(res.Refused, func(a, b store.Refused) int { return cmp.Compare(a.Port, b.Port) })
	return res
}

// delivered returns the ids a result names, by member.
func delivered(res store.BroadcastResult) map[string]store.EventID {
	out := make(map[string]store.EventID, len(res.Delivered))
	for _, d := range res.Delivered {
		out[d.Port] = d.ID
	}
	return out
}

// testBroadcastOnceReplay: a retry reaches every member again with the
// ids of the first call, and stores nothing twice.
func testBroadcastOnceReplay(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	c := newCollection(ctx, t, s)
	a, b := newPair(ctx, t, s), newPair(ctx, t, s)
	addMember(ctx, t, s, c, a.p1)
	addMember(ctx, t, s, c, mint(t, s, b.p1, store.ScopePost, ""))
	first := broadcastOnce(ctx, t, s, c, "k", "news")
	if len(first.Delivered) != 2 || len(first.Refused) != 0 {
		t.Fatalf("BroadcastOnce: %+v, want 2 delivered", first)
	}
	for range 2 {
		again := broadcastOnce(ctx, t, s, c, "k", "news")
		if !slices.Equal(again.Delivered, first.Delivered) || len(again.Refused) != 0 {
			t.Errorf("retry answered %+v, first %+v", again, first)
		}
	}
	ids := delivered(first)
	for _, p := range []pair{a, b} {
		msgs := readAll(ctx, t, s, p.p2, store.EventID{})
		if len(msgs) != 1 || msgs[0].ID != ids[p.p1.PortID] || string(msgs[0].Data) != `"news"` {
			t.Errorf("at %s: %+v, want the one broadcast with id %s", p.p2.PortID, msgs, ids[p.p1.PortID])
		}
	}
	// Another key is another broadcast.
	if next := broadcastOnce(ctx, t, s, c, "k2", "news"); len(next.Delivered) != 2 || next.Delivered[0] == first.Delivered[0] {
		t.Errorf("another key answered %+v, first %+v", next, first)
	}
	wantQueued(ctx, t, s, a.p2, 2)
}

// testBroadcastOnceNewMember: a member added between a broadcast and its
// retry is posted to by the retry; the others answer their first ids.
// This is how a broadcast that reported members unavailable is finished.
func testBroadcastOnceNewMember(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	c := newCollection(ctx, t, s)
	a, b := newPair(ctx, t, s), newPair(ctx, t, s)
	addMember(ctx, t, s, c, a.p1)
	first := broadcastOnce(ctx, t, s, c, "k", "news")
	addMember(ctx, t, s, c, b.p1)
	again := broadcastOnce(ctx, t, s, c, "k", "news")
	ids := delivered(again)
	if len(again.Delivered) != 2 || len(again.Refused) != 0 || ids[a.p1.PortID] != delivered(first)[a.p1.PortID] {
		t.Fatalf("retry answered %+v, first %+v", again, first)
	}
	msgs := readAll(ctx, t, s, b.p2, store.EventID{})
	if len(msgs) != 1 || msgs[0].ID != ids[b.p1.PortID] {
		t.Errorf("the new member's peer holds %+v, want the broadcast with id %s", msgs, ids[b.p1.PortID])
	}
	wantQueued(ctx, t, s, a.p2, 1)
	if third := broadcastOnce(ctx, t, s, c, "k", "news"); !slices.Equal(third.Delivered, again.Delivered) || len(third.Refused) != 0 {
		t.Errorf("a third call answered %+v, the second %+v", third, again)
	}
	wantQueued(ctx, t, s, b.p2, 1)
}

// testBroadcastOnceKeyReused: the key with another message refuses every
// member it reached, storing nothing there; a member it never reached is
// posted to.
func testBroadcastOnceKeyReused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	c := newCollection(ctx, t, s)
	a, b, late := newPair(ctx, t, s), newPair(ctx, t, s), newPair(ctx, t, s)
	addMember(ctx, t, s, c, a.p1)
	addMember(ctx, t, s, c, b.p1)
	first := broadcastOnce(ctx, t, s, c, "k", "one")
	addMember(ctx, t, s, c, late.p1)
	res := broadcastOnce(ctx, t, s, c, "k", "two")
	want := []store.Refused{
		{Port: a.p1.PortID, Reason: store.BroadcastKeyReused},
		{Port: b.p1.PortID, Reason: store.BroadcastKeyReused},
	}
	slices.SortFunc(want, func(x, y store.Refused) int { return cmp.Compare(x.Port, y.Port) })
	if !slices.Equal(res.Refused, want) {
		t.Errorf("refused %+v, want %+v", res.Refused, want)
	}
	if len(res.Delivered) != 1 || res.Delivered[0].Port != late.p1.PortID {
		t.Errorf("delivered %+v, want only the member the key never reached", res.Delivered)
	}
	wantQueued(ctx, t, s, a.p2, 1)
	wantQueued(ctx, t, s, b.p2, 1)
	// The first request still replays.
	if again := broadcastOnce(ctx, t, s, c, "k", "one"); delivered(again)[a.p1.PortID] != delivered(first)[a.p1.PortID] {
		t.Errorf("the first request answered %+v, first %+v", again, first)
	}
}

// testBroadcastOnceScoped: a broadcast's key is its collection's: another
// collection with the same member and key, or the member's own post under
// the key, is another message.
func testBroadcastOnceScoped(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	c, d := newCollection(ctx, t, s), newCollection(ctx, t, s)
	a := newPair(ctx, t, s)
	addMember(ctx, t, s, c, a.p1)
	addMember(ctx, t, s, d, a.p1)
	first := broadcastOnce(ctx, t, s, c, "k", "news")
	other := broadcastOnce(ctx, t, s, d, "k", "news")
	if len(other.Delivered) != 1 || other.Delivered[0] == first.Delivered[0] {
		t.Errorf("another collection under the key answered %+v, first %+v", other, first)
	}
	if _, replayed := postOnce(ctx, t, s, a.p1, "k", "news"); replayed {
		t.Error("the member's own post under the broadcast's key is a replay")
	}
	wantQueued(ctx, t, s, a.p2, 3)
}
