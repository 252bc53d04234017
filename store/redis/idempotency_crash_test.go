package redis_test

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// TestIdempotentMoveCrash: a post with a transfer list under an
// Idempotency-Key whose sender dies at any step. A retry before the move's
// deadline is in flight, unless the message was stored (then it is the
// answer); a retry after it goes through. Either way exactly one message
// exists, and every moved port has exactly one valid token: the one the
// message carries.
func TestIdempotentMoveCrash(t *testing.T) {
	t.Parallel()
	for _, cc := range crashCases {
		t.Run(cc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			f := newMoveFixture(ctx, t, time.Hour) // no sweeper: the retry settles
			msg := store.Outgoing{Data: []byte(`"ports"`), Transfer: f.list}
			once := store.Idempotency{Key: "crash", Fingerprint: sha256.Sum256([]byte("ports"))}
			from := creds(f.a.Port1)

			redis.SetCrash(f.s, cc.step)
			_, _, err := f.s.PostOnce(ctx, from, msg, once)
			redis.SetCrash(f.s, 0)
			if !errors.Is(err, redis.ErrCrashed) {
				t.Fatalf("PostOnce stopped at step %d: %v", cc.step, err)
			}

			id, replayed, err := f.s.PostOnce(ctx, from, msg, once)
			switch {
			case cc.stored && (err != nil || !replayed):
				t.Fatalf("retry after a stored move: %s (replayed %v, err %v)", id, replayed, err)
			case !cc.stored && !errors.Is(err, store.ErrInFlight):
				t.Fatalf("retry before the deadline: %s (replayed %v, err %v), want in flight", id, replayed, err)
			}
			if !cc.stored {
				time.Sleep(moveTimeout + 100*time.Millisecond)
				if id, replayed, err = f.s.PostOnce(ctx, from, msg, once); err != nil || replayed {
					t.Fatalf("retry after the deadline: %s (replayed %v, err %v)", id, replayed, err)
				}
			}
			again, replayed, err := f.s.PostOnce(ctx, from, msg, once)
			if err != nil || !replayed || again != id {
				t.Fatalf("last retry: %s (replayed %v, err %v), want %s", again, replayed, err, id)
			}
			b, err := f.s.Read(ctx, creds(f.a.Port2), store.EventID{}, store.ReadLimit{Messages: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Messages) != 1 || b.Messages[0].ID != id {
				t.Fatalf("messages %+v, want the one %s", b.Messages, id)
			}
			for i, c := range f.list {
				fresh := creds(b.Messages[0].Ports[i])
				if _, err := f.s.Describe(ctx, fresh); err != nil {
					t.Errorf("the carried token of %s: %v", c.PortID, err)
				}
				if _, err := f.s.Describe(ctx, c); !errors.Is(err, store.ErrTransferred) {
					t.Errorf("the old token of %s: %v, want transferred", c.PortID, err)
				}
			}
		})
	}
}
