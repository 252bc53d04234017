package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

var retentionTests = []test{
	{"Counters", testRetentionCounters},
	{"CountersRefused", testRetentionCountersRefused},
	{"BatchAcked", testRetentionBatchAcked},
}

// wantCounts fails the test unless the port's counters are posted and
// acknowledged, and what it holds is their difference.
func wantCounts(t *testing.T, what string, info store.PortInfo, posted, acknowledged int64) {
	t.Helper()
	if info.Posted != posted || info.Acknowledged != acknowledged || int64(info.Queued) != posted-acknowledged {
		t.Errorf("%s: posted %d acknowledged %d queued %d, want %d %d %d",
			what, info.Posted, info.Acknowledged, info.Queued, posted, acknowledged, posted-acknowledged)
	}
}

// testRetentionCounters: a port counts the messages ever queued at it and
// those its acknowledgements deleted; only acknowledgement deletes, so
// what it holds is always the difference. The counters stay with the
// port through a transfer.
func testRetentionCounters(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	wantCounts(t, "new", describe(ctx, t, s, p.p2), 0, 0)

	posted := postN(ctx, t, s, p.p1, 5)
	wantCounts(t, "after 5 posts", describe(ctx, t, s, p.p2), 5, 0)
	wantCounts(t, "sender", describe(ctx, t, s, p.p1), 0, 0)

	ack(ctx, t, s, p.p2, posted[2])
	wantCounts(t, "acked through the 3rd", describe(ctx, t, s, p.p2), 5, 3)
	// Acknowledging backwards deletes nothing and counts nothing.
	ack(ctx, t, s, p.p2, posted[1])
	ack(ctx, t, s, p.p2, posted[2])
	wantCounts(t, "acked backwards", describe(ctx, t, s, p.p2), 5, 3)

	nc, err := s.Transfer(ctx, p.p2)
	if err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	p2 := creds(nc)
	wantCounts(t, "transferred", describe(ctx, t, s, p2), 5, 3)

	posted = append(posted, postN(ctx, t, s, p.p1, 2)...)
	ack(ctx, t, s, p2, posted[6])
	wantCounts(t, "all acked", describe(ctx, t, s, p2), 7, 7)

	// The other direction counts on its own.
	post(ctx, t, s, p2, text("back"))
	wantCounts(t, "port1", describe(ctx, t, s, p.p1), 1, 0)
	wantCounts(t, "port2 after its post", describe(ctx, t, s, p2), 7, 7)
}

// testRetentionCountersRefused: a refused post is not counted.
func testRetentionCountersRefused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxQueue: 2})
	p := newPair(ctx, t, s)
	postN(ctx, t, s, p.p1, 2)
	if _, err := s.Post(ctx, p.p1, store.Outgoing{Data: text("one too many")}); !errors.Is(err, store.ErrQueueFull) {
		t.Fatalf("post to a full queue: %v, want ErrQueueFull", err)
	}
	wantCounts(t, "full", describe(ctx, t, s, p.p2), 2, 0)
	if err := s.ClosePort(ctx, p.p1); err != nil {
		t.Fatalf("ClosePort: %v", err)
	}
	if _, err := s.Post(ctx, p.p2, store.Outgoing{Data: text("closed")}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("post through a closed channel: %v, want ErrClosed", err)
	}
	wantCounts(t, "closed", describe(ctx, t, s, p.p1), 0, 0)
}

// testRetentionBatchAcked: every read reports the port's
// acknowledged-through id, whatever `after` it was asked with, so that a
// reader can tell it missed messages acknowledged by someone else.
func testRetentionBatchAcked(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	if b := read(ctx, t, s, p.p2, store.EventID{}, 10); !b.Acked.IsZero() {
		t.Errorf("empty port: acked %q, want none", b.Acked)
	}
	posted := postN(ctx, t, s, p.p1, 5)
	if b := read(ctx, t, s, p.p2, posted[0], 10); !b.Acked.IsZero() {
		t.Errorf("nothing acknowledged: acked %q, want none", b.Acked)
	}
	ack(ctx, t, s, p.p2, posted[2])
	ack(ctx, t, s, p.p2, posted[1]) // backwards: no change
	for _, after := range []store.EventID{{}, posted[0], posted[2], posted[3], posted[4]} {
		b := read(ctx, t, s, p.p2, after, 10)
		if b.Acked != posted[2] {
			t.Errorf("after %q: acked %q, want %q", after, b.Acked, posted[2])
		}
		want := posted[3:]
		if after.Compare(posted[2]) > 0 {
			for len(want) > 0 && want[0].Compare(after) <= 0 {
				want = want[1:]
			}
		}
		if got := ids(b.Messages); !slices.Equal(got, want) {
			t.Errorf("after %q: %v, want %v", after, got, want)
		}
	}
	// The closed channel's batches say it too.
	if err := s.ClosePort(ctx, p.p1); err != nil {
		t.Fatalf("ClosePort: %v", err)
	}
	ack(ctx, t, s, p.p2, posted[4])
	if b := read(ctx, t, s, p.p2, posted[0], 10); b.Acked != posted[4] || len(b.Messages) != 0 || b.State != store.StateClosed {
		t.Errorf("closed, all acked: acked %q, %d messages, state %s; want %q, 0, closed", b.Acked, len(b.Messages), b.State, posted[4])
	}
}
