package redis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// moveTimeout is the short move deadline of the recovery tests.
const moveTimeout = 300 * time.Millisecond

// crashCase is a move stopped dead at one step, and what must become of it.
type crashCase struct {
	name   string
	step   int32
	locked bool // the listed ports were locked
	stored bool // the message was stored, so the move must commit
}

var crashCases = []crashCase{
	{"AfterIndex", redis.CrashAfterIndex, false, false},
	{"AfterLock", redis.CrashAfterLock, true, false},
	{"AfterPost", redis.CrashAfterPost, true, true},
	{"MidCommit", redis.CrashMidCommit, true, true},
}

// moveFixture is a sender a.p1 moving b.p1 and c.p2 to a.p2's holder.
type moveFixture struct {
	s       *redis.Store
	raw     *goredis.Client
	prefix  string
	a, b, c store.NewChannel
	list    []store.Credentials
}

func newMoveFixture(ctx context.Context, t *testing.T, sweep time.Duration) moveFixture {
	t.Helper()
	prefix := "move:" + fmt.Sprint(time.Now().UnixNano()) + ":"
	f := moveFixture{
		s:      newStore(t, shared, redis.Options{Prefix: prefix, MoveTimeout: moveTimeout, SweepInterval: sweep}),
		raw:    client(t, shared),
		prefix: prefix,
	}
	for _, ch := range []*store.NewChannel{&f.a, &f.b, &f.c} {
		var err error
		if *ch, err = f.s.CreateChannel(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	f.list = []store.Credentials{creds(f.b.Port1), creds(f.c.Port2)}
	return f
}

func creds(pc store.PortCredentials) store.Credentials {
	return store.Credentials{PortID: pc.ID, Token: pc.Token}
}

// crash posts from a.p1 with the transfer list and stops at step.
func (f moveFixture) crash(ctx context.Context, t *testing.T, step int32) {
	t.Helper()
	redis.SetCrash(f.s, step)
	_, err := f.s.Post(ctx, creds(f.a.Port1), store.Outgoing{Data: []byte(`"ports"`), Transfer: f.list})
	redis.SetCrash(f.s, 0)
	if !errors.Is(err, redis.ErrCrashed) {
		t.Fatalf("Post stopped at step %d: %v", step, err)
	}
}

// received returns the ports carried by the messages at a.p2.
func (f moveFixture) received(ctx context.Context, t *testing.T) []store.PortCredentials {
	t.Helper()
	b, err := f.s.Read(ctx, creds(f.a.Port2), store.EventID{}, store.ReadLimit{Messages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ports []store.PortCredentials
	for _, m := range b.Messages {
		ports = append(ports, m.Ports...)
	}
	return ports
}

// locked reports whether any moved port still holds a lock, and how many
// entries the moves index holds.
func (f moveFixture) leftovers(ctx context.Context, t *testing.T) (locks int, indexed int64) {
	t.Helper()
	for _, c := range f.list {
		key := f.prefix + "{" + store.Tag(c.PortID) + "}:channel"
		h, err := f.raw.HGetAll(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		for k := range h {
			if len(k) > 3 && k[2:] == ":move" {
				locks++
			}
		}
	}
	n, err := f.raw.ZCard(ctx, f.prefix+"moves").Result()
	if err != nil {
		t.Fatal(err)
	}
	return locks, n
}

// checkSettled checks the invariant once the move is settled: every listed
// port has exactly one valid token, the old one if the message was not
// stored, else the one the message carries; the other is dead.
func (f moveFixture) checkSettled(ctx context.Context, t *testing.T, stored bool) {
	t.Helper()
	ports := f.received(ctx, t)
	if !stored {
		if len(ports) != 0 {
			t.Fatalf("an aborted move left a message carrying %v", ports)
		}
		for _, c := range f.list {
			if _, err := f.s.Describe(ctx, c); err != nil {
				t.Errorf("old token of %s after an aborted move: %v", c.PortID, err)
			}
			if _, err := f.s.Post(ctx, c, store.Outgoing{Data: []byte(`1`)}); err != nil {
				t.Errorf("posting with the old token of %s after an aborted move: %v", c.PortID, err)
			}
		}
		return
	}
	if len(ports) != len(f.list) {
		t.Fatalf("the stored message carries %v, want %d ports", ports, len(f.list))
	}
	for i, c := range f.list {
		if ports[i].ID != c.PortID {
			t.Fatalf("port %d is %s, want %s", i, ports[i].ID, c.PortID)
		}
		if _, err := f.s.Describe(ctx, creds(ports[i])); err != nil {
			t.Errorf("new token of %s after a committed move: %v", c.PortID, err)
		}
		if _, err := f.s.Describe(ctx, c); !errors.Is(err, store.ErrTransferred) {
			t.Errorf("old token of %s after a committed move: %v, want ErrTransferred", c.PortID, err)
		}
	}
}

// TestMoveRecoveryLazy: a move whose sender died at any step is finished
// by whoever next touches a moved port: before the deadline the old holder
// can neither read nor change the port (busy), and the receiver's fresh
// token works at once; after it the move is undone or completed.
func TestMoveRecoveryLazy(t *testing.T) {
	for _, tc := range crashCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			f := newMoveFixture(ctx, t, time.Hour)
			// The lock lives moveTimeout from the crash on: a call that
			// ends later, on a loaded machine, may rightly find it gone.
			crashed := time.Now()
			f.crash(ctx, t, tc.step)
			old := f.list[1] // the port not committed in MidCommit
			lockLive := func() bool { return time.Since(crashed) < moveTimeout }

			// A read waits for the move's decision like any call: once the
			// message is stored the old token is dead, before that a live
			// lock answers busy, and without a lock there is no move yet.
			_, err := f.s.Describe(ctx, old)
			switch {
			case tc.stored && !errors.Is(err, store.ErrTransferred),
				!tc.stored && tc.locked && !errors.Is(err, store.ErrBusy) && lockLive(),
				!tc.stored && !tc.locked && err != nil:
				t.Errorf("reading with the old token while the move is live: %v (stored %v, locked %v)", err, tc.stored, tc.locked)
			}
			if !tc.stored {
				err := f.s.Ack(ctx, old, store.EventID{})
				if tc.locked && !errors.Is(err, store.ErrBusy) && lockLive() || !tc.locked && err != nil {
					t.Errorf("acknowledging with the old token while the move is live: %v (locked: %v)", err, tc.locked)
				}
				_, err = f.s.Post(ctx, old, store.Outgoing{Data: []byte(`1`)})
				if tc.locked && !errors.Is(err, store.ErrBusy) && lockLive() || !tc.locked && err != nil {
					t.Errorf("posting with the old token while the move is live: %v (locked: %v)", err, tc.locked)
				}
				time.Sleep(moveTimeout)
				// Touching either port settles the move; so does the sweeper.
				if _, err := f.s.Post(ctx, old, store.Outgoing{Data: []byte(`1`)}); err != nil {
					t.Errorf("posting with the old token after the deadline: %v", err)
				}
			} else {
				// The receiver uses a fresh token before anyone committed.
				ports := f.received(ctx, t)
				if len(ports) != 2 {
					t.Fatalf("received %v", ports)
				}
				if err := f.s.Ack(ctx, creds(ports[1]), store.EventID{}); err != nil {
					t.Errorf("using the fresh token before the commit: %v", err)
				}
				if _, err := f.s.Post(ctx, f.list[0], store.Outgoing{Data: []byte(`1`)}); !errors.Is(err, store.ErrTransferred) {
					t.Errorf("posting with an old token after the message was stored: %v, want ErrTransferred", err)
				}
			}
			// Settle whatever is left through ordinary access, then check.
			for _, c := range f.list {
				_, _ = f.s.Transfer(ctx, store.Credentials{PortID: c.PortID, Token: "wrong"})
			}
			time.Sleep(moveTimeout)
			for _, c := range f.list {
				_, _ = f.s.Describe(ctx, c)
			}
			if locks, _ := f.leftovers(ctx, t); locks != 0 {
				t.Errorf("%d locks left after lazy settling", locks)
			}
			f.checkSettled(ctx, t, tc.stored)
		})
	}
}

// TestMoveRecoverySweeper: with nobody touching the moved ports, the
// sweeper settles a move whose sender died at any step, once its deadline
// passed, and empties the index.
func TestMoveRecoverySweeper(t *testing.T) {
	for _, tc := range crashCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			f := newMoveFixture(ctx, t, 50*time.Millisecond)
			f.crash(ctx, t, tc.step)
			if _, n := f.leftovers(ctx, t); n != int64(len(f.list)) {
				t.Fatalf("moves index holds %d entries, want %d", n, len(f.list))
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				locks, n := f.leftovers(ctx, t)
				if locks == 0 && n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 5s: %d locks, %d index entries left", locks, n)
				}
				time.Sleep(20 * time.Millisecond)
			}
			f.checkSettled(ctx, t, tc.stored)
		})
	}
}

