package redis

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
)

// TestWaitReplicasOnResentPost: go-redis sends a post again when its
// connection drops before the answer, and post.lua answers the first
// run's id without writing. WAIT, as documented, counts the replicas that
// have what its own connection wrote, nothing here, so it could answer at
// once however far behind they are: the resent post first writes
// something after the first run's write (fence) and waits for that.
// (Redis 7.0 moves a connection's offset on any script call, written or
// not, so this passes there without the fence; it guards versions that
// keep to the documented contract.) The one replica is asleep (DEBUG
// SLEEP), so it has neither run's write, and every answer, the first
// run's and the resent one's, alone or in a pipeline with another op (a
// run and its resend, here), must be that the replicas did not confirm.
// The same holds for a resent mint and a transfer's replay.
func TestWaitReplicasOnResentPost(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	primary := redistest.Start(t, "--repl-diskless-sync-delay", "0")
	_, port, _ := net.SplitHostPort(primary.Addr)
	replica := redistest.Start(t, "--replicaof", "127.0.0.1", port, "--enable-debug-command", "yes")
	rc := replica.Client(t)
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := rc.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica never linked: %v\n%s", err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
	prefix := redistest.Prefix(t)
	// Each store has a client of its own: the first runs go through s, and
	// the resent ones through again, as on a new connection.
	open := func(waitReplicas int) *Store {
		s, err := New(ctx, primary.Client(t), Options{
			Prefix:       prefix,
			WaitReplicas: waitReplicas,
			WaitTimeout:  300 * time.Millisecond,
			Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	s, again, plain := open(1), open(1), open(0)
	ch, err := plain.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	keys := s.keys.forTag(store.Tag(ch.ID)).list()
	single := scriptOp(s.scripts.post, durable, keys, s.postArgs(from, store.Outgoing{Data: []byte(`"alone"`)}, "")...)
	piped := scriptOp(s.scripts.post, durable, keys, s.postArgs(from, store.Outgoing{Data: []byte(`"piped"`)}, "")...)

	var wg sync.WaitGroup
	defer wg.Wait()
	// A client of its own that waits out the sleep rather than timing out
	// and sending it again.
	sleeper := goredis.NewClient(&goredis.Options{Addr: replica.Addr, ReadTimeout: 10 * time.Second, MaxRetries: -1})
	defer sleeper.Close()
	wg.Go(func() { _ = sleeper.Do(ctx, "debug", "sleep", "8").Err() })
	time.Sleep(300 * time.Millisecond) // for the replica to fall asleep

	// (A resent post is met right after its first run: post.lua knows
	// only the side's last post.)
	for run, st := range []*Store{s, again} {
		if err := st.exec(ctx, single)[0].err; !errors.Is(err, errNotReplicated) {
			t.Errorf("post, run %d: %v, want not replicated", run, err)
		}
	}
	for run, st := range []*Store{s, again} {
		for i, r := range st.exec(ctx, piped, piped) {
			if !errors.Is(r.err, errNotReplicated) {
				t.Errorf("post in a pipeline, run %d, op %d: %v, want not replicated", run, i, r.err)
			}
		}
	}
	// A minted token's resent run, and a transfer's replay under its key,
	// answer writes made before too: their marks must reach exec, which
	// fences them.
	mint := s.portOp(s.scripts.tokenMint, durable, from, store.HashToken(store.NewToken()), "tok-1", string(store.ScopePost), "")
	transfer := s.channelOp(s.scripts.transfer, durable, from.PortID,
		[]any{from.PortID, store.HashToken(from.Token), store.HashToken(store.NewToken()), s.keys.notify(store.Tag(from.PortID)),
			s.ttlMs(), "fp", "c2VhbGVk", s.windowMs()},
		s.keys.transferRecord(from.PortID, store.HashToken(from.Token), "key"))
	// The transfer kills from's token: it goes last.
	for _, c := range []struct {
		name string
		op   op
	}{{"mint", mint}, {"transfer", transfer}} {
		for run, st := range []*Store{s, again} {
			r := st.exec(ctx, c.op)[0]
			if !errors.Is(r.err, errNotReplicated) {
				t.Errorf("%s, run %d: %v, want not replicated", c.name, run, r.err)
			}
			if rep, err := asReply(r.val); err != nil || answeredEarlier(rep) != (run == 1) {
				t.Errorf("%s, run %d: answer %v (%v), want it marked as written before only when sent again", c.name, run, r.val, err)
			}
		}
	}
	// Each post was stored once all the same (read without waiting: in
	// WAIT mode the read, too, waits for the sleeping replica).
	b, err := plain.Read(ctx, store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}, store.EventID{}, store.ReadLimit{Messages: 10})
	if err != nil || len(b.Messages) != 2 {
		t.Errorf("read %d messages (%v), want the two posts once each", len(b.Messages), err)
	}
}
