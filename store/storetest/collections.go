package storetest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tincan-dev/tincan/store"
)

var collectionTests = []test{
	{"Basics", testCollectionBasics},
	{"Membership", testCollectionMembership},
	{"Refusals", testCollectionRefusals},
	{"Bound", testCollectionBound},
	{"Rings", testCollectionRings},
	{"Many", testCollectionMany},
	{"ConcurrentMoves", testCollectionConcurrentMoves},
	{"Expiry", testCollectionExpiry},
}

func newCollection(ctx context.Context, t *testing.T, s store.Store) store.NewCollection {
	t.Helper()
	c, err := s.CreateCollection(ctx)
	if err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	if !store.ValidID(c.ID) || c.Token == "" || c.CreatedAt.IsZero() {
		t.Fatalf("CreateCollection: %+v", c)
	}
	return c
}

func addMember(ctx context.Context, t *testing.T, s store.Store, c store.NewCollection, member store.Credentials) {
	t.Helper()
	added, err := s.AddMember(ctx, c.ID, c.Token, member)
	if err != nil || !added {
		t.Fatalf("AddMember %s: added %v, %v", member.PortID, added, err)
	}
}

func broadcast(ctx context.Context, t *testing.T, s store.Store, c store.NewCollection, data json.RawMessage) store.BroadcastResult {
	t.Helper()
	return broadcastMsg(ctx, t, s, c, store.Outgoing{Data: data})
}

func broadcastMsg(ctx context.Context, t *testing.T, s store.Store, c store.NewCollection, msg store.Outgoing) store.BroadcastResult {
	t.Helper()
	res, err := s.Broadcast(ctx, c.ID, c.Token, msg)
	if err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	return res
}

// wantMemberErr checks that err refuses the member port, for the reason
// target.
func wantMemberErr(t *testing.T, what string, err error, port string, target error) {
	t.Helper()
	var me *store.MemberError
	if !errors.As(err, &me) || me.PortID != port || !errors.Is(err, target) {
		t.Errorf("%s: error %v, want a MemberError for %s wrapping %v", what, err, port, target)
	}
}

// testCollectionBasics: a broadcast reaches every member's peer, in the
// peer's own queue, as a post through the member would: same data,
// source the member, the id the result names.
func testCollectionBasics(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	c := newCollection(ctx, t, s)
	a, b := newPair(ctx, t, s), newPair(ctx, t, s)
	// b's peer already has a message: the broadcast's id follows it.
	before := post(ctx, t, s, b.p1, text("earlier"))
	addMember(ctx, t, s, c, a.p1)
	addMember(ctx, t, s, c, mint(t, s, b.p1, store.ScopePost, "broadcaster"))

	info, err := s.DescribeCollection(ctx, c.ID, c.Token)
	if err != nil {
		t.Fatalf("DescribeCollection: %v", err)
	}
	want := []string{a.p1.PortID, b.p1.PortID}
	slices.Sort(want)
	if info.ID != c.ID || !slices.Equal(info.Members, want) || !near(info.CreatedAt, c.CreatedAt, time.Second) {
		t.Errorf("DescribeCollection: %+v, want members %v", info, want)
	}

	res := broadcast(ctx, t, s, c, json.RawMessage(`{"hello":"all"}`))
	if len(res.Refused) != 0 || len(res.Delivered) != 2 {
		t.Fatalf("Broadcast: %+v, want 2 delivered", res)
	}
	got := map[string]store.EventID{}
	for _, d := range res.Delivered {
		got[d.Port] = d.ID
	}
	for _, p := range []pair{a, b} {
		msgs := readAll(ctx, t, s, p.p2, store.EventID{})
		last := msgs[len(msgs)-1]
		if string(last.Data) != `{"hello":"all"}` || last.Source != p.p1.PortID || last.ID != got[p.p1.PortID] || len(last.Ports) != 0 {
			t.Errorf("at %s: %+v, want the broadcast from %s with id %s", p.p2.PortID, last, p.p1.PortID, got[p.p1.PortID])
		}
	}
	if id := got[b.p1.PortID]; id.Compare(before) <= 0 {
		t.Errorf("broadcast id %s not after the earlier message %s", id, before)
	}
	// The members' own queues are untouched: a broadcast goes to peers.
	if n := len(readAll(ctx, t, s, a.p1, store.EventID{})); n != 0 {
		t.Errorf("member port got %d messages", n)
	}

	// The origin the broadcasting request claimed reaches every peer, as
	// a post's does.
	res = broadcastMsg(ctx, t, s, c, store.Outgoing{Data: text("from a page"), Origin: "https://example.com"})
	for _, d := range res.Delivered {
		for _, p := range []pair{a, b} {
			if p.p1.PortID != d.Port {
				continue
			}
			msgs := readAll(ctx, t, s, p.p2, store.EventID{})
			if last := msgs[len(msgs)-1]; last.ID != d.ID || last.Origin != "https://example.com" {
				t.Errorf("at %s: %+v, want the broadcast %s with its origin", p.p2.PortID, last, d.ID)
			}
		}
	}

	_, err = s.Broadcast(ctx, c.ID, c.Token, store.Outgoing{Data: json.RawMessage(`{"broken"`)})
	wantErr(t, "Broadcast of invalid JSON", err, store.ErrInvalid)
	_, err = s.Broadcast(ctx, c.ID, c.Token, store.Outgoing{Data: text("x"), Origin: "https://example.com/path"})
	wantErr(t, "Broadcast with a malformed origin", err, store.ErrInvalid)
	_, err = s.Broadcast(ctx, c.ID, c.Token, store.Outgoing{Data: text("x"), Transfer: []store.Credentials{a.p2}})
	wantErr(t, "Broadcast with a transfer list", err, store.ErrInvalid)
	_, err = s.Broadcast(ctx, c.ID, "wrong", store.Outgoing{Data: text("x")})
	wantErr(t, "Broadcast with a wrong token", err, store.ErrUnauthorized)
	_, err = s.DescribeCollection(ctx, c.ID, "wrong")
	wantErr(t, "DescribeCollection with a wrong token", err, store.ErrUnauthorized)
	_, err = s.Broadcast(ctx, "not-an-id", c.Token, store.Outgoing{Data: text("x")})
	wantErr(t, "Broadcast to a malformed id", err, store.ErrUnauthorized)

	if err := s.DeleteCollection(ctx, c.ID, c.Token); err != nil {
		t.Fatalf("DeleteCollection: %v", err)
	}
	_, err = s.Broadcast(ctx, c.ID, c.Token, store.Outgoing{Data: text("x")})
	wantErr(t, "Broadcast after delete", err, store.ErrUnauthorized)
	wantErr(t, "DeleteCollection again", s.DeleteCollection(ctx, c.ID, c.Token), store.ErrUnauthorized)
	// The ports are the members' still.
	post(ctx, t, s, a.p1, text("still mine"))
}

