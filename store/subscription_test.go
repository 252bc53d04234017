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
