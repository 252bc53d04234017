package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

var idempotencyTests = []test{
	{"ReplayStoresNothing", testIdemReplay},
	{"OtherRequestIsRefused", testIdemReused},
	{"ManyKeysRetried", testIdemManyKeys},
	{"ConcurrentSameKey", testIdemConcurrent},
	{"ConcurrentSameKeyWithTransfer", testIdemConcurrentTransfer},
	{"WindowExpires", testIdemWindow},
	{"KeysAreScopedToPorts", testIdemScoped},
	{"KeysAreScopedToCredentials", testIdemCredential},
	{"RefusalsAreNotRemembered", testIdemRefusal},
	{"ReplayAfterClose", testIdemAfterClose},
	{"ReplayNeedsToken", testIdemAuth},
	{"TransferListReplay", testIdemTransfer},
	{"ChannelReplay", testIdemChannel},
}

// once names a request by key and a fingerprint of what it asks.
func once(key, request string) store.Idempotency {
	return store.Idempotency{Key: key, Fingerprint: sha256.Sum256([]byte(request))}
}

// postOnce posts data under key (the data is the request) and fails the
// test on an error.
func postOnce(ctx context.Context, t *testing.T, s store.Store, from store.Credentials, key, data string) (store.EventID, bool) {
	t.Helper()
	id, replayed, err := s.PostOnce(ctx, from, store.Outgoing{Data: text(data)}, once(key, data))
	if err != nil {
		t.Fatalf("PostOnce %q from %s: %v", key, from.PortID, err)
	}
	if id.IsZero() {
		t.Fatalf("PostOnce %q returned the zero EventID", key)
	}
	return id, replayed
}

// wantQueued fails unless port holds n messages.
func wantQueued(ctx context.Context, t *testing.T, s store.Store, port store.Credentials, n int) {
	t.Helper()
	if got := describe(ctx, t, s, port).Queued; got != n {
		t.Fatalf("port %s holds %d messages, want %d", port.PortID, got, n)
	}
}

// testIdemReplay: a retry with the same key and request answers the first
// id, says it is a replay, and stores nothing.
func testIdemReplay(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	first, replayed := postOnce(ctx, t, s, p.p1, "k1", "hello")
	if replayed {
		t.Error("the first post under a key says it is a replay")
	}
	for range 3 {
		id, replayed := postOnce(ctx, t, s, p.p1, "k1", "hello")
		if id != first || !replayed {
			t.Errorf("retry answered %s (replayed %v), want %s (replayed)", id, replayed, first)
		}
	}
	wantQueued(ctx, t, s, p.p2, 1)
	// Another key is another message.
	if id, replayed := postOnce(ctx, t, s, p.p1, "k2", "hello"); id == first || replayed {
		t.Errorf("a second key answered %s (replayed %v)", id, replayed)
	}
	wantQueued(ctx, t, s, p.p2, 2)
	msgs := readAll(ctx, t, s, p.p2, store.EventID{})
	if msgs[0].ID != first || string(msgs[0].Data) != `"hello"` {
		t.Errorf("stored %+v", msgs[0])
	}
}

// testIdemReused: the same key with another request is ErrKeyReused and
// stores nothing; the original still replays.
func testIdemReused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	first, _ := postOnce(ctx, t, s, p.p1, "k", "one")
	_, _, err := s.PostOnce(ctx, p.p1, store.Outgoing{Data: text("two")}, once("k", "two"))
	wantErr(t, "the same key for another body", err, store.ErrKeyReused)
	wantQueued(ctx, t, s, p.p2, 1)
	if id, replayed := postOnce(ctx, t, s, p.p1, "k", "one"); id != first || !replayed {
		t.Errorf("the original request answered %s (replayed %v), want %s", id, replayed, first)
	}
}

