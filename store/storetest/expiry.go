package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

var expiryTests = []test{
	{"IdleChannelExpires", testExpiryIdle},
}

// expiryTTL is the channel TTL of the expiry tests, keepBusy how long they
// keep some channels busy (past the TTL, so that only activity can have
// kept them) with an operation every busyEvery, and expiryDeadline how
// long after that an idle channel may still linger on the wall clock. On
// the wall clock, an operation may take most of a second on a loaded
// machine, or on a primary whose writes wait for a replica: the TTL leaves
// room for one between two others.
const (
	expiryTTL      = 2 * time.Second
	keepBusy       = expiryTTL * 5 / 4
	busyEvery      = expiryTTL / 5
	expiryDeadline = 5 * time.Second
)

// testExpiryIdle: a channel left idle for the TTL is forgotten: every
// operation on its ports is ErrUnauthorized. Channels that see posts,
// reads or acknowledgements in time stay.
func testExpiryIdle(t *testing.T, h harness) {
	ctx := testContext(t)
	s, tl := h.timedStore(t, store.Limits{ChannelTTL: expiryTTL})
	idle := newPair(ctx, t, s)
	queued := post(ctx, t, s, idle.p1, text("forgotten"))
	posted := newPair(ctx, t, s)
	read := newPair(ctx, t, s)
	acked := newPair(ctx, t, s)
	ackedID := post(ctx, t, s, acked.p1, text("acknowledged again and again"))

	// Keep three channels busy for longer than the TTL: one by posting, one
	// by reading, one by acknowledging (the same message each time: an
	// acknowledgement that deletes nothing is activity too). They are
	// checked at once after their last operation.
	for elapsed := time.Duration(0); elapsed < keepBusy; elapsed += busyEvery {
		tl.pass(busyEvery)
		post(ctx, t, s, posted.p1, text("still here"))
		if _, err := s.Read(ctx, read.p2, store.EventID{}, store.ReadLimit{Messages: 1}); err != nil {
			t.Fatalf("reading a channel kept alive: %v", err)
		}
		if err := s.Ack(ctx, acked.p2, ackedID); err != nil {
			t.Fatalf("acknowledging on a channel kept alive: %v", err)
		}
	}
	if n := len(readAll(ctx, t, s, posted.p2, store.EventID{})); n == 0 {
		t.Errorf("the channel kept alive by posts holds %d messages", n)
	}
	for _, c := range []store.Credentials{posted.p1, posted.p2, read.p1, read.p2, acked.p1, acked.p2} {
		describe(ctx, t, s, c)
	}

	tl.expires(t, expiryDeadline, "an idle channel", func() (bool, error) {
		_, err := s.Describe(ctx, idle.p1)
		if errors.Is(err, store.ErrUnauthorized) {
			return true, nil
		}
		return false, err
	})
	for _, c := range []store.Credentials{idle.p1, idle.p2} {
		_, err := s.Describe(ctx, c)
		wantErr(t, "Describe", err, store.ErrUnauthorized)
		_, err = s.Post(ctx, c, store.Outgoing{Data: text("x")})
		wantErr(t, "Post", err, store.ErrUnauthorized)
		_, err = s.Read(ctx, c, store.EventID{}, store.ReadLimit{Messages: 10})
		wantErr(t, "Read", err, store.ErrUnauthorized)
		err = s.Ack(ctx, c, queued)
		wantErr(t, "Ack", err, store.ErrUnauthorized)
		err = s.ClosePort(ctx, c)
		wantErr(t, "ClosePort", err, store.ErrUnauthorized)
		_, err = s.Transfer(ctx, c)
		wantErr(t, "Transfer", err, store.ErrUnauthorized)
	}
}

// readyTests are about the store as a whole.
var readyTests = []test{
	{"Ready", func(t *testing.T, h harness) {
		if err := h.store(t).Ready(testContext(t)); err != nil {
			t.Errorf("Ready: %v", err)
		}
	}},
}
