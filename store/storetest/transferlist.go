package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

var transferListTests = []test{
	{"Moves", testTransferListMoves},
	{"Several", testTransferListSeveral},
	{"Onward", testTransferListOnward},
	{"RefusalsChangeNothing", testTransferListRefusals},
	{"SenderRefusalsMoveNothing", testTransferListSenderRefusals},
	{"Race", testTransferListRace},
}

// postList posts data from `from` with a transfer list.
func postList(ctx context.Context, t *testing.T, s store.Store, from store.Credentials, list ...store.Credentials) store.EventID {
	t.Helper()
	id, err := s.Post(ctx, from, store.Outgoing{Data: text("with ports"), Transfer: list})
	if err != nil {
		t.Fatalf("Post from %s with %d ports: %v", from.PortID, len(list), err)
	}
	return id
}

// received reads the one message at port and returns the ports it carries.
func received(ctx context.Context, t *testing.T, s store.Store, port store.Credentials, id store.EventID) []store.PortCredentials {
	t.Helper()
	msgs := readAll(ctx, t, s, port, store.EventID{})
	i := slices.IndexFunc(msgs, func(m store.Message) bool { return m.ID == id })
	if i < 0 {
		t.Fatalf("message %q is not at %s (%v)", id, port.PortID, ids(msgs))
	}
	return msgs[i].Ports
}

// testTransferListMoves: a port of another channel moves with a message:
// the sender's token for it dies, the receiver gets a fresh one, and the
// port keeps its queue and its peer.
func testTransferListMoves(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	a := newPair(ctx, t, s)
	b := newPair(ctx, t, s)
	queued := postN(ctx, t, s, b.p2, 3)
	ack(ctx, t, s, b.p1, queued[0])
	before := describe(ctx, t, s, b.p1)

	id := postList(ctx, t, s, a.p1, b.p1)

	msgs := readAll(ctx, t, s, a.p2, store.EventID{})
	if len(msgs) != 1 || msgs[0].ID != id {
		t.Fatalf("receiver holds %v, want [%v]", ids(msgs), id)
	}
	m := msgs[0]
	if m.Source != a.p1.PortID || string(m.Data) != `"with ports"` {
		t.Errorf("message source %s data %s", m.Source, m.Data)
	}
	if len(m.Ports) != 1 || m.Ports[0].ID != b.p1.PortID || m.Ports[0].Token == "" || m.Ports[0].Token == b.p1.Token {
		t.Fatalf("message ports %+v, want [{%s <fresh token>}]", m.Ports, b.p1.PortID)
	}
	moved := creds(m.Ports[0])

	_, err := s.Describe(ctx, b.p1)
	wantErr(t, "the sender's token for the moved port", err, store.ErrTransferred)
	_, err = s.Post(ctx, b.p1, store.Outgoing{Data: text("x")})
	wantErr(t, "posting with the sender's old token", err, store.ErrTransferred)

	if d := samePort(before, describe(ctx, t, s, moved)); d != "" {
		t.Errorf("moving changed the port: %s", d)
	}
	if got := ids(readAll(ctx, t, s, moved, store.EventID{})); !slices.Equal(got, queued[1:]) {
		t.Errorf("moved port holds %v, want %v", got, queued[1:])
	}
	// The moved port's peer stays where it was and still reaches it.
	later := post(ctx, t, s, b.p2, text("to the new holder"))
	if got := ids(readAll(ctx, t, s, moved, queued[2])); !slices.Equal(got, []store.EventID{later}) {
		t.Errorf("moved port got %v after the move, want [%v]", got, later)
	}
	post(ctx, t, s, moved, text("from the new holder"))
	// The sender's own ports are untouched.
	describe(ctx, t, s, a.p1)
	describe(ctx, t, s, a.p2)
}

// testTransferListSeveral: several ports move in one message, in the order
// listed, each with its own fresh token.
func testTransferListSeveral(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	a, b, c := newPair(ctx, t, s), newPair(ctx, t, s), newPair(ctx, t, s)
	list := []store.Credentials{c.p2, b.p1, b.p2, c.p1}
	id := postList(ctx, t, s, a.p2, list...)
	ports := received(ctx, t, s, a.p1, id)
	if len(ports) != len(list) {
		t.Fatalf("message carries %d ports, want %d", len(ports), len(list))
	}
	tokens := map[string]bool{}
	for i, pc := range ports {
		if pc.ID != list[i].PortID {
			t.Errorf("ports[%d] is %s, want %s", i, pc.ID, list[i].PortID)
		}
		if tokens[pc.Token] || pc.Token == list[i].Token {
			t.Errorf("ports[%d] token %q is not fresh", i, pc.Token)
		}
		tokens[pc.Token] = true
		describe(ctx, t, s, creds(pc))
		_, err := s.Describe(ctx, list[i])
		wantErr(t, fmt.Sprintf("old token of ports[%d]", i), err, store.ErrTransferred)
	}
	// Both ends of b now belong to the receiver, and still talk.
	post(ctx, t, s, creds(ports[1]), text("b1 to b2"))
	if n := len(readAll(ctx, t, s, creds(ports[2]), store.EventID{})); n != 1 {
		t.Errorf("b2 holds %d messages, want 1", n)
	}
}

