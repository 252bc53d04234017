package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

var transferOnceTests = []test{
	{"Replay", testTransferOnceReplay},
	{"OtherCredential", testTransferOnceOtherCredential},
	{"KeyReused", testTransferOnceKeyReused},
	{"ReplayAfterClose", testTransferOnceAfterClose},
	{"Refused", testTransferOnceRefused},
	{"Concurrent", testTransferOnceConcurrent},
}

// transferRequest is the fingerprint of a transfer of c's port, as the
// HTTP layer makes it: the route and the port.
func transferRequest(key string, c store.Credentials) store.Idempotency {
	return once(key, "transfer "+c.PortID)
}

// transferOnce transfers c's port under key and fails the test on an
// error.
func transferOnce(ctx context.Context, t *testing.T, s store.Store, c store.Credentials, key string) (store.Credentials, bool) {
	t.Helper()
	pc, replayed, err := s.TransferOnce(ctx, c, transferRequest(key, c))
	if err != nil {
		t.Fatalf("TransferOnce %s under %q: %v", c.PortID, key, err)
	}
	if pc.ID != c.PortID || pc.Token == "" || pc.Token == c.Token {
		t.Fatalf("TransferOnce %s answered %+v", c.PortID, pc)
	}
	return creds(pc), replayed
}

// testTransferOnceReplay: a retry with the key and the (now dead) token
// answers the same new token, changes nothing, and says it is a replay;
// the old token is dead; the port goes on being transferable.
func testTransferOnceReplay(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := post(ctx, t, s, p.p1, text("waits for the new holder"))
	moved, replayed := transferOnce(ctx, t, s, p.p2, "k")
	if replayed {
		t.Error("the first transfer under a key says it is a replay")
	}
	before := describe(ctx, t, s, moved)
	for range 2 {
		again, replayed := transferOnce(ctx, t, s, p.p2, "k")
		if again != moved || !replayed {
			t.Errorf("retry answered %+v (replayed %v), want %+v (replayed)", again, replayed, moved)
		}
	}
	// The replays moved nothing: the answered token is the live one.
	if d := samePort(before, describe(ctx, t, s, moved)); d != "" {
		t.Errorf("the replays changed the port: %s", d)
	}
	_, err := s.Describe(ctx, p.p2)
	wantErr(t, "the transferred token", err, store.ErrTransferred)
	_, err = s.Post(ctx, p.p2, store.Outgoing{Data: text("x")})
	wantErr(t, "a post with the transferred token", err, store.ErrTransferred)
	if got := ids(readAll(ctx, t, s, moved, store.EventID{})); len(got) != 1 || got[0] != posted {
		t.Errorf("the new holder reads %v, want [%s]", got, posted)
	}
	// A plain transfer afterwards works, and kills the answered token.
	third := transfer(t, s, moved)
	_, err = s.Describe(ctx, moved)
	wantErr(t, "the answered token after a later transfer", err, store.ErrTransferred)
	describe(ctx, t, s, third)
	// Another key is another transfer.
	fourth, replayed := transferOnce(ctx, t, s, third, "k2")
	if replayed {
		t.Error("a transfer under a new key is a replay")
	}
	describe(ctx, t, s, fourth)
}

// testTransferOnceOtherCredential: the record belongs to the token that
// made the call. The same key with another credential of the same port
// never answers the recorded token: the new holder's token transfers
// afresh, a scoped token killed by the transfer is ErrTransferred, a
// token of another port is ErrUnauthorized.
func testTransferOnceOtherCredential(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	scoped := mint(t, s, p.p1, store.ScopePost, "")
	moved, _ := transferOnce(ctx, t, s, p.p1, "k")

	pc, replayed, err := s.TransferOnce(ctx, scoped, transferRequest("k", scoped))
	wantErr(t, "the key with a scoped token the transfer killed", err, store.ErrTransferred)
	if pc.Token != "" || replayed {
		t.Errorf("the scoped token got %+v (replayed %v)", pc, replayed)
	}
	wrong := store.Credentials{PortID: p.p1.PortID, Token: p.p2.Token}
	pc, replayed, err = s.TransferOnce(ctx, wrong, transferRequest("k", wrong))
	wantErr(t, "the key with the peer's token", err, store.ErrUnauthorized)
	if pc.Token != "" || replayed {
		t.Errorf("the peer's token got %+v (replayed %v)", pc, replayed)
	}
	describe(ctx, t, s, moved) // nothing moved

	again, replayed := transferOnce(ctx, t, s, moved, "k")
	if replayed || again == moved {
		t.Errorf("the key with the new holder's token answered %+v (replayed %v): the first call's record", again, replayed)
	}
	describe(ctx, t, s, again)
	_, err = s.Describe(ctx, moved)
	wantErr(t, "the token the second transfer killed", err, store.ErrTransferred)
}