// testCollectionMembership: who may add, what proves ownership, removal.
func testCollectionMembership(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	c := newCollection(ctx, t, s)
	p := newPair(ctx, t, s)

	_, err := s.AddMember(ctx, c.ID, "wrong", p.p1)
	wantErr(t, "AddMember with a wrong collection token", err, store.ErrUnauthorized)
	var me *store.MemberError
	if errors.As(err, &me) {
		t.Errorf("a wrong collection token is blamed on the member: %v", err)
	}
	_, err = s.AddMember(ctx, c.ID, c.Token, store.Credentials{PortID: p.p1.PortID, Token: "wrong"})
	wantMemberErr(t, "AddMember with a wrong port token", err, p.p1.PortID, store.ErrUnauthorized)
	listen := mint(t, s, p.p1, store.ScopeListen, "")
	_, err = s.AddMember(ctx, c.ID, c.Token, listen)
	wantMemberErr(t, "AddMember with a listen token", err, p.p1.PortID, store.ErrInsufficientScope)

	addMember(ctx, t, s, c, p.p1)
	added, err := s.AddMember(ctx, c.ID, c.Token, p.p1)
	if err != nil || added {
		t.Errorf("AddMember again: added %v, %v; want false, nil", added, err)
	}

	moved, err := s.Transfer(ctx, p.p2)
	if err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	_, err = s.AddMember(ctx, c.ID, c.Token, p.p2)
	wantMemberErr(t, "AddMember with a transferred token", err, p.p2.PortID, store.ErrTransferred)
	addMember(ctx, t, s, c, creds(moved))

	wantErr(t, "RemoveMember with a wrong token", s.RemoveMember(ctx, c.ID, "wrong", p.p1.PortID), store.ErrUnauthorized)
	if err := s.RemoveMember(ctx, c.ID, c.Token, p.p1.PortID); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	wantErr(t, "RemoveMember again", s.RemoveMember(ctx, c.ID, c.Token, p.p1.PortID), store.ErrMemberNotFound)
	res := broadcast(ctx, t, s, c, text("to one"))
	if len(res.Delivered) != 1 || res.Delivered[0].Port != p.p2.PortID || len(res.Refused) != 0 {
		t.Errorf("Broadcast after removing: %+v", res)
	}

	closed := newPair(ctx, t, s)
	if err := s.ClosePort(ctx, closed.p2); err != nil {
		t.Fatalf("ClosePort: %v", err)
	}
	_, err = s.AddMember(ctx, c.ID, c.Token, closed.p1)
	wantMemberErr(t, "AddMember of a closed port", err, closed.p1.PortID, store.ErrClosed)
}

