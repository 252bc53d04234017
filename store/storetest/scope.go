package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

var scopeTests = []test{
	{"MintListRevoke", testScopeMintListRevoke},
	{"Matrix", testScopeMatrix},
	{"GiveAway", testScopeGiveAway},
	{"TransferRevokes", testScopeTransferRevokes},
	{"MoveRevokes", testScopeMoveRevokes},
	{"CloseKeeps", testScopeCloseKeeps},
	{"Bound", testScopeBound},
	{"Invalid", testScopeInvalid},
}

func mint(t *testing.T, s store.Store, port store.Credentials, scope store.Scope, label string) store.Credentials {
	t.Helper()
	m, err := s.MintToken(testContext(t), port, scope, label)
	if err != nil {
		t.Fatalf("MintToken %s %s: %v", port.PortID, scope, err)
	}
	if m.Token == "" || m.Token == port.Token || m.Scope != scope || m.Label != label || !store.ValidID(m.ID) {
		t.Fatalf("MintToken %s: %+v", scope, m)
	}
	return store.Credentials{PortID: port.PortID, Token: m.Token}
}

// testScopeMintListRevoke: minted tokens are listed oldest first without
// their secrets; a revoked one is simply wrong afterwards.
func testScopeMintListRevoke(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	before := time.Now()
	a, err := s.MintToken(ctx, p.p1, store.ScopePost, "worker clients")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.MintToken(ctx, p.p1, store.ScopeListen, "")
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListTokens(ctx, p.p1)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0] != a.ScopedToken || list[1] != b.ScopedToken {
		t.Fatalf("ListTokens = %+v, want %+v, %+v", list, a.ScopedToken, b.ScopedToken)
	}
	if !near(a.CreatedAt, before, 5*time.Second) || a.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt %v, now %v", a.CreatedAt, before)
	}
	// The other port has none of them.
	if other, err := s.ListTokens(ctx, p.p2); err != nil || len(other) != 0 {
		t.Errorf("peer's ListTokens = %v, %v", other, err)
	}
	wantErr(t, "revoke the peer's... by id at the wrong port", s.RevokeToken(ctx, p.p2, a.ID), store.ErrTokenNotFound)
	if err := s.RevokeToken(ctx, p.p1, a.ID); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	wantErr(t, "revoke twice", s.RevokeToken(ctx, p.p1, a.ID), store.ErrTokenNotFound)
	_, err = s.Post(ctx, store.Credentials{PortID: p.p1.PortID, Token: a.Token}, store.Outgoing{Data: text("x")})
	wantErr(t, "post with a revoked token", err, store.ErrUnauthorized)
	if list, _ := s.ListTokens(ctx, p.p1); len(list) != 1 || list[0] != b.ScopedToken {
		t.Errorf("after revoke: %+v", list)
	}
	// A scoped token for one port opens nothing at the other.
	_, err = s.Describe(ctx, store.Credentials{PortID: p.p2.PortID, Token: b.Token})
	wantErr(t, "scoped token at the peer", err, store.ErrUnauthorized)
}

