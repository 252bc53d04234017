package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

var subscribeTests = []test{
	{"RingsOnPost", testSubscribeRingsOnPost},
	{"RingsOnClose", testSubscribeRingsOnClose},
	{"RingsOnTransfer", testSubscribeRingsOnTransfer},
	{"RingsOnMoveInMessage", testSubscribeRingsOnMove},
	{"QuietForOtherPorts", testSubscribeQuietForOthers},
	{"CloseStops", testSubscribeCloseStops},
	{"Coalesces", testSubscribeCoalesces},
	{"SeveralPortsRingForEach", testSubscribeSeveralPorts},
	{"SeveralPortsCloseStopsAll", testSubscribeSeveralPortsClose},
	{"CancelledContext", testSubscribeCancelled},
}

// subscribe subscribes to portIDs and closes the subscription when the
// test ends.
func subscribe(t *testing.T, s store.Store, portIDs ...string) *store.Subscription {
	t.Helper()
	sub := subscribeOpen(t, s, portIDs...)
	t.Cleanup(sub.Close)
	return sub
}

// subscribeOpen subscribes to portIDs, leaving the closing to the caller.
func subscribeOpen(t *testing.T, s store.Store, portIDs ...string) *store.Subscription {
	t.Helper()
	sub, err := s.Subscribe(testContext(t), portIDs...)
	if err != nil {
		t.Fatalf("Subscribe %v: %v", portIDs, err)
	}
	if sub == nil || sub.C == nil {
		t.Fatalf("Subscribe %v returned no doorbell", portIDs)
	}
	return sub
}

func wantRing(t *testing.T, sub *store.Subscription, what string) {
	t.Helper()
	if !waitRing(sub, ringWait) {
		t.Errorf("%s: no ring within %v", what, ringWait)
	}
}

func wantQuiet(t *testing.T, sub *store.Subscription, what string) {
	t.Helper()
	wantAllQuiet(t, map[string]*store.Subscription{what: sub})
}

// wantAllQuiet is wantQuiet for each of subs, watched over the same
// quietWait rather than one after another.
func wantAllQuiet(t *testing.T, subs map[string]*store.Subscription) {
	t.Helper()
	var mu sync.Mutex
	var rang []string
	var wg sync.WaitGroup
	for what, sub := range subs {
		wg.Go(func() {
			if waitRing(sub, quietWait) {
				mu.Lock()
				defer mu.Unlock()
				rang = append(rang, what)
			}
		})
	}
	wg.Wait()
	for _, what := range rang {
		t.Errorf("%s: rang", what)
	}
}

// testSubscribeRingsOnPost: a message queued at the port rings it, each
// time.
func testSubscribeRingsOnPost(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	sub := subscribe(t, s, p.p2.PortID)
	for i := range 3 {
		post(ctx, t, s, p.p1, text("ding"))
		wantRing(t, sub, "post "+string(rune('1'+i)))
	}
}

// testSubscribeRingsOnClose: a close, from either end, rings both ports.
func testSubscribeRingsOnClose(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	sub1 := subscribe(t, s, p.p1.PortID)
	sub2 := subscribe(t, s, p.p2.PortID)
	if err := s.ClosePort(ctx, p.p2); err != nil {
		t.Fatal(err)
	}
	wantRing(t, sub1, "close, at port1")
	wantRing(t, sub2, "close, at the closing port2")
}

// testSubscribeRingsOnTransfer: a transfer rings the port, so that the old
// holder's streams look again and find their token dead.
func testSubscribeRingsOnTransfer(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	sub := subscribe(t, s, p.p1.PortID)
	transfer(t, s, p.p1)
	wantRing(t, sub, "transfer")
}

// testSubscribeRingsOnMove: a port moved inside a message rings too, and
// so does the receiver of the message.
func testSubscribeRingsOnMove(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	a, b := newPair(ctx, t, s), newPair(ctx, t, s)
	moved := subscribe(t, s, b.p1.PortID)
	receiver := subscribe(t, s, a.p2.PortID)
	postList(ctx, t, s, a.p1, b.p1)
	wantRing(t, moved, "the moved port")
	wantRing(t, receiver, "the receiver")
}