// testIdemManyKeys: 1,000 keys, each sent three times, store exactly one
// message each.
func testIdemManyKeys(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	const keys, retries, workers = 1000, 3, 8
	firsts := make([]store.EventID, keys)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for k := w; k < keys; k += workers {
				key := fmt.Sprintf("key-%d", k)
				for r := range retries {
					id, replayed, err := s.PostOnce(ctx, p.p1, store.Outgoing{Data: text(key)}, once(key, key))
					switch {
					case err != nil:
						errs <- fmt.Errorf("%s try %d: %w", key, r, err)
						return
					case r == 0:
						firsts[k] = id
					case id != firsts[k] || !replayed:
						errs <- fmt.Errorf("%s try %d answered %s (replayed %v), first %s", key, r, id, replayed, firsts[k])
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	msgs := readAll(ctx, t, s, p.p2, store.EventID{})
	if len(msgs) != keys {
		t.Fatalf("%d messages stored for %d keys", len(msgs), keys)
	}
	seen := make(map[string]bool, keys)
	for _, m := range msgs {
		if seen[string(m.Data)] {
			t.Fatalf("message %s stored twice", m.Data)
		}
		seen[string(m.Data)] = true
	}
}

// sameKeyRace sends post five times at once under one key and checks that
// each answer is the one stored id or ErrInFlight, and that one was stored.
func sameKeyRace(t *testing.T, post func() (store.EventID, bool, error)) {
	t.Helper()
	const n = 5
	ids := make([]store.EventID, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			ids[i], _, errs[i] = post()
		})
	}
	close(start)
	wg.Wait()
	var stored store.EventID
	for i := range n {
		switch {
		case errors.Is(errs[i], store.ErrInFlight):
		case errs[i] != nil:
			t.Fatalf("request %d: %v", i, errs[i])
		case stored.IsZero():
			stored = ids[i]
		case ids[i] != stored:
			t.Fatalf("request %d answered %s, another %s", i, ids[i], stored)
		}
	}
	if stored.IsZero() {
		t.Fatal("every request was in flight; none answered")
	}
}

// testIdemConcurrent: five requests at once under one key store one message.
func testIdemConcurrent(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	for range 20 {
		p := newPair(ctx, t, s)
		sameKeyRace(t, func() (store.EventID, bool, error) {
			return s.PostOnce(ctx, p.p1, store.Outgoing{Data: text("x")}, once("race", "x"))
		})
		wantQueued(ctx, t, s, p.p2, 1)
	}
}

// testIdemConcurrentTransfer: the same with a transfer list, which some
// engines carry out in several steps: one message, one move.
func testIdemConcurrentTransfer(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	for range 10 {
		p, q := newPair(ctx, t, s), newPair(ctx, t, s)
		msg := store.Outgoing{Data: text("port"), Transfer: []store.Credentials{q.p1}}
		sameKeyRace(t, func() (store.EventID, bool, error) {
			return s.PostOnce(ctx, p.p1, msg, once("race", "port+"+q.p1.PortID))
		})
		msgs := readAll(ctx, t, s, p.p2, store.EventID{})
		if len(msgs) != 1 || len(msgs[0].Ports) != 1 {
			t.Fatalf("stored %+v, want one message carrying one port", msgs)
		}
		if _, err := s.Describe(ctx, creds(msgs[0].Ports[0])); err != nil {
			t.Fatalf("the moved port's fresh token: %v", err)
		}
		_, err := s.Describe(ctx, q.p1)
		wantErr(t, "the moved port's old token", err, store.ErrTransferred)
	}
}

// testIdemWindow: past the window a key is forgotten: the same request
// stores again.
func testIdemWindow(t *testing.T, h harness) {
	ctx := testContext(t)
	const window = 500 * time.Millisecond
	s, tl := h.timedStore(t, store.Limits{IdempotencyWindow: window})
	p := newPair(ctx, t, s)
	first, _ := postOnce(ctx, t, s, p.p1, "k", "x")
	if id, replayed := postOnce(ctx, t, s, p.p1, "k", "x"); id != first || !replayed {
		t.Fatalf("retry within the window answered %s (replayed %v)", id, replayed)
	}
	ch, _, err := s.CreateChannelOnce(ctx, "", once("c", "create"))
	if err != nil {
		t.Fatal(err)
	}
	// One wait for both keys.
	tl.pass(window + 300*time.Millisecond)
	if id, replayed := postOnce(ctx, t, s, p.p1, "k", "x"); id == first || replayed {
		t.Errorf("retry after the window answered %s (replayed %v), first %s", id, replayed, first)
	}
	wantQueued(ctx, t, s, p.p2, 2)
	again, replayed, err := s.CreateChannelOnce(ctx, "", once("c", "create"))
	if err != nil || replayed || again.ID == ch.ID {
		t.Errorf("channel key after the window: %s (replayed %v, err %v), first %s", again.ID, replayed, err, ch.ID)
	}
}

// testIdemScoped: a post's key belongs to its sending port: the same key
// through another port (of the same channel or not) is another request.
func testIdemScoped(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p, q := newPair(ctx, t, s), newPair(ctx, t, s)
	postOnce(ctx, t, s, p.p1, "shared", "from p1")
	if _, replayed := postOnce(ctx, t, s, p.p2, "shared", "from p2"); replayed {
		t.Error("the peer's post under the same key is a replay")
	}
	if _, replayed := postOnce(ctx, t, s, q.p1, "shared", "from p1"); replayed {
		t.Error("another channel's post under the same key and body is a replay")
	}
	wantQueued(ctx, t, s, p.p2, 1)
	wantQueued(ctx, t, s, p.p1, 1)
	wantQueued(ctx, t, s, q.p2, 1)
	// Channel keys and post keys are apart too.
	if _, replayed, err := s.CreateChannelOnce(ctx, "", once("shared", "from p1")); err != nil || replayed {
		t.Errorf("a channel under a post's key: replayed %v, err %v", replayed, err)
	}
}

// testIdemCredential: a post's key belongs to the credential presented,
// not only to the port: the same key through the same port with another
// token is another request, neither a replay nor ErrKeyReused, and the
// first credential's record still replays.
func testIdemCredential(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	scoped := mint(t, s, p.p1, store.ScopePost, "")
	first, _ := postOnce(ctx, t, s, p.p1, "shared", "x")
	if id, replayed := postOnce(ctx, t, s, scoped, "shared", "x"); replayed || id == first {
		t.Errorf("the same key and body with another token answered %s (replayed %v), first %s", id, replayed, first)
	}
	if id, replayed := postOnce(ctx, t, s, p.p1, "shared", "x"); id != first || !replayed {
		t.Errorf("the first token's retry answered %s (replayed %v), want %s", id, replayed, first)
	}
	// A token the port gets later does not inherit the records either.
	moved := transfer(t, s, p.p1)
	if id, replayed := postOnce(ctx, t, s, moved, "shared", "x"); replayed || id == first {
		t.Errorf("the key with the new holder's token answered %s (replayed %v), first %s", id, replayed, first)
	}
	wantQueued(ctx, t, s, p.p2, 3)
	// The scoped token died with the transfer; its holder learns that,
	// not what the key was used for.
	_, _, err := s.PostOnce(ctx, scoped, store.Outgoing{Data: text("x")}, once("shared", "x"))
	wantErr(t, "the scoped token after the transfer", err, store.ErrTransferred)
}

// testIdemRefusal: a refused post is not remembered, so a retry under the
// same key, once the refusal no longer holds, or corrected, goes through.
func testIdemRefusal(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxQueue: 1})
	p := newPair(ctx, t, s)
	full := post(ctx, t, s, p.p1, text("fills the queue"))
	_, _, err := s.PostOnce(ctx, p.p1, store.Outgoing{Data: text("x")}, once("k", "x"))
	wantErr(t, "a post to a full queue", err, store.ErrQueueFull)
	ack(ctx, t, s, p.p2, full)
	if _, replayed := postOnce(ctx, t, s, p.p1, "k", "x"); replayed {
		t.Error("the retry after a refusal is a replay")
	}
	// A transfer list refused, then corrected, under one key.
	q, r := newPair(ctx, t, s), newPair(ctx, t, s)
	bad := store.Outgoing{Data: text("y"), Transfer: []store.Credentials{{PortID: r.p1.PortID, Token: "wrong"}}}
	_, _, err = s.PostOnce(ctx, q.p1, bad, once("t", "bad"))
	var refused *store.TransferError
	if !errors.As(err, &refused) || refused.Reason != store.RefusedUnauthorized {
		t.Fatalf("a refused transfer list: %v", err)
	}
	good := store.Outgoing{Data: text("y"), Transfer: []store.Credentials{r.p1}}
	if _, replayed, err := s.PostOnce(ctx, q.p1, good, once("t", "good")); err != nil || replayed {
		t.Errorf("the corrected request under the same key: replayed %v, err %v", replayed, err)
	}
	// A refused transfer list, then a post without one, under one key.
	u := newPair(ctx, t, s)
	bad.Transfer = []store.Credentials{{PortID: r.p2.PortID, Token: "wrong"}}
	if _, _, err = s.PostOnce(ctx, u.p1, bad, once("u", "bad")); !errors.As(err, &refused) {
		t.Fatalf("a refused transfer list: %v", err)
	}
	if _, replayed := postOnce(ctx, t, s, u.p1, "u", "plain"); replayed {
		t.Error("the plain post after a refused list is a replay")
	}
	// A plain post refused (closed) after such a claim gives the key up.
	v := newPair(ctx, t, s)
	if _, _, err = s.PostOnce(ctx, v.p1, bad, once("v", "bad")); !errors.As(err, &refused) {
		t.Fatalf("a refused transfer list: %v", err)
	}
	full = post(ctx, t, s, v.p1, text("fills the queue"))
	_, _, err = s.PostOnce(ctx, v.p1, store.Outgoing{Data: text("plain")}, once("v", "plain"))
	wantErr(t, "a plain post to a full queue", err, store.ErrQueueFull)
	ack(ctx, t, s, v.p2, full)
	if _, replayed := postOnce(ctx, t, s, v.p1, "v", "plain"); replayed {
		t.Error("the retry is a replay")
	}
}

