package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

var readTests = []test{
	{"Paging", testReadPaging},
	{"DoesNotAck", testReadDoesNotAck},
	{"Empty", testReadEmpty},
	{"Refused", testReadRefused},
	{"LastID", testReadLastID},
}

// testReadPaging: after and limit page through the queue, oldest first.
func testReadPaging(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := postN(ctx, t, s, p.p1, 10)

	var got []store.EventID
	after := store.EventID{}
	for page := 0; ; page++ {
		b := read(ctx, t, s, p.p2, after, 3)
		if len(b.Messages) > 3 {
			t.Fatalf("page %d: %d messages with limit 3", page, len(b.Messages))
		}
		if len(b.Messages) == 0 {
			break
		}
		if page < 3 && len(b.Messages) != 3 {
			t.Fatalf("page %d: %d messages, want a full page of 3", page, len(b.Messages))
		}
		got = append(got, ids(b.Messages)...)
		after = b.Messages[len(b.Messages)-1].ID
	}
	if !slices.Equal(got, posted) {
		t.Fatalf("paged through %v, posted %v", got, posted)
	}

	if b := read(ctx, t, s, p.p2, posted[6], 100); !slices.Equal(ids(b.Messages), posted[7:]) {
		t.Errorf("after the 7th: %v, want %v", ids(b.Messages), posted[7:])
	}
	if b := read(ctx, t, s, p.p2, store.EventID{}, 1000); !slices.Equal(ids(b.Messages), posted) {
		t.Errorf("limit above the count: %v, want all", ids(b.Messages))
	}
	// An id between two messages is a valid resume point too.
	between := posted[4].Next()
	if between != posted[5] {
		if b := read(ctx, t, s, p.p2, between, 100); !slices.Equal(ids(b.Messages), posted[5:]) {
			t.Errorf("after %q: %v, want %v", between, ids(b.Messages), posted[5:])
		}
	}
}

// testReadDoesNotAck: reading twice returns the same messages and the
// queue keeps them.
func testReadDoesNotAck(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := postN(ctx, t, s, p.p1, 5)
	first := readAll(ctx, t, s, p.p2, store.EventID{})
	second := readAll(ctx, t, s, p.p2, store.EventID{})
	if !slices.Equal(ids(first), posted) || !slices.Equal(ids(second), posted) {
		t.Fatalf("reads returned %v and %v, want %v twice", ids(first), ids(second), posted)
	}
	info := describe(ctx, t, s, p.p2)
	if info.Queued != 5 || !info.Acked.IsZero() {
		t.Errorf("after reading: queued %d acked %q, want 5 and none", info.Queued, info.Acked)
	}
}

// testReadEmpty: an empty port reads as an empty open batch, from the
// start or from an id after anything there is.
func testReadEmpty(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	for _, after := range []store.EventID{{}, {Ms: 1}, {Ms: 1 << 50, Seq: 7}} {
		b := read(ctx, t, s, p.p2, after, 10)
		if len(b.Messages) != 0 || b.State != store.StateOpen {
			t.Errorf("after %q: %d messages, state %s", after, len(b.Messages), b.State)
		}
	}
}

// testReadRefused: a port's messages are read only with its token.
func testReadRefused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	post(ctx, t, s, p.p1, text("secret"))
	for _, c := range []store.Credentials{
		{PortID: p.p2.PortID, Token: p.p1.Token},
		{PortID: p.p2.PortID},
		{PortID: unknownPort(t), Token: p.p2.Token},
		{PortID: "x", Token: p.p2.Token},
	} {
		b, err := s.Read(ctx, c, store.EventID{}, store.ReadLimit{Messages: 10})
		wantErr(t, fmt.Sprintf("read %q", c.PortID), err, store.ErrUnauthorized)
		if len(b.Messages) != 0 {
			t.Errorf("a refused read returned %d messages", len(b.Messages))
		}
	}
}

// testReadLastID: every batch carries the newest id ever queued at the
// port, whatever part of the queue it holds: zero before any message,
// unchanged by acknowledgements, the same as Describe's.
func testReadLastID(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	if b := read(ctx, t, s, p.p2, store.EventID{}, 10); !b.LastID.IsZero() {
		t.Errorf("an empty port's LastID is %q", b.LastID)
	}
	posted := postN(ctx, t, s, p.p1, 3)
	newest := posted[2]
	for _, after := range []store.EventID{{}, posted[0], newest, {Ms: newest.Ms + 1000}} {
		if b := read(ctx, t, s, p.p2, after, 1); b.LastID != newest {
			t.Errorf("read after %q: LastID %q, want %q", after, b.LastID, newest)
		}
	}
	ack(ctx, t, s, p.p2, newest)
	b := read(ctx, t, s, p.p2, store.EventID{}, 10)
	if b.LastID != newest || len(b.Messages) != 0 {
		t.Errorf("after acknowledging all: LastID %q, %d messages; want %q and none", b.LastID, len(b.Messages), newest)
	}
	if info := describe(ctx, t, s, p.p2); info.LastID != b.LastID {
		t.Errorf("Describe's LastID %q, Read's %q", info.LastID, b.LastID)
	}
	// The other port's LastID is its own.
	if b := read(ctx, t, s, p.p1, store.EventID{}, 10); !b.LastID.IsZero() {
		t.Errorf("the sender's LastID is %q", b.LastID)
	}
}
