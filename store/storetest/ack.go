package storetest

import (
	"slices"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

var ackTests = []test{
	{"DeletesThrough", testAckDeletesThrough},
	{"Backwards", testAckBackwards},
	{"AheadOfLast", testAckAhead},
	{"All", testAckAll},
	{"Refused", testAckRefused},
}

// testAckDeletesThrough: acknowledged messages, the one named included,
// are never returned again, from any resume point.
func testAckDeletesThrough(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := postN(ctx, t, s, p.p1, 10)
	ack(ctx, t, s, p.p2, posted[4])

	for _, after := range []store.EventID{{}, posted[1], posted[4]} {
		if got := ids(readAll(ctx, t, s, p.p2, after)); !slices.Equal(got, posted[5:]) {
			t.Errorf("after %q: %v, want %v", after, got, posted[5:])
		}
	}
	info := describe(ctx, t, s, p.p2)
	if info.Queued != 5 || info.Acked != posted[4] || info.LastID != posted[9] {
		t.Errorf("queued %d acked %q last %q, want 5 %q %q", info.Queued, info.Acked, info.LastID, posted[4], posted[9])
	}
	// The sender's side is untouched.
	if info := describe(ctx, t, s, p.p1); info.Queued != 0 || !info.Acked.IsZero() || !info.LastID.IsZero() {
		t.Errorf("port1 queued %d acked %q last %q", info.Queued, info.Acked, info.LastID)
	}
}

// testAckBackwards: acknowledging at or before an earlier ack is a no-op.
func testAckBackwards(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := postN(ctx, t, s, p.p1, 6)
	ack(ctx, t, s, p.p2, posted[3])
	before := describe(ctx, t, s, p.p2)
	for _, through := range []store.EventID{posted[3], posted[1], {}} {
		ack(ctx, t, s, p.p2, through)
		if d := samePort(before, describe(ctx, t, s, p.p2)); d != "" {
			t.Errorf("ack %q after ack %q: %s", through, posted[3], d)
		}
	}
	if got := ids(readAll(ctx, t, s, p.p2, store.EventID{})); !slices.Equal(got, posted[4:]) {
		t.Errorf("queue %v, want %v", got, posted[4:])
	}
}

// testAckAhead: an id after the newest ever queued is ErrInvalid and
// changes nothing.
func testAckAhead(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)

	err := s.Ack(ctx, p.p2, store.EventID{Ms: 1})
	wantErr(t, "ack on a port that never had a message", err, store.ErrInvalid)

	posted := postN(ctx, t, s, p.p1, 3)
	last := posted[2]
	before := describe(ctx, t, s, p.p2)
	for _, through := range []store.EventID{last.Next(), {Ms: last.Ms + 1}, {Ms: last.Ms + 1_000_000}} {
		err := s.Ack(ctx, p.p2, through)
		wantErr(t, "ack "+through.String()+" after last "+last.String(), err, store.ErrInvalid)
	}
	if d := samePort(before, describe(ctx, t, s, p.p2)); d != "" {
		t.Errorf("refused acks changed the port: %s", d)
	}
	// The peer's messages are not the sender's to acknowledge.
	err = s.Ack(ctx, p.p1, posted[0])
	wantErr(t, "ack at the sending port", err, store.ErrInvalid)
}

// testAckAll: after acknowledging everything the queue is empty, and new
// messages still get ids after the old ones.
func testAckAll(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := postN(ctx, t, s, p.p1, 4)
	ack(ctx, t, s, p.p2, posted[3])
	if n := len(readAll(ctx, t, s, p.p2, store.EventID{})); n != 0 {
		t.Fatalf("%d messages left after acknowledging all", n)
	}
	if info := describe(ctx, t, s, p.p2); info.Queued != 0 || info.LastID != posted[3] || info.Acked != posted[3] {
		t.Errorf("queued %d last %q acked %q", info.Queued, info.LastID, info.Acked)
	}
	next := post(ctx, t, s, p.p1, text("later"))
	if next.Compare(posted[3]) <= 0 {
		t.Errorf("id %q after acknowledged %q", next, posted[3])
	}
	if got := ids(readAll(ctx, t, s, p.p2, store.EventID{})); !slices.Equal(got, []store.EventID{next}) {
		t.Errorf("queue %v, want [%v]", got, next)
	}
}

// testAckRefused: only the port's holder acknowledges.
func testAckRefused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := postN(ctx, t, s, p.p1, 2)
	err := s.Ack(ctx, store.Credentials{PortID: p.p2.PortID, Token: p.p1.Token}, posted[1])
	wantErr(t, "ack with the peer's token", err, store.ErrUnauthorized)
	err = s.Ack(ctx, store.Credentials{PortID: unknownPort(t), Token: p.p2.Token}, posted[1])
	wantErr(t, "ack at an unknown port", err, store.ErrUnauthorized)
	if info := describe(ctx, t, s, p.p2); info.Queued != 2 || !info.Acked.IsZero() {
		t.Errorf("refused acks changed the port: queued %d acked %q", info.Queued, info.Acked)
	}
}
