package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

var closeTests = []test{
	{"BothPorts", testCloseBothPorts},
	{"RefusesPosts", testCloseRefusesPosts},
	{"QueueStays", testCloseQueueStays},
	{"Idempotent", testCloseIdempotent},
	{"RefusesTransfer", testCloseRefusesTransfer},
	{"Refused", testCloseRefused},
}

// testCloseBothPorts: closing either port closes the channel for both.
func testCloseBothPorts(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	for _, closer := range []int{1, 2} {
		p := newPair(ctx, t, s)
		by := map[int]store.Credentials{1: p.p1, 2: p.p2}[closer]
		before := time.Now()
		if err := s.ClosePort(ctx, by); err != nil {
			t.Fatalf("ClosePort port%d: %v", closer, err)
		}
		var closedAt time.Time
		for i, c := range []store.Credentials{p.p1, p.p2} {
			info := describe(ctx, t, s, c)
			if info.State != store.StateClosed {
				t.Errorf("closed by port%d: port%d is %s", closer, i+1, info.State)
			}
			if !near(info.ClosedAt, before, 5*time.Second) {
				t.Errorf("closed by port%d: port%d ClosedAt %v, not about now", closer, i+1, info.ClosedAt)
			}
			if i == 1 && !info.ClosedAt.Equal(closedAt) {
				t.Errorf("ports disagree on ClosedAt: %v and %v", closedAt, info.ClosedAt)
			}
			closedAt = info.ClosedAt
			b := read(ctx, t, s, c, store.EventID{}, 10)
			if b.State != store.StateClosed || !b.ClosedAt.Equal(closedAt) {
				t.Errorf("closed by port%d: port%d batch %s at %v", closer, i+1, b.State, b.ClosedAt)
			}
		}
	}
}

// testCloseRefusesPosts: after a close, posts from either end are refused
// and store nothing.
func testCloseRefusesPosts(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	post(ctx, t, s, p.p1, text("before"))
	if err := s.ClosePort(ctx, p.p2); err != nil {
		t.Fatal(err)
	}
	before := []store.PortInfo{describe(ctx, t, s, p.p1), describe(ctx, t, s, p.p2)}
	for i, c := range []store.Credentials{p.p1, p.p2} {
		_, err := s.Post(ctx, c, store.Outgoing{Data: text("after")})
		wantErr(t, fmt.Sprintf("post from port%d after close", i+1), err, store.ErrClosed)
	}
	for i, c := range []store.Credentials{p.p1, p.p2} {
		if d := samePort(before[i], describe(ctx, t, s, c)); d != "" {
			t.Errorf("refused posts changed port%d: %s", i+1, d)
		}
	}
}

// testCloseQueueStays: what was queued before the close stays readable and
// acknowledgeable, in both directions.
func testCloseQueueStays(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	to2 := postN(ctx, t, s, p.p1, 3)
	to1 := postN(ctx, t, s, p.p2, 2)
	if err := s.ClosePort(ctx, p.p1); err != nil {
		t.Fatal(err)
	}
	if got := ids(readAll(ctx, t, s, p.p2, store.EventID{})); !slices.Equal(got, to2) {
		t.Errorf("port2 after close: %v, want %v", got, to2)
	}
	if got := ids(readAll(ctx, t, s, p.p1, store.EventID{})); !slices.Equal(got, to1) {
		t.Errorf("port1 after close: %v, want %v", got, to1)
	}
	ack(ctx, t, s, p.p2, to2[1])
	if got := ids(readAll(ctx, t, s, p.p2, store.EventID{})); !slices.Equal(got, to2[2:]) {
		t.Errorf("port2 after ack: %v, want %v", got, to2[2:])
	}
	err := s.Ack(ctx, p.p2, to2[2].Next())
	wantErr(t, "ack ahead after close", err, store.ErrInvalid)
	ack(ctx, t, s, p.p2, to2[2])
	b := read(ctx, t, s, p.p2, store.EventID{}, 10)
	if len(b.Messages) != 0 || b.State != store.StateClosed {
		t.Errorf("drained closed port: %d messages, state %s", len(b.Messages), b.State)
	}
}

// testCloseIdempotent: closing again, from either end, succeeds and keeps
// the first ClosedAt.
func testCloseIdempotent(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	if err := s.ClosePort(ctx, p.p1); err != nil {
		t.Fatal(err)
	}
	first := describe(ctx, t, s, p.p1).ClosedAt
	time.Sleep(5 * time.Millisecond) // a second close must not move ClosedAt
	for i, c := range []store.Credentials{p.p1, p.p2, p.p1} {
		if err := s.ClosePort(ctx, c); err != nil {
			t.Errorf("close %d again: %v", i, err)
		}
	}
	if again := describe(ctx, t, s, p.p2).ClosedAt; !again.Equal(first) {
		t.Errorf("ClosedAt moved from %v to %v", first, again)
	}
}

// testCloseRefusesTransfer: neither port of a closed channel can be
// transferred, and the refusal leaves the tokens working.
func testCloseRefusesTransfer(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	if err := s.ClosePort(ctx, p.p1); err != nil {
		t.Fatal(err)
	}
	for i, c := range []store.Credentials{p.p1, p.p2} {
		_, err := s.Transfer(ctx, c)
		wantErr(t, fmt.Sprintf("transfer port%d of a closed channel", i+1), err, store.ErrClosed)
		describe(ctx, t, s, c)
	}
}

// testCloseRefused: only a port's holder closes its channel.
func testCloseRefused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	for _, c := range []store.Credentials{
		{PortID: p.p1.PortID, Token: p.p2.Token},
		{PortID: unknownPort(t), Token: p.p1.Token},
		{PortID: "bad id", Token: p.p1.Token},
	} {
		err := s.ClosePort(ctx, c)
		wantErr(t, "close "+c.PortID, err, store.ErrUnauthorized)
	}
	if info := describe(ctx, t, s, p.p1); info.State != store.StateOpen {
		t.Errorf("refused closes closed the channel")
	}
}