// testSubscribeQuietForOthers: a post rings nobody but the receiving port.
func testSubscribeQuietForOthers(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p, other := newPair(ctx, t, s), newPair(ctx, t, s)
	subs := map[string]*store.Subscription{
		"the sending port":           subscribe(t, s, p.p1.PortID),
		"port1 of another channel":   subscribe(t, s, other.p1.PortID),
		"port2 of another channel":   subscribe(t, s, other.p2.PortID),
		"a port that does not exist": subscribe(t, s, unknownPort(t)),
	}
	receiver := subscribe(t, s, p.p2.PortID)
	post(ctx, t, s, p.p1, text("only for port2"))
	wantRing(t, receiver, "the receiving port")
	wantAllQuiet(t, subs)
}

// testSubscribeCloseStops: a closed subscription no longer rings, and
// closing it twice is harmless.
func testSubscribeCloseStops(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	sub := subscribeOpen(t, s, p.p2.PortID)
	witness := subscribe(t, s, p.p2.PortID)
	sub.Close()
	sub.Close()
	post(ctx, t, s, p.p1, text("nobody listens"))
	wantRing(t, witness, "a second subscription to the port")
	wantQuiet(t, sub, "a closed subscription")
}

// testSubscribeCoalesces: a subscriber that never drains its doorbell does
// not hold up posts; it finds one ring waiting.
func testSubscribeCoalesces(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	sub := subscribe(t, s, p.p2.PortID)
	const n = 1000
	postN(ctx, t, s, p.p1, n) // bounded by the test's context if a ring blocks
	if got := describe(ctx, t, s, p.p2).Queued; got != n {
		t.Fatalf("queued %d, want %d", got, n)
	}
	wantRing(t, sub, "after many posts")
	drain(sub) // a ring still in flight may land once more
	post(ctx, t, s, p.p1, text("one more"))
	wantRing(t, sub, "a post after draining")
}

// testSubscribeSeveralPorts: one doorbell for ports of different channels
// rings for a post, a close and a transfer at each of them, and for
// nothing else.
func testSubscribeSeveralPorts(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	a, b, c := newPair(ctx, t, s), newPair(ctx, t, s), newPair(ctx, t, s)
	sub := subscribe(t, s, a.p2.PortID, b.p1.PortID, c.p2.PortID, a.p2.PortID)

	post(ctx, t, s, c.p1, text("to c"))
	wantRing(t, sub, "post at the third port")
	post(ctx, t, s, a.p1, text("to a"))
	wantRing(t, sub, "post at the first port")
	post(ctx, t, s, b.p2, text("to b"))
	wantRing(t, sub, "post at the second port")

	post(ctx, t, s, b.p1, text("to b's peer"))
	wantQuiet(t, sub, "post at a port not subscribed")

	if _, err := s.Transfer(ctx, c.p2); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	wantRing(t, sub, "transfer of the third port")
	if err := s.ClosePort(ctx, b.p2); err != nil {
		t.Fatalf("ClosePort: %v", err)
	}
	wantRing(t, sub, "close of the second port's channel")
}

// testSubscribeSeveralPortsClose: closing a doorbell for several ports
// silences it for all of them and leaves other subscriptions to the same
// ports ringing.
func testSubscribeSeveralPortsClose(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	a, b := newPair(ctx, t, s), newPair(ctx, t, s)
	sub := subscribeOpen(t, s, a.p2.PortID, b.p2.PortID)
	witnessA := subscribe(t, s, a.p2.PortID)
	witnessB := subscribe(t, s, b.p2.PortID, a.p1.PortID)
	sub.Close()
	sub.Close()
	post(ctx, t, s, a.p1, text("nobody listens"))
	post(ctx, t, s, b.p1, text("nobody listens either"))
	wantRing(t, witnessA, "a single-port subscription to the first port")
	wantRing(t, witnessB, "another several-port subscription to the second port")
	wantQuiet(t, sub, "a closed several-port subscription")
}

// testSubscribeCancelled: Subscribe with a context that has ended returns
// the context's error and no subscription; the ports stay as they were, so
// a later Subscribe to them rings as usual.
func testSubscribeCancelled(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	ended, cancel := context.WithCancel(ctx)
	cancel()
	sub, err := s.Subscribe(ended, p.p2.PortID, p.p1.PortID)
	if !errors.Is(err, context.Canceled) || sub != nil {
		if sub != nil {
			sub.Close()
		}
		t.Fatalf("Subscribe with a cancelled context: %v, %v; want context.Canceled and no subscription", sub, err)
	}
	later := subscribe(t, s, p.p2.PortID)
	post(ctx, t, s, p.p1, text("after the cancelled subscribe"))
	wantRing(t, later, "a subscription made after the cancelled one")
}
