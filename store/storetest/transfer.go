package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

var transferTests = []test{
	{"NewTokenWorks", testTransferNewToken},
	{"OldTokenDies", testTransferOldTokenDies},
	{"QueueStays", testTransferQueueStays},
	{"Twice", testTransferTwice},
	{"Concurrent", testTransferConcurrent},
	{"Refused", testTransferRefused},
	{"FormerTokensBounded", testTransferFormerBounded},
}

func transfer(t *testing.T, s store.Store, c store.Credentials) store.Credentials {
	t.Helper()
	pc, err := s.Transfer(testContext(t), c)
	if err != nil {
		t.Fatalf("Transfer %s: %v", c.PortID, err)
	}
	if pc.ID != c.PortID {
		t.Fatalf("Transfer of %s returned port %s", c.PortID, pc.ID)
	}
	if pc.Token == "" || pc.Token == c.Token {
		t.Fatalf("Transfer of %s returned token %q, the old one was %q", c.PortID, pc.Token, c.Token)
	}
	return creds(pc)
}

// testTransferNewToken: the new token does everything the old one did.
func testTransferNewToken(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	p2 := transfer(t, s, p.p2)
	if info := describe(ctx, t, s, p2); info.ID != p.p2.PortID || info.Peer != p.p1.PortID || info.State != store.StateOpen {
		t.Errorf("after transfer: %+v", info)
	}
	id := post(ctx, t, s, p.p1, text("to the new holder"))
	if got := ids(readAll(ctx, t, s, p2, store.EventID{})); !slices.Equal(got, []store.EventID{id}) {
		t.Errorf("new holder reads %v", got)
	}
	ack(ctx, t, s, p2, id)
	post(ctx, t, s, p2, text("from the new holder"))
	if got := datas(readAll(ctx, t, s, p.p1, store.EventID{})); !slices.Equal(got, []string{`"from the new holder"`}) {
		t.Errorf("peer reads %v", got)
	}
	// The peer's token is not affected.
	describe(ctx, t, s, p.p1)
	if err := s.ClosePort(ctx, p2); err != nil {
		t.Errorf("close with the new token: %v", err)
	}
}

// testTransferOldTokenDies: the old token is ErrTransferred on every
// operation, and none of them changes anything.
func testTransferOldTokenDies(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := postN(ctx, t, s, p.p1, 2)
	post(ctx, t, s, p.p2, text("to port1"))
	p2 := transfer(t, s, p.p2)
	before := []store.PortInfo{describe(ctx, t, s, p.p1), describe(ctx, t, s, p2)}
	old := p.p2

	_, err := s.Describe(ctx, old)
	wantErr(t, "Describe", err, store.ErrTransferred)
	_, err = s.Post(ctx, old, store.Outgoing{Data: text("x")})
	wantErr(t, "Post", err, store.ErrTransferred)
	_, err = s.Read(ctx, old, store.EventID{}, store.ReadLimit{Messages: 10})
	wantErr(t, "Read", err, store.ErrTransferred)
	err = s.Ack(ctx, old, posted[0])
	wantErr(t, "Ack", err, store.ErrTransferred)
	err = s.ClosePort(ctx, old)
	wantErr(t, "ClosePort", err, store.ErrTransferred)
	_, err = s.Transfer(ctx, old)
	wantErr(t, "Transfer", err, store.ErrTransferred)

	for i, c := range []store.Credentials{p.p1, p2} {
		if d := samePort(before[i], describe(ctx, t, s, c)); d != "" {
			t.Errorf("the old token changed port%d: %s", i+1, d)
		}
	}
	// A token the port never had is still just wrong.
	_, err = s.Describe(ctx, store.Credentials{PortID: p.p2.PortID, Token: flip(old.Token)})
	wantErr(t, "a token the port never had", err, store.ErrUnauthorized)
	if errors.Is(err, store.ErrTransferred) {
		t.Errorf("a token the port never had is ErrTransferred")
	}
	// The old token does not open the peer either.
	_, err = s.Describe(ctx, store.Credentials{PortID: p.p1.PortID, Token: old.Token})
	wantErr(t, "the old token at the peer", err, store.ErrUnauthorized)
}