// testTransferOnceKeyReused: the key with another request is ErrKeyReused
// and changes nothing; the original request still replays.
func testTransferOnceKeyReused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	moved, _ := transferOnce(ctx, t, s, p.p1, "k")
	before := describe(ctx, t, s, moved)
	pc, replayed, err := s.TransferOnce(ctx, p.p1, once("k", "something else"))
	wantErr(t, "the key for another request", err, store.ErrKeyReused)
	if pc.Token != "" || replayed {
		t.Errorf("another request got %+v (replayed %v)", pc, replayed)
	}
	if d := samePort(before, describe(ctx, t, s, moved)); d != "" {
		t.Errorf("the refused request changed the port: %s", d)
	}
	if again, replayed := transferOnce(ctx, t, s, p.p1, "k"); again != moved || !replayed {
		t.Errorf("the original request answered %+v (replayed %v), want %+v", again, replayed, moved)
	}
}

// testTransferOnceAfterClose: a transfer whose answer was lost replays
// after its channel closed, so that its caller can still read what waits
// at the port; a new transfer of a closed port is refused.
func testTransferOnceAfterClose(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := post(ctx, t, s, p.p1, text("last words"))
	moved, _ := transferOnce(ctx, t, s, p.p2, "k")
	if err := s.ClosePort(ctx, p.p1); err != nil {
		t.Fatal(err)
	}
	again, replayed := transferOnce(ctx, t, s, p.p2, "k")
	if again != moved || !replayed {
		t.Fatalf("retry after close answered %+v (replayed %v), want %+v", again, replayed, moved)
	}
	if got := ids(readAll(ctx, t, s, again, store.EventID{})); len(got) != 1 || got[0] != posted {
		t.Errorf("the answered token reads %v, want [%s]", got, posted)
	}
	_, _, err := s.TransferOnce(ctx, moved, transferRequest("k2", moved))
	wantErr(t, "a new transfer of a closed port", err, store.ErrClosed)
}

// testTransferOnceRefused: a refused transfer is not remembered: the key
// may be used again once the refusal no longer holds.
func testTransferOnceRefused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	scoped := mint(t, s, p.p1, store.ScopePost, "")
	_, _, err := s.TransferOnce(ctx, scoped, transferRequest("k", scoped))
	wantErr(t, "a transfer with a post token", err, store.ErrInsufficientScope)
	moved, replayed := transferOnce(ctx, t, s, p.p1, "k")
	if replayed {
		t.Error("the holder's transfer under a key a refused call used is a replay")
	}
	describe(ctx, t, s, moved)
}

// testTransferOnceConcurrent: the same transfer sent five times at once
// under one key, as a client retrying a stalled call would, makes one
// transfer: every answer is the same token (or ErrInFlight), and it works.
func testTransferOnceConcurrent(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	for range 10 {
		p := newPair(ctx, t, s)
		const n = 5
		answers := make([]store.PortCredentials, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				answers[i], _, errs[i] = s.TransferOnce(ctx, p.p1, transferRequest("race", p.p1))
			})
		}
		close(start)
		wg.Wait()
		var won store.PortCredentials
		for i := range n {
			switch {
			case errors.Is(errs[i], store.ErrInFlight):
			case errs[i] != nil:
				t.Fatalf("request %d: %v", i, errs[i])
			case won.Token == "":
				won = answers[i]
			case answers[i] != won:
				t.Fatalf("request %d answered %+v, another %+v", i, answers[i], won)
			}
		}
		if won.Token == "" {
			t.Fatal("every request was in flight; none answered")
		}
		describe(ctx, t, s, creds(won))
	}
}
