package redis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// takeOne waits for sub to ring and returns its one notice.
func takeOne(t *testing.T, sub *store.Subscription) store.Notice {
	t.Helper()
	if !rings(sub, 5*time.Second) {
		t.Fatal("no ring")
	}
	got := sub.Take(nil)
	if len(got) != 1 {
		t.Fatalf("notices %+v, want one", got)
	}
	return got[0]
}

// TestNoticesPushMessages: a post without ports hands the waiter the
// message itself, with the port's previous id; whatever else changes what
// a reader of the port may see (a message with ports, a revoked token, a
// transfer, a close) is a plain look, and so is a message over 8 KiB,
// which would make a waiter's queue of notices hold too much. A plain notice published by hand, as
// a publisher from before pushed messages sends it, is a look too.
func TestNoticesPushMessages(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	s := newStore(t, shared, redis.Options{Prefix: prefix})
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	to := ch.Port2.ID
	sub := subscribe(t, s, to)
	defer sub.Close()

	before := time.Now().Add(-time.Second)
	first, err := s.Post(ctx, creds(ch.Port1), store.Outgoing{Data: []byte(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	n := takeOne(t, sub)
	if !n.Pushed || n.Port != to || !n.Prev.IsZero() || n.Message.ID != first ||
		string(n.Message.Data) != `{"a":1}` || n.Message.Source != ch.Port1.ID || n.Message.SentAt.Before(before) {
		t.Errorf("first notice %+v, want message %s pushed after nothing", n, first)
	}
	second, err := s.Post(ctx, creds(ch.Port1), store.Outgoing{Data: []byte(`"two"`)})
	if err != nil {
		t.Fatal(err)
	}
	if n := takeOne(t, sub); !n.Pushed || n.Prev != first || n.Message.ID != second || string(n.Message.Data) != `"two"` {
		t.Errorf("second notice %+v, want message %s pushed after %s", n, second, first)
	}

	look := func(what string) {
		t.Helper()
		if n := takeOne(t, sub); n.Pushed || n.Port != to {
			t.Errorf("after %s: notice %+v, want a look at %s", what, n, to)
		}
	}
	other, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, creds(ch.Port1), store.Outgoing{Data: []byte(`3`), Transfer: []store.Credentials{creds(other.Port1)}}); err != nil {
		t.Fatal(err)
	}
	look("a message with ports")
	big := []byte(`"` + strings.Repeat("x", 8192) + `"`)
	if _, err := s.Post(ctx, creds(ch.Port1), store.Outgoing{Data: big}); err != nil {
		t.Fatal(err)
	}
	look("a message over 8 KiB")

	minted, err := s.MintToken(ctx, creds(ch.Port2), store.ScopeListen, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, creds(ch.Port2), minted.ID); err != nil {
		t.Fatal(err)
	}
	look("a revoke")

	raw := shared.Client(t)
	if err := raw.SPublish(ctx, prefix+"{"+store.Tag(to)+"}:notify", to).Err(); err != nil {
		t.Fatal(err)
	}
	look("a plain notice from an older publisher")

	if _, err := s.Transfer(ctx, creds(ch.Port2)); err != nil {
		t.Fatal(err)
	}
	look("a transfer")
}

// TestNoticesPushOrigins: a message with an origin is pushed whole too,
// origin included, after one without and before one without, each with
// the right previous id.
func TestNoticesPushOrigins(t *testing.T) {
	t.Parallel()
	s := newStore(t, shared, redis.Options{Prefix: redistest.Prefix(t)})
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, s, ch.Port2.ID)
	defer sub.Close()
	prev := store.EventID{}
	for _, origin := range []string{"", "https://app.example:8443", "null", ""} {
		id, err := s.Post(ctx, creds(ch.Port1), store.Outgoing{Data: []byte(`"x"`), Origin: origin})
		if err != nil {
			t.Fatal(err)
		}
		n := takeOne(t, sub)
		if !n.Pushed || n.Port != ch.Port2.ID || n.Prev != prev || n.Message.ID != id || n.Message.Origin != origin ||
			string(n.Message.Data) != `"x"` || n.Message.Source != ch.Port1.ID {
			t.Errorf("origin %q: notice %+v, want message %s pushed after %q", origin, n, id, prev)
		}
		prev = id
	}
}
