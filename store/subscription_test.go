package store_test

import (
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// TestSubscriptionQueue: notices come out in the order they went in, and
// one past MaxNotices replaces the queue by a look at every port followed
// by the newest notice.
func TestSubscriptionQueue(t *testing.T) {
	sub := store.NewSubscription(func() {})
	defer sub.Close()
	for i := range 3 {
		sub.Add(store.Notice{Port: "p", Pushed: true, Message: store.Message{ID: store.EventID{Ms: 1, Seq: uint64(i)}}})
	}
	select {
	case <-sub.C:
	default:
		t.Fatal("no ring")
	}
	got := sub.Take(nil)
	if len(got) != 3 {
		t.Fatalf("%d notices, want 3", len(got))
	}
	for i, n := range got {
		if n.Message.ID.Seq != uint64(i) {
			t.Errorf("notice %d is message %v", i, n.Message.ID)
		}
	}
	if got := sub.Take(nil); len(got) != 0 {
		t.Errorf("taken twice: %+v", got)
	}

	for i := range store.MaxNotices + 1 {
		sub.Add(store.Notice{Port: "p", Pushed: true, Message: store.Message{ID: store.EventID{Ms: 2, Seq: uint64(i)}}})
	}
	got = sub.Take(nil)
	if len(got) != 2 || got[0].Port != "" || got[0].Pushed || !got[1].Pushed || got[1].Message.ID.Seq != store.MaxNotices {
		t.Errorf("after an overflow: %+v, want a look at every port, then the newest", got)
	}
}

// OnRing's function is called after every ring from then on, beside C,
// with the notice already queued.
func TestSubscriptionOnRing(t *testing.T) {
	s := store.NewSubscription(func() {})
	s.Add(store.Notice{Port: "a"}) // before OnRing: on C only
	var taken [][]store.Notice
	s.OnRing(func() { taken = append(taken, s.Take(nil)) })
	s.Add(store.Notice{Port: "b"})
	if len(taken) != 1 || len(taken[0]) != 2 || taken[0][1].Port != "b" {
		t.Fatalf("taken at the ring: %+v, want the notices of a and b", taken)
	}
	select {
	case <-s.C:
	default:
		t.Fatal("C did not ring")
	}
	s.OnRing(nil)
	s.Add(store.Notice{Port: "c"})
	if len(taken) != 1 {
		t.Fatalf("called after OnRing(nil)")
	}
}