// testCollectionRefusals: members that can no longer be posted through are
// each reported with the reason, and the others are reached all the same.
func testCollectionRefusals(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxQueue: 2})
	c := newCollection(ctx, t, s)
	ok, closed, transferred, full, revoked := newPair(ctx, t, s), newPair(ctx, t, s), newPair(ctx, t, s), newPair(ctx, t, s), newPair(ctx, t, s)
	scoped := mint(t, s, revoked.p1, store.ScopePost, "")
	for _, m := range []store.Credentials{ok.p1, closed.p1, transferred.p1, full.p1, scoped} {
		addMember(ctx, t, s, c, m)
	}
	if err := s.ClosePort(ctx, closed.p2); err != nil {
		t.Fatalf("ClosePort: %v", err)
	}
	if _, err := s.Transfer(ctx, transferred.p1); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	postN(ctx, t, s, full.p1, 2)
	tokens, err := s.ListTokens(ctx, revoked.p1)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("ListTokens: %v, %v", tokens, err)
	}
	if err := s.RevokeToken(ctx, revoked.p1, tokens[0].ID); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}

	res := broadcast(ctx, t, s, c, text("news"))
	if len(res.Delivered) != 1 || res.Delivered[0].Port != ok.p1.PortID {
		t.Errorf("delivered %+v, want only %s", res.Delivered, ok.p1.PortID)
	}
	want := []store.Refused{
		{Port: closed.p1.PortID, Reason: store.BroadcastClosed},
		{Port: transferred.p1.PortID, Reason: store.BroadcastTransferred},
		{Port: full.p1.PortID, Reason: store.BroadcastQueueFull},
		{Port: revoked.p1.PortID, Reason: store.BroadcastUnauthorized},
	}
	slices.SortFunc(want, func(a, b store.Refused) int { return cmp.Compare(a.Port, b.Port) })
	if !slices.Equal(res.Refused, want) {
		t.Errorf("refused %+v, want %+v", res.Refused, want)
	}
	// Nothing was stored for a refused member.
	if n := len(readAll(ctx, t, s, full.p2, store.EventID{})); n != 2 {
		t.Errorf("full peer holds %d messages, want 2", n)
	}
	if n := len(readAll(ctx, t, s, closed.p2, store.EventID{})); n != 0 {
		t.Errorf("closed peer holds %d messages, want 0", n)
	}
}

// testCollectionBound: a collection holds at most MaxCollectionMembers.
func testCollectionBound(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxCollectionMembers: 2})
	c := newCollection(ctx, t, s)
	a, b, extra := newPair(ctx, t, s), newPair(ctx, t, s), newPair(ctx, t, s)
	addMember(ctx, t, s, c, a.p1)
	addMember(ctx, t, s, c, b.p1)
	_, err := s.AddMember(ctx, c.ID, c.Token, extra.p1)
	wantErr(t, "AddMember beyond the bound", err, store.ErrTooManyMembers)
	// Re-adding a member is no new member.
	if _, err := s.AddMember(ctx, c.ID, c.Token, a.p1); err != nil {
		t.Errorf("AddMember again at the bound: %v", err)
	}
	if err := s.RemoveMember(ctx, c.ID, c.Token, b.p1.PortID); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	addMember(ctx, t, s, c, extra.p1)
}

// testCollectionRings: a broadcast wakes each peer's readers, as a post
// does.
func testCollectionRings(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	c := newCollection(ctx, t, s)
	a, b := newPair(ctx, t, s), newPair(ctx, t, s)
	addMember(ctx, t, s, c, a.p1)
	addMember(ctx, t, s, c, b.p1)
	subA, subB := subscribe(t, s, a.p2.PortID), subscribe(t, s, b.p2.PortID)
	broadcast(ctx, t, s, c, text("ring"))
	wantRing(t, subA, "broadcast at a's peer")
	wantRing(t, subB, "broadcast at b's peer")
}