// scopeOps are every port operation of the Store, each run with creds
// against a fresh pair; run reports the error.
var scopeOps = []struct {
	op  store.Op
	run func(t *testing.T, s store.Store, p pair, c store.Credentials) error
}{
	{store.OpDescribe, func(t *testing.T, s store.Store, p pair, c store.Credentials) error {
		_, err := s.Describe(testContext(t), c)
		return err
	}},
	{store.OpPost, func(t *testing.T, s store.Store, p pair, c store.Credentials) error {
		_, err := s.Post(testContext(t), c, store.Outgoing{Data: text("hi")})
		return err
	}},
	{store.OpPost, func(t *testing.T, s store.Store, p pair, c store.Credentials) error {
		_, _, err := s.PostOnce(testContext(t), c, store.Outgoing{Data: text("hi")}, store.Idempotency{Key: "k"})
		return err
	}},
	{store.OpRead, func(t *testing.T, s store.Store, p pair, c store.Credentials) error {
		_, err := s.Read(testContext(t), c, store.EventID{}, store.ReadLimit{Messages: 10})
		return err
	}},
	{store.OpAck, func(t *testing.T, s store.Store, p pair, c store.Credentials) error {
		return s.Ack(testContext(t), c, store.EventID{})
	}},
	{store.OpClose, func(t *testing.T, s store.Store, p pair, c store.Credentials) error {
		return s.ClosePort(testContext(t), c)
	}},
	{store.OpTransfer, func(t *testing.T, s store.Store, p pair, c store.Credentials) error {
		_, err := s.Transfer(testContext(t), c)
		return err
	}},
	{store.OpTokens, func(t *testing.T, s store.Store, p pair, c store.Credentials) error {
		_, err := s.MintToken(testContext(t), c, store.ScopeListen, "")
		return err
	}},
	{store.OpTokens, func(t *testing.T, s store.Store, p pair, c store.Credentials) error {
		_, err := s.ListTokens(testContext(t), c)
		return err
	}},
	{store.OpTokens, func(t *testing.T, s store.Store, p pair, c store.Credentials) error {
		err := s.RevokeToken(testContext(t), c, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
		if errors.Is(err, store.ErrTokenNotFound) {
			return nil // allowed, and nothing to revoke
		}
		return err
	}},
}

// testScopeMatrix: every scope on every operation does what Scope.Allows
// says, and a refusal changes nothing (the port stays open and its own).
func testScopeMatrix(t *testing.T, h harness) {
	s := h.store(t)
	for _, scope := range []store.Scope{store.ScopePost, store.ScopeListen} {
		for i, o := range scopeOps {
			t.Run(fmt.Sprintf("%s/%d-%s", scope, i, o.op), func(t *testing.T) {
				ctx := testContext(t)
				p := newPair(ctx, t, s)
				c := mint(t, s, p.p1, scope, "")
				err := o.run(t, s, p, c)
				if scope.Allows(o.op) {
					if err != nil {
						t.Errorf("%s token, %s: %v, want allowed", scope, o.op, err)
					}
					return
				}
				wantErr(t, fmt.Sprintf("%s token, %s", scope, o.op), err, store.ErrInsufficientScope)
				if info := describe(ctx, t, s, p.p1); info.State != store.StateOpen || info.Queued != 0 {
					t.Errorf("after a refused %s: %+v", o.op, info)
				}
				if info := describe(ctx, t, s, p.p2); info.Queued != 0 {
					t.Errorf("after a refused %s the peer holds %d", o.op, info.Queued)
				}
			})
		}
	}
	// The table itself: full allows everything, the narrow scopes what
	// the issue says.
	for _, o := range scopeOps {
		if !store.ScopeFull.Allows(o.op) {
			t.Errorf("full refuses %s", o.op)
		}
	}
	for op, want := range map[store.Op][2]bool{
		store.OpDescribe: {true, true}, store.OpPost: {true, false}, store.OpRead: {false, true},
		store.OpAck: {false, true}, store.OpClose: {false, false}, store.OpTransfer: {false, false},
		store.OpGiveAway: {false, false}, store.OpTokens: {false, false},
	} {
		if store.ScopePost.Allows(op) != want[0] || store.ScopeListen.Allows(op) != want[1] {
			t.Errorf("%s: post %v listen %v, want %v", op, store.ScopePost.Allows(op), store.ScopeListen.Allows(op), want)
		}
	}
}

// testScopeGiveAway: a post-scoped sender may carry ports it holds in full;
// a port listed with a scoped token is refused, and nothing changes.
func testScopeGiveAway(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	q := newPair(ctx, t, s)
	sender := mint(t, s, p.p1, store.ScopePost, "")
	id := postList(ctx, t, s, sender, q.p1)
	if got := received(ctx, t, s, p.p2, id); len(got) != 1 || got[0].ID != q.p1.PortID {
		t.Fatalf("received %v", got)
	}
	r := newPair(ctx, t, s)
	for _, scope := range []store.Scope{store.ScopePost, store.ScopeListen} {
		c := mint(t, s, r.p1, scope, "")
		_, err := s.Post(ctx, p.p1, store.Outgoing{Data: text("x"), Transfer: []store.Credentials{c}})
		var te *store.TransferError
		if !errors.As(err, &te) || te.Reason != store.RefusedScope || te.Index != 0 || te.PortID != r.p1.PortID {
			t.Errorf("listing a port with a %s token: %v, want refusal %s", scope, err, store.RefusedScope)
		}
	}
	if info := describe(ctx, t, s, p.p2); info.Queued != 1 {
		t.Errorf("the receiver holds %d messages, want 1", info.Queued)
	}
	describe(ctx, t, s, r.p1) // still the holder's
}

// wantTransferred checks every token in cs died with the port's transfer.
func wantTransferred(t *testing.T, s store.Store, cs ...store.Credentials) {
	t.Helper()
	for _, c := range cs {
		_, err := s.Describe(testContext(t), c)
		wantErr(t, "a scoped token after the port moved", err, store.ErrTransferred)
	}
}

// testScopeTransferRevokes: Transfer kills every scoped token of the port,
// and only of that port.
func testScopeTransferRevokes(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	a := mint(t, s, p.p1, store.ScopePost, "a")
	b := mint(t, s, p.p1, store.ScopeListen, "b")
	peer := mint(t, s, p.p2, store.ScopeListen, "")
	p1 := transfer(t, s, p.p1)
	wantTransferred(t, s, a, b)
	_, err := s.Post(ctx, a, store.Outgoing{Data: text("x")})
	wantErr(t, "post with a transferred post token", err, store.ErrTransferred)
	if list, err := s.ListTokens(ctx, p1); err != nil || len(list) != 0 {
		t.Errorf("new holder's ListTokens = %v, %v", list, err)
	}
	describe(ctx, t, s, peer)
	mint(t, s, p1, store.ScopePost, "the new holder's")
}

// testScopeMoveRevokes: moving a port in a message kills its scoped tokens.
func testScopeMoveRevokes(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	q := newPair(ctx, t, s)
	a := mint(t, s, q.p1, store.ScopePost, "")
	b := mint(t, s, q.p1, store.ScopeListen, "")
	id := postList(ctx, t, s, p.p1, q.p1)
	wantTransferred(t, s, a, b)
	got := received(ctx, t, s, p.p2, id)
	if list, err := s.ListTokens(ctx, creds(got[0])); err != nil || len(list) != 0 {
		t.Errorf("receiver's ListTokens = %v, %v", list, err)
	}
}

// testScopeCloseKeeps: closing leaves scoped tokens, so that a listener
// drains what is queued.
func testScopeCloseKeeps(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	l := mint(t, s, p.p2, store.ScopeListen, "")
	w := mint(t, s, p.p1, store.ScopePost, "")
	id := post(ctx, t, s, w, text("last words"))
	if err := s.ClosePort(ctx, p.p1); err != nil {
		t.Fatal(err)
	}
	if got := ids(readAll(ctx, t, s, l, store.EventID{})); len(got) != 1 || got[0] != id {
		t.Errorf("listener reads %v", got)
	}
	ack(ctx, t, s, l, id)
	_, err := s.Post(ctx, w, store.Outgoing{Data: text("x")})
	wantErr(t, "post through a closed channel", err, store.ErrClosed)
}

// testScopeBound: a port has at most store.MaxScopedTokens; revoking one
// makes room.
func testScopeBound(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	var first store.MintedToken
	for i := range store.MaxScopedTokens {
		m, err := s.MintToken(ctx, p.p1, store.ScopePost, "")
		if err != nil {
			t.Fatalf("mint %d: %v", i, err)
		}
		if i == 0 {
			first = m
		}
	}
	_, err := s.MintToken(ctx, p.p1, store.ScopePost, "")
	wantErr(t, "one too many", err, store.ErrTooManyTokens)
	if err := s.RevokeToken(ctx, p.p1, first.ID); err != nil {
		t.Fatal(err)
	}
	mint(t, s, p.p1, store.ScopeListen, "")
	// The peer has its own allowance.
	mint(t, s, p.p2, store.ScopeListen, "")
}

// testScopeInvalid: only the narrow scopes may be minted, with a short
// printable label.
func testScopeInvalid(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	for _, c := range []struct {
		scope store.Scope
		label string
	}{
		{store.ScopeFull, ""}, {"", ""}, {"admin", ""}, {"POST", ""},
		{store.ScopePost, string(make([]byte, store.MaxTokenLabel+1))},
		{store.ScopePost, "a\nb"}, {store.ScopePost, "\xff"},
	} {
		_, err := s.MintToken(ctx, p.p1, c.scope, c.label)
		wantErr(t, fmt.Sprintf("mint %q %q", c.scope, c.label), err, store.ErrInvalid)
	}
	if list, _ := s.ListTokens(ctx, p.p1); len(list) != 0 {
		t.Errorf("after refusals: %v", list)
	}
}