// TestMoveTokensNeverDoubleOrNone races many posts moving one port, with
// transfers of it, and checks that exactly one token works at the end,
// the one its last holder got.
func TestMoveTokensNeverDoubleOrNone(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, shared, redis.Options{})
	target, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	const senders = 8
	chans := make([]store.NewChannel, senders)
	for i := range chans {
		if chans[i], err = s.CreateChannel(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	old := creds(target.Port1)
	type result struct {
		id  store.EventID
		err error
	}
	results := make(chan result, senders+1)
	for i := range chans {
		go func() {
			id, err := s.Post(ctx, creds(chans[i].Port1), store.Outgoing{Data: []byte(`0`), Transfer: []store.Credentials{old}})
			results <- result{id, err}
		}()
	}
	var transferred store.PortCredentials
	go func() {
		var err error
		transferred, err = s.Transfer(ctx, old)
		results <- result{err: err}
	}()
	wins := 0
	for range senders + 1 {
		r := <-results
		switch {
		case r.err == nil:
			wins++
		case errors.Is(r.err, store.ErrBusy), errors.Is(r.err, store.ErrTransferred):
		default:
			var te *store.TransferError
			if !errors.As(r.err, &te) || !slices.Contains([]store.TransferRefusal{store.RefusedTransferred, store.RefusedBusy}, te.Reason) {
				t.Errorf("unexpected error: %v", r.err)
			}
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d moves and transfers won, want exactly 1", wins, senders+1)
	}
	// Collect every token anyone was given for the port; exactly one works.
	candidates := []store.Credentials{old}
	if transferred.Token != "" {
		candidates = append(candidates, creds(transferred))
	}
	for _, ch := range chans {
		b, err := s.Read(ctx, creds(ch.Port2), store.EventID{}, store.ReadLimit{Messages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range b.Messages {
			for _, p := range m.Ports {
				candidates = append(candidates, creds(p))
			}
		}
	}
	valid := 0
	for _, c := range candidates {
		if _, err := s.Describe(ctx, c); err == nil {
			valid++
		}
	}
	if valid != 1 {
		t.Errorf("%d of %d tokens handed out work, want 1", valid, len(candidates))
	}
}