// testCollectionMany: a broadcast to 1,200 members (several pipelines'
// worth) reaches each peer exactly once.
func testCollectionMany(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	c := newCollection(ctx, t, s)
	const n = 1200
	pairs := make([]pair, n)
	inParallel(t, n, func(i int) error {
		ch, err := s.CreateChannel(ctx, "")
		if err != nil {
			return fmt.Errorf("CreateChannel: %w", err)
		}
		pairs[i] = pair{ch: ch, p1: creds(ch.Port1), p2: creds(ch.Port2)}
		if added, err := s.AddMember(ctx, c.ID, c.Token, pairs[i].p1); err != nil || !added {
			return fmt.Errorf("AddMember %s: added %v, %v", pairs[i].p1.PortID, added, err)
		}
		return nil
	})
	for round := range 2 {
		res := broadcast(ctx, t, s, c, text(fmt.Sprint("round ", round)))
		if len(res.Delivered) != n || len(res.Refused) != 0 {
			t.Fatalf("round %d: %d delivered, %d refused, want %d and 0", round, len(res.Delivered), len(res.Refused), n)
		}
	}
	inParallel(t, n, func(i int) error {
		p := pairs[i]
		b, err := s.Read(ctx, p.p2, store.EventID{}, store.ReadLimit{Messages: 10})
		if err != nil {
			return fmt.Errorf("Read %s: %w", p.p2.PortID, err)
		}
		if got := datas(b.Messages); !slices.Equal(got, []string{`"round 0"`, `"round 1"`}) {
			return fmt.Errorf("at %s: %v", p.p2.PortID, got)
		}
		return nil
	})
}

// inParallel calls f(0) ... f(n-1) from a few goroutines at once, as a
// server's requests share a store, and fails t with the first error once
// every call has returned. (f runs off the test's goroutine, so it
// returns its error rather than calling t.Fatal.)
func inParallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var g errgroup.Group
	g.SetLimit(8)
	for i := range n {
		g.Go(func() error { return f(i) })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// testCollectionConcurrentMoves: broadcasts while members are transferred
// and closed: each member is, in each broadcast, either delivered, with
// the message at its peer under the id named, or refused as transferred
// or closed. Nothing is lost and nothing is stored unreported.
func testCollectionConcurrentMoves(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	c := newCollection(ctx, t, s)
	const n, rounds = 60, 6
	pairs := make([]pair, n)
	for i := range pairs {
		pairs[i] = newPair(ctx, t, s)
		addMember(ctx, t, s, c, pairs[i].p1)
	}
	delivered := map[string][]store.EventID{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() {
		for r := range rounds {
			res, err := s.Broadcast(ctx, c.ID, c.Token, store.Outgoing{Data: text(fmt.Sprint(r))})
			if err != nil {
				t.Errorf("Broadcast: %v", err)
				return
			}
			if len(res.Delivered)+len(res.Refused) != n {
				t.Errorf("round %d accounts for %d+%d members, want %d", r, len(res.Delivered), len(res.Refused), n)
			}
			for _, f := range res.Refused {
				if f.Reason != store.BroadcastTransferred && f.Reason != store.BroadcastClosed {
					t.Errorf("round %d: %s refused as %s", r, f.Port, f.Reason)
				}
			}
			mu.Lock()
			for _, d := range res.Delivered {
				delivered[d.Port] = append(delivered[d.Port], d.ID)
			}
			mu.Unlock()
		}
	})
	for i, p := range pairs {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = s.Transfer(ctx, p.p1)
			} else {
				err = s.ClosePort(ctx, p.p2)
			}
			if err != nil {
				t.Errorf("move %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for _, p := range pairs {
		got := ids(readAll(ctx, t, s, p.p2, store.EventID{}))
		if !slices.Equal(got, delivered[p.p1.PortID]) {
			t.Errorf("at %s: stored %v, reported %v", p.p2.PortID, got, delivered[p.p1.PortID])
		}
	}
	// Afterwards every member is refused.
	res := broadcast(ctx, t, s, c, text("after"))
	if len(res.Delivered) != 0 || len(res.Refused) != n {
		t.Errorf("after the moves: %d delivered, %d refused", len(res.Delivered), len(res.Refused))
	}
}

// testCollectionExpiry: an idle collection is forgotten after the channel
// TTL; one that broadcasts stays.
func testCollectionExpiry(t *testing.T, h harness) {
	ctx := testContext(t)
	s, tl := h.timedStore(t, store.Limits{ChannelTTL: expiryTTL})
	idle, busy := newCollection(ctx, t, s), newCollection(ctx, t, s)
	for elapsed := time.Duration(0); elapsed < keepBusy; elapsed += busyEvery {
		tl.pass(busyEvery)
		broadcast(ctx, t, s, busy, text("tick"))
	}
	if _, err := s.DescribeCollection(ctx, busy.ID, busy.Token); err != nil {
		t.Errorf("a collection kept busy: %v", err)
	}
	tl.expires(t, expiryDeadline, "an idle collection", func() (bool, error) {
		_, err := s.DescribeCollection(ctx, idle.ID, idle.Token)
		if errors.Is(err, store.ErrUnauthorized) {
			return true, nil
		}
		return false, err
	})
}
