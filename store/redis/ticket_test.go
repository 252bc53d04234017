package redis_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// TestTicketWaitsForAMove: a ticket asked for a port held by a move waits
// for the move's decision as a read does: while the move is live and
// undecided the entry is refused as busy; once the message is stored the
// old token is transferred and the fresh one it carries gets a ticket; an
// abandoned move is undone after its deadline and the old token works.
func TestTicketWaitsForAMove(t *testing.T) {
	t.Run("Undecided", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		f := newMoveFixture(ctx, t, time.Hour)
		f.crash(ctx, t, redis.CrashAfterLock)
		held := f.list[0]
		list := []store.Credentials{creds(f.a.Port2), held}
		_, err := f.s.IssueTicket(ctx, list, time.Minute)
		var te *store.TicketError
		if !errors.As(err, &te) || te.Index != 1 || te.PortID != held.PortID || !errors.Is(err, store.ErrBusy) {
			t.Fatalf("ticket for a port a live move holds: %v, want a TicketError for entry 1 wrapping ErrBusy", err)
		}
		time.Sleep(moveTimeout)
		tk, err := f.s.IssueTicket(ctx, list, time.Minute)
		if err != nil {
			t.Fatalf("ticket after the abandoned move's deadline: %v", err)
		}
		if _, err := f.s.RedeemTicket(ctx, f.a.Port2.ID, tk.Secret); err != nil {
			t.Errorf("redeeming it: %v", err)
		}
	})
	t.Run("Stored", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		f := newMoveFixture(ctx, t, time.Hour)
		f.crash(ctx, t, redis.CrashAfterPost)
		_, err := f.s.IssueTicket(ctx, []store.Credentials{f.list[1]}, time.Minute)
		var te *store.TicketError
		if !errors.As(err, &te) || te.Index != 0 || !errors.Is(err, store.ErrTransferred) {
			t.Fatalf("ticket for the old token of a port whose move was stored: %v, want a TicketError wrapping ErrTransferred", err)
		}
		ports := f.received(ctx, t)
		if len(ports) != len(f.list) {
			t.Fatalf("received %v", ports)
		}
		if _, err := f.s.IssueTicket(ctx, []store.Credentials{creds(ports[0]), creds(ports[1])}, time.Minute); err != nil {
			t.Errorf("ticket for the fresh tokens: %v", err)
		}
	})
}

// TestTicketKeepsNoCredential: the ticket's one key holds neither the
// ticket nor a token it stands for, is named by neither, and expires with
// the ticket; redeeming deletes it.
func TestTicketKeepsNoCredential(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	prefix := redistest.Prefix(t)
	s := newStore(t, shared, redis.Options{Prefix: prefix})
	raw := client(t, shared)
	a, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	tk, err := s.IssueTicket(ctx, []store.Credentials{creds(a.Port2), creds(a.Port1)}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var ticketKeys []string
	for _, k := range keysWithPrefix(t, raw, prefix) {
		if strings.HasPrefix(k, prefix+"ticket:") {
			ticketKeys = append(ticketKeys, k)
		}
	}
	if len(ticketKeys) != 1 {
		t.Fatalf("ticket keys %v, want one", ticketKeys)
	}
	key := ticketKeys[0]
	val, err := raw.Get(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{tk.Secret, a.Port1.Token, a.Port2.Token, store.HashToken(a.Port1.Token), store.HashToken(a.Port2.Token)} {
		if strings.Contains(val, secret) || strings.Contains(key, secret) {
			t.Errorf("the ticket's key or record holds a secret in usable form")
		}
	}
	ttl, err := raw.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > time.Minute {
		t.Errorf("ticket key expires in %v, want within a minute", ttl)
	}
	if _, err := s.RedeemTicket(ctx, a.Port2.ID, tk.Secret); err != nil {
		t.Fatal(err)
	}
	if n, err := raw.Exists(ctx, key).Result(); err != nil || n != 0 {
		t.Errorf("ticket key after redeeming: exists %d, %v", n, err)
	}
}