// testIdemAfterClose: a stored post replays even after its channel closed.
func testIdemAfterClose(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	first, _ := postOnce(ctx, t, s, p.p1, "k", "x")
	if err := s.ClosePort(ctx, p.p2); err != nil {
		t.Fatal(err)
	}
	if id, replayed := postOnce(ctx, t, s, p.p1, "k", "x"); id != first || !replayed {
		t.Errorf("retry after close answered %s (replayed %v), want %s", id, replayed, first)
	}
	_, _, err := s.PostOnce(ctx, p.p1, store.Outgoing{Data: text("y")}, once("new", "y"))
	wantErr(t, "a new key after close", err, store.ErrClosed)
}

// testIdemAuth: only the port's holder learns anything of its keys.
func testIdemAuth(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	postOnce(ctx, t, s, p.p1, "k", "x")
	wrong := store.Credentials{PortID: p.p1.PortID, Token: p.p2.Token}
	_, _, err := s.PostOnce(ctx, wrong, store.Outgoing{Data: text("x")}, once("k", "x"))
	wantErr(t, "a replay with a wrong token", err, store.ErrUnauthorized)
	_, _, err = s.PostOnce(ctx, wrong, store.Outgoing{Data: text("y")}, once("k", "y"))
	wantErr(t, "another request with a wrong token", err, store.ErrUnauthorized)
	q := newPair(ctx, t, s)
	withList := store.Outgoing{Data: text("z"), Transfer: []store.Credentials{q.p1}}
	postWithList(ctx, t, s, p.p1, withList, "l")
	_, _, err = s.PostOnce(ctx, wrong, withList, once("l", "l"))
	wantErr(t, "a transfer-list replay with a wrong token", err, store.ErrUnauthorized)
}