// testTransferQueueStays: queued messages, LastID and Acked go with the
// port to its new holder.
func testTransferQueueStays(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := postN(ctx, t, s, p.p1, 5)
	ack(ctx, t, s, p.p2, posted[1])
	before := describe(ctx, t, s, p.p2)
	p2 := transfer(t, s, p.p2)
	if d := samePort(before, describe(ctx, t, s, p2)); d != "" {
		t.Errorf("transfer changed the port: %s", d)
	}
	if got := ids(readAll(ctx, t, s, p2, store.EventID{})); !slices.Equal(got, posted[2:]) {
		t.Errorf("new holder reads %v, want %v", got, posted[2:])
	}
}

// testTransferTwice: every former token stays ErrTransferred.
func testTransferTwice(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	second := transfer(t, s, p.p1)
	third := transfer(t, s, second)
	for _, old := range []store.Credentials{p.p1, second} {
		_, err := s.Describe(ctx, old)
		wantErr(t, "former token", err, store.ErrTransferred)
	}
	describe(ctx, t, s, third)
}

// testTransferConcurrent: of 16 concurrent transfers with one token exactly
// one wins; the others find the token dead. Repeated to catch races.
func testTransferConcurrent(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	const racers, rounds = 16, 20
	for round := range rounds {
		p := newPair(ctx, t, s)
		var wg sync.WaitGroup
		results := make([]store.PortCredentials, racers)
		errs := make([]error, racers)
		start := make(chan struct{})
		for i := range racers {
			wg.Go(func() {
				<-start
				results[i], errs[i] = s.Transfer(ctx, p.p1)
			})
		}
		close(start)
		wg.Wait()
		var winner store.Credentials
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
				winner = creds(results[i])
			case !errors.Is(err, store.ErrTransferred):
				t.Errorf("round %d: a loser got %v, want ErrTransferred", round, err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d transfers succeeded, want exactly 1", round, wins)
		}
		describe(ctx, t, s, winner)
		_, err := s.Describe(ctx, p.p1)
		wantErr(t, "the raced token", err, store.ErrTransferred)
	}
}

// testTransferRefused: only the holder transfers.
func testTransferRefused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	for _, c := range []store.Credentials{
		{PortID: p.p1.PortID, Token: p.p2.Token},
		{PortID: unknownPort(t), Token: p.p1.Token},
		{PortID: "nope", Token: p.p1.Token},
	} {
		_, err := s.Transfer(ctx, c)
		wantErr(t, "transfer "+c.PortID, err, store.ErrUnauthorized)
	}
	describe(ctx, t, s, p.p1) // still the holder's
}

// testTransferFormerBounded: a port remembers at most
// store.MaxFormerTokens dead tokens, the newest: a client transferring in
// a loop cannot make the store keep more. The newest dead token is still
// ErrTransferred; those past the bound are merely wrong.
func testTransferFormerBounded(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	const beyond = 10
	tokens := []store.Credentials{p.p1}
	for range store.MaxFormerTokens + beyond {
		tokens = append(tokens, transfer(t, s, tokens[len(tokens)-1]))
	}
	describe(ctx, t, s, tokens[len(tokens)-1])
	_, err := s.Describe(ctx, tokens[len(tokens)-2])
	wantErr(t, "the newest dead token", err, store.ErrTransferred)
	// tokens[beyond] is the oldest of the MaxFormerTokens newest dead ones.
	_, err = s.Describe(ctx, tokens[beyond])
	wantErr(t, "the oldest remembered token", err, store.ErrTransferred)
	for i, old := range tokens[:beyond] {
		_, err := s.Describe(ctx, old)
		wantErr(t, fmt.Sprintf("dead token %d, past the bound", i), err, store.ErrUnauthorized)
		if errors.Is(err, store.ErrTransferred) {
			t.Errorf("dead token %d, past the bound, is still remembered", i)
		}
	}
}