// testTransferListOnward: a received port can be moved on, and the token it
// arrived with then dies too.
func testTransferListOnward(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	a, b := newPair(ctx, t, s), newPair(ctx, t, s)
	first := creds(received(ctx, t, s, a.p2, postList(ctx, t, s, a.p1, b.p1))[0])
	second := creds(received(ctx, t, s, a.p1, postList(ctx, t, s, a.p2, first))[0])
	for _, old := range []store.Credentials{b.p1, first} {
		_, err := s.Describe(ctx, old)
		wantErr(t, "a token the port arrived with earlier", err, store.ErrTransferred)
	}
	third := transfer(t, s, second)
	_, err := s.Describe(ctx, second)
	wantErr(t, "received token after a plain transfer", err, store.ErrTransferred)
	describe(ctx, t, s, third)
}

// world is a sender channel a and ports of other channels to list: b and c
// open, d closed, and b1 transferred once so its first token is a former
// one.
type world struct {
	a, b, c, d pair
	b1old      store.Credentials
}

func newWorld(ctx context.Context, t *testing.T, s store.Store) *world {
	t.Helper()
	w := &world{a: newPair(ctx, t, s), b: newPair(ctx, t, s), c: newPair(ctx, t, s), d: newPair(ctx, t, s)}
	postN(ctx, t, s, w.a.p1, 2) // the receiver has something queued
	postN(ctx, t, s, w.b.p2, 2) // and so has a port that might move
	w.b1old = w.b.p1
	w.b.p1 = transfer(t, s, w.b.p1)
	if err := s.ClosePort(ctx, w.d.p2); err != nil {
		t.Fatal(err)
	}
	return w
}

// snapshot is everything a refused post must leave as it was.
type snapshot struct {
	infos map[string]store.PortInfo
	queue []store.EventID // at the receiver
}

// ports returns the current credentials of every port in w.
func (w *world) ports() []store.Credentials {
	return []store.Credentials{w.a.p1, w.a.p2, w.b.p1, w.b.p2, w.c.p1, w.c.p2, w.d.p1, w.d.p2}
}

func (w *world) snapshot(ctx context.Context, t *testing.T, s store.Store) snapshot {
	t.Helper()
	snap := snapshot{infos: map[string]store.PortInfo{}}
	for _, c := range w.ports() {
		snap.infos[c.PortID] = describe(ctx, t, s, c)
	}
	snap.queue = ids(readAll(ctx, t, s, w.a.p2, store.EventID{}))
	return snap
}

// unchanged fails the test if anything in w differs from before: every
// current token still works and describes the same port, the former token
// is still former, and the receiver's queue is the same.
func (w *world) unchanged(ctx context.Context, t *testing.T, s store.Store, before snapshot, what string) {
	t.Helper()
	after := w.snapshot(ctx, t, s)
	for id, info := range before.infos {
		if d := samePort(info, after.infos[id]); d != "" {
			t.Errorf("%s: port %s changed: %s", what, id, d)
		}
	}
	if !slices.Equal(before.queue, after.queue) {
		t.Errorf("%s: receiver queue %v became %v", what, before.queue, after.queue)
	}
	_, err := s.Describe(ctx, w.b1old)
	wantErr(t, what+": former token", err, store.ErrTransferred)
}