func postWithList(ctx context.Context, t *testing.T, s store.Store, from store.Credentials, msg store.Outgoing, key string) (store.EventID, bool) {
	t.Helper()
	id, replayed, err := s.PostOnce(ctx, from, msg, once(key, key))
	if err != nil {
		t.Fatalf("PostOnce %q with a transfer list: %v", key, err)
	}
	return id, replayed
}

// testIdemTransfer: a post with a transfer list replays without moving
// anything again: the port keeps the token the stored message carries.
func testIdemTransfer(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p, q := newPair(ctx, t, s), newPair(ctx, t, s)
	msg := store.Outgoing{Data: text("take it"), Transfer: []store.Credentials{q.p1}}
	first, replayed := postWithList(ctx, t, s, p.p1, msg, "m")
	if replayed {
		t.Error("the first post is a replay")
	}
	for range 2 {
		if id, replayed := postWithList(ctx, t, s, p.p1, msg, "m"); id != first || !replayed {
			t.Errorf("retry answered %s (replayed %v), want %s", id, replayed, first)
		}
	}
	msgs := readAll(ctx, t, s, p.p2, store.EventID{})
	if len(msgs) != 1 || len(msgs[0].Ports) != 1 {
		t.Fatalf("stored %+v", msgs)
	}
	if _, err := s.Describe(ctx, creds(msgs[0].Ports[0])); err != nil {
		t.Errorf("the carried token after the retries: %v", err)
	}
	_, _, err := s.PostOnce(ctx, p.p1, store.Outgoing{Data: text("other")}, once("m", "other"))
	wantErr(t, "the key for another request", err, store.ErrKeyReused)
}