// testTransferListRefusals: every kind of refused list names the entry and
// the reason, and changes nothing at all.
func testTransferListRefusals(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	cases := []struct {
		name   string
		list   func(w *world) []store.Credentials
		index  int
		reason store.TransferRefusal
	}{
		{"self", func(w *world) []store.Credentials { return []store.Credentials{w.a.p1} }, 0, store.RefusedSelf},
		{"self after a good port", func(w *world) []store.Credentials { return []store.Credentials{w.b.p1, w.a.p1} }, 1, store.RefusedSelf},
		{"peer", func(w *world) []store.Credentials { return []store.Credentials{w.a.p2} }, 0, store.RefusedPeer},
		{"peer after good ports", func(w *world) []store.Credentials { return []store.Credentials{w.c.p1, w.b.p2, w.a.p2} }, 2, store.RefusedPeer},
		{"duplicate", func(w *world) []store.Credentials { return []store.Credentials{w.b.p1, w.b.p1} }, 1, store.RefusedDuplicate},
		{"duplicate apart", func(w *world) []store.Credentials { return []store.Credentials{w.c.p2, w.b.p1, w.c.p1, w.c.p2} }, 3, store.RefusedDuplicate},
		{"closed", func(w *world) []store.Credentials { return []store.Credentials{w.d.p1} }, 0, store.RefusedClosed},
		{"closed after a good port", func(w *world) []store.Credentials { return []store.Credentials{w.b.p1, w.d.p2} }, 1, store.RefusedClosed},
		{"unknown id", func(w *world) []store.Credentials {
			return []store.Credentials{w.c.p1, {PortID: unknownPort(t), Token: w.c.p2.Token}}
		}, 1, store.RefusedUnauthorized},
		{"malformed id", func(w *world) []store.Credentials {
			return []store.Credentials{{PortID: "not/an id", Token: w.b.p1.Token}}
		}, 0, store.RefusedUnauthorized},
		{"wrong token", func(w *world) []store.Credentials {
			return []store.Credentials{{PortID: w.b.p1.PortID, Token: w.c.p1.Token}}
		}, 0, store.RefusedUnauthorized},
		{"wrong token after good ports", func(w *world) []store.Credentials {
			return []store.Credentials{w.b.p1, w.c.p2, {PortID: w.c.p1.PortID, Token: flip(w.c.p1.Token)}}
		}, 2, store.RefusedUnauthorized},
		{"former token", func(w *world) []store.Credentials { return []store.Credentials{w.b1old} }, 0, store.RefusedTransferred},
		{"former token after a good port", func(w *world) []store.Credentials { return []store.Credentials{w.c.p1, w.b1old} }, 1, store.RefusedTransferred},
	}
	for _, c := range cases {
		w := newWorld(ctx, t, s)
		list := c.list(w)
		before := w.snapshot(ctx, t, s)
		_, err := s.Post(ctx, w.a.p1, store.Outgoing{Data: text("refused"), Transfer: list})
		var te *store.TransferError
		if !errors.As(err, &te) {
			t.Errorf("%s: error %v, want a *store.TransferError", c.name, err)
		} else {
			if te.Index != c.index || te.Reason != c.reason || te.PortID != list[c.index].PortID {
				t.Errorf("%s: refused [%d] %q (%s), want [%d] %q (%s)",
					c.name, te.Index, te.PortID, te.Reason, c.index, list[c.index].PortID, c.reason)
			}
			if errors.Is(err, store.ErrBusy) {
				t.Errorf("%s: a %s refusal claims to be ErrBusy", c.name, te.Reason)
			}
		}
		w.unchanged(ctx, t, s, before, c.name)
	}
}

// testTransferListSenderRefusals: when the sender itself is refused, the
// valid ports it listed do not move.
func testTransferListSenderRefusals(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxQueue: 2})
	cases := []struct {
		name  string
		setup func(w *world) store.Credentials // returns the sender
		want  error
	}{
		{"wrong token", func(w *world) store.Credentials {
			return store.Credentials{PortID: w.a.p1.PortID, Token: w.a.p2.Token}
		}, store.ErrUnauthorized},
		{"unknown sender", func(w *world) store.Credentials {
			return store.Credentials{PortID: unknownPort(t), Token: w.a.p1.Token}
		}, store.ErrUnauthorized},
		{"former token", func(w *world) store.Credentials {
			old := w.a.p1
			w.a.p1 = transfer(t, s, old)
			return old
		}, store.ErrTransferred},
		{"closed channel", func(w *world) store.Credentials {
			if err := s.ClosePort(ctx, w.a.p2); err != nil {
				t.Fatal(err)
			}
			return w.a.p1
		}, store.ErrClosed},
		{"full queue", func(w *world) store.Credentials { return w.a.p1 }, store.ErrQueueFull}, // the world queued 2
	}
	for _, c := range cases {
		w := newWorld(ctx, t, s)
		from := c.setup(w)
		before := w.snapshot(ctx, t, s)
		_, err := s.Post(ctx, from, store.Outgoing{Data: text("refused"), Transfer: []store.Credentials{w.b.p1, w.c.p2}})
		wantErr(t, c.name, err, c.want)
		w.unchanged(ctx, t, s, before, c.name)
	}
}

// testTransferListRace: several senders holding one port's token move it
// at once, while its holder also transfers it directly: exactly one wins,
// and the losers store nothing.
func testTransferListRace(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	const posters, transferrers, rounds = 4, 2, 10
	for round := range rounds {
		target := newPair(ctx, t, s)
		senders := make([]pair, posters)
		for i := range senders {
			senders[i] = newPair(ctx, t, s)
		}
		errs := make([]error, posters+transferrers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range posters + transferrers {
			wg.Go(func() {
				<-start
				if i < posters {
					_, errs[i] = s.Post(ctx, senders[i].p1, store.Outgoing{Data: text("race"), Transfer: []store.Credentials{target.p1}})
				} else {
					_, errs[i] = s.Transfer(ctx, target.p1)
				}
			})
		}
		close(start)
		wg.Wait()

		wins := 0
		for i, err := range errs {
			var te *store.TransferError
			switch {
			case err == nil:
				wins++
			case i < posters && errors.As(err, &te) && (te.Reason == store.RefusedTransferred || te.Reason == store.RefusedBusy):
			case i >= posters && (errors.Is(err, store.ErrTransferred) || errors.Is(err, store.ErrBusy)):
			default:
				t.Errorf("round %d: racer %d lost with %v", round, i, err)
			}
			if i < posters {
				queued := describe(ctx, t, s, senders[i].p2).Queued
				if (err == nil) != (queued == 1) || queued > 1 {
					t.Errorf("round %d: poster %d (error %v) left %d messages", round, i, err, queued)
				}
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d racers won, want exactly 1", round, wins)
		}
	}
}