// testIdemChannel: a channel created under a key is answered again, tokens
// and all, and the tokens work; another request under the key is refused.
func testIdemChannel(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	ch, replayed, err := s.CreateChannelOnce(ctx, "", once("c", "create"))
	if err != nil || replayed {
		t.Fatalf("CreateChannelOnce: replayed %v, err %v", replayed, err)
	}
	for range 2 {
		again, replayed, err := s.CreateChannelOnce(ctx, "", once("c", "create"))
		if err != nil || !replayed {
			t.Fatalf("retry: replayed %v, err %v", replayed, err)
		}
		if again.ID != ch.ID || again.Port1 != ch.Port1 || again.Port2 != ch.Port2 || !again.CreatedAt.Equal(ch.CreatedAt) {
			t.Fatalf("retry answered %+v, first %+v", again, ch)
		}
	}
	p := pair{ch: ch, p1: creds(ch.Port1), p2: creds(ch.Port2)}
	post(ctx, t, s, p.p1, text("works"))
	wantQueued(ctx, t, s, p.p2, 1)
	_, _, err = s.CreateChannelOnce(ctx, "", once("c", "something else"))
	wantErr(t, "a channel key for another request", err, store.ErrKeyReused)
	other, replayed, err := s.CreateChannelOnce(ctx, "", once("d", "create"))
	if err != nil || replayed || other.ID == ch.ID {
		t.Errorf("another key: %s (replayed %v, err %v)", other.ID, replayed, err)
	}
	var got []store.NewChannel
	var mu sync.Mutex
	sameKeyRace(t, func() (store.EventID, bool, error) {
		c, replayed, err := s.CreateChannelOnce(ctx, "", once("race", "create"))
		if err == nil {
			mu.Lock()
			got = append(got, c)
			mu.Unlock()
		}
		// The id stands in for the channel: one value for every answer.
		return store.EventID{Ms: uint64(len(c.ID))}, replayed, err
	})
	for _, c := range got {
		if c != got[0] {
			t.Fatalf("concurrent creations answered %+v and %+v", got[0], c)
		}
	}
}
