package redis_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

func TestLossOnCrash(t *testing.T) {
	tests := []struct {
		name string
		p    redis.Persistence
		want string // the sentence starts with it
	}{
		{"always", redis.Persistence{AppendOnly: "yes", AppendFsync: "always", Save: "3600 1"}, "nothing: every write"},
		{"everysec", redis.Persistence{AppendOnly: "yes", AppendFsync: "everysec"}, "nothing when only the Redis process crashes; up to about 1 s"},
		{"no fsync", redis.Persistence{AppendOnly: "yes", AppendFsync: "no"}, "nothing when only the Redis process crashes; whatever the operating system"},
		{"case-insensitive", redis.Persistence{AppendOnly: "YES", AppendFsync: "Always"}, "nothing: every write"},
		{"unknown fsync", redis.Persistence{AppendOnly: "yes", AppendFsync: "sometimes"}, "unknown: appendonly yes"},
		{"snapshots only", redis.Persistence{AppendOnly: "no", AppendFsync: "everysec", Save: "3600 1 300 100"}, `everything acknowledged since the last snapshot: there is no append-only file, only RDB snapshots (save "3600 1 300 100")`},
		{"nothing", redis.Persistence{AppendOnly: "no", AppendFsync: "everysec", Save: ""}, "everything: this Redis keeps nothing on disk"},
		{"blank save", redis.Persistence{AppendOnly: "no", Save: " "}, "everything: this Redis keeps nothing on disk"},
		{"unreadable", redis.Persistence{Err: errors.New("ERR unknown command 'CONFIG'")}, "unknown: the persistence settings could not be read (ERR unknown command 'CONFIG')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.LossOnCrash(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("got  %q\nwant %q...", got, tt.want)
			}
		})
	}
}

func TestReadPersistence(t *testing.T) {
	ctx := t.Context()
	srv := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	ps, err := redis.ReadPersistence(ctx, srv.Client(t))
	if err != nil || len(ps) != 1 {
		t.Fatalf("ReadPersistence: %v, %v", ps, err)
	}
	p := ps[0]
	if p.Err != nil || p.AppendOnly != "yes" || p.AppendFsync != "always" || p.Addr != srv.Addr {
		t.Fatalf("got %+v", p)
	}
	if got := p.LossOnCrash(); !strings.HasPrefix(got, "nothing:") {
		t.Errorf("LossOnCrash: %s", got)
	}

	// CONFIG renamed away, as hardened deployments do: said plainly.
	hidden := redistest.Start(t, "--rename-command", "CONFIG", "")
	ps, err = redis.ReadPersistence(ctx, hidden.Client(t))
	if err != nil || len(ps) != 1 || ps[0].Err == nil {
		t.Fatalf("with CONFIG renamed: %+v, %v", ps, err)
	}
	if got := ps[0].LossOnCrash(); !strings.HasPrefix(got, "unknown:") {
		t.Errorf("LossOnCrash: %s", got)
	}
}

// A post in WAIT mode succeeds once a real replica has it, and is
// refused as unavailable, though stored, when the replicas are too few:
// after one WAIT of the wait timeout, not sooner (how much later is
// logged; a loaded machine stretches it).
func TestWaitReplicas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	primary, replica := startReplicated(t)

	prefix := redistest.Prefix(t)
	plain := newStore(t, primary, redis.Options{Prefix: prefix})
	ch, err := plain.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	to := store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}

	one := newStore(t, primary, redis.Options{Prefix: prefix, WaitReplicas: 1, WaitTimeout: 2 * time.Second})
	if _, err := one.Post(ctx, from, store.Outgoing{Data: []byte(`"replicated"`)}); err != nil {
		t.Fatalf("post waiting for the one replica: %v", err)
	}
	if _, err := one.CreateChannel(ctx, ""); err != nil {
		t.Fatalf("create waiting for the one replica: %v", err)
	}
	// The replica has it: read it there.
	n, err := replica.Client(t).XLen(ctx, streamKeyOf(t, replica.Client(t), prefix)).Result()
	if err != nil || n != 1 {
		t.Errorf("replica holds %d messages (%v), want 1", n, err)
	}

	const waitTimeout = 300 * time.Millisecond
	two := newStore(t, primary, redis.Options{Prefix: prefix, WaitReplicas: 2, WaitTimeout: waitTimeout})
	pc := primary.Client(t)
	if err := pc.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = two.Post(ctx, from, store.Outgoing{Data: []byte(`"short of replicas"`)})
	took := time.Since(start)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("post with too few replicas: %v, want ErrUnavailable", err)
	}
	if n := redis.CommandCalls(t, pc, "wait"); took < waitTimeout || n != 1 {
		t.Errorf("the refusal took %v and %d WAITs, want one WAIT of the wait timeout %v", took, n, waitTimeout)
	}
	t.Logf("the refusal took %v (wait timeout %v)", took.Round(time.Millisecond), waitTimeout)
	b, err := plain.Read(ctx, to, store.EventID{}, store.ReadLimit{Messages: 10})
	if err != nil || len(b.Messages) != 2 {
		t.Fatalf("read: %d messages, %v; want both, the unacknowledged one stored too", len(b.Messages), err)
	}
	// A refusal is answered as such, not waited for.
	if _, err := two.Post(ctx, store.Credentials{PortID: ch.Port1.ID, Token: "wrong"}, store.Outgoing{Data: []byte(`1`)}); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("post with a wrong token: %v", err)
	}
}

// With no replica at all, WAIT 1 answers unavailable.
func TestWaitWithoutReplicas(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, privateServer(t), redis.Options{WaitReplicas: 1, WaitTimeout: 100 * time.Millisecond})
	if _, err := s.CreateChannel(ctx, ""); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("create: %v, want ErrUnavailable", err)
	}
}

// startReplicated starts a primary and one replica of it, and returns
// them once the replica has synced.
func startReplicated(t *testing.T) (primary, replica *redistest.Server) {
	t.Helper()
	primary = redistest.Start(t, "--repl-diskless-sync-delay", "0")
	_, port, _ := net.SplitHostPort(primary.Addr)
	replica = redistest.Start(t, "--replicaof", "127.0.0.1", port)
	waitLinked(t, replica.Client(t))
	return primary, replica
}

// waitLinked waits until the replica behind c has synced with its primary
// and the primary counts it online.
func waitLinked(t *testing.T, c *goredis.Client) {
	t.Helper()
	redistest.WaitReplicaOnline(t, c.Options().Addr)
}

// streamKeyOf finds the one message stream under prefix.
func streamKeyOf(t *testing.T, c *goredis.Client, prefix string) string {
	t.Helper()
	for _, k := range keysWithPrefix(t, c, prefix) {
		if typ, _ := c.Type(context.Background(), k).Result(); typ == "stream" {
			if n, _ := c.XLen(context.Background(), k).Result(); n > 0 {
				return k
			}
		}
	}
	t.Fatalf("no stream with messages under %s", prefix)
	return ""
}

// On a Cluster, WAIT must go to the primary of the post's slot, on the
// connection that wrote it. One primary of three gets a replica: a post
// waiting for one replica succeeds exactly when its channel lives there.
// Persistence is read from every primary.
func TestWaitReplicasOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	t.Parallel()
	ctx := t.Context()
	c := redistest.StartCluster(t)
	withReplica := c.Nodes[0]
	replica := addClusterReplica(t, c, withReplica)
	cc := c.Client(t)

	ps, err := redis.ReadPersistence(ctx, cc)
	if err != nil || len(ps) != 3 {
		t.Fatalf("ReadPersistence on the cluster: %+v, %v", ps, err)
	}
	for _, p := range ps {
		if p.Err != nil || !strings.HasPrefix(p.LossOnCrash(), "everything") {
			t.Errorf("%s: %+v: %s", p.Addr, p, p.LossOnCrash())
		}
	}

	prefix := redistest.Prefix(t)
	plain := clusterStore(t, c, redis.Options{Prefix: prefix}, nil)
	// Long enough for a replica on a machine busy with the race detector
	// (200ms fell short once); each post elsewhere waits it out in full.
	waiting := clusterStore(t, c, redis.Options{Prefix: prefix, WaitReplicas: 1, WaitTimeout: time.Second}, nil)
	var on, off int
	replicated := map[string]bool{} // by port id: whether it lives on withReplica
	var channels []store.NewChannel
	for i := 0; on < 2 || off < 2; i++ {
		if i == 60 {
			t.Fatalf("60 channels, %d on the primary with the replica, %d elsewhere", on, off)
		}
		ch, err := plain.CreateChannel(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		channels = append(channels, ch)
		node, err := cc.MasterForKey(ctx, "{"+store.Tag(ch.ID)+"}")
		if err != nil {
			t.Fatal(err)
		}
		_, err = waiting.Post(ctx, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}, store.Outgoing{Data: []byte(`1`)})
		replicated[ch.Port1.ID] = node.Options().Addr == withReplica.Addr
		if node.Options().Addr == withReplica.Addr {
			on++
			if err != nil {
				t.Errorf("post on the primary with a replica: %v", err)
			}
		} else {
			off++
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("post on a primary without replicas: %v, want ErrUnavailable", err)
			}
		}
	}

	// A broadcast to those ports groups their posts by primary, each group
	// ending with WAIT on the connection that wrote it: delivered exactly
	// where the replica is, unknown elsewhere (stored on the primary, not
	// confirmed).
	coll, err := plain.CreateCollection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range channels {
		if _, err := plain.AddMember(ctx, coll.ID, coll.Token, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := waiting.Broadcast(ctx, coll.ID, coll.Token, store.Outgoing{Data: []byte(`"all"`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Delivered) != on || len(res.Unknown) != off || len(res.Refused) != 0 {
		t.Errorf("broadcast: %d delivered, %d unknown, %d refused; want %d, %d and none", len(res.Delivered), len(res.Unknown), len(res.Refused), on, off)
	}
	for _, d := range res.Delivered {
		if !replicated[d.Port] {
			t.Errorf("delivered to %s, on a primary without replicas", d.Port)
		}
	}
	for _, p := range res.Unknown {
		if replicated[p] {
			t.Errorf("%s unknown, on the replicated primary", p)
		}
	}

	if info, _ := replica.Client(t).Info(ctx, "replication").Result(); !strings.Contains(info, "role:slave") {
		t.Errorf("the replica is not one:\n%s", info)
	}
}

// addClusterReplica starts a cluster-enabled server and makes it a
// replica of primary, and waits until it has synced.
func addClusterReplica(t *testing.T, c *redistest.Cluster, primary *redistest.Server) *redistest.Server {
	t.Helper()
	srv := redistest.Start(t,
		"--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf",
		"--cluster-port", strconv.Itoa(redistest.FreePort(t)),
		"--cluster-node-timeout", "2000")
	pc := primary.Client(t)
	// A full sync otherwise waits 5 s for more replicas to share it.
	if err := pc.ConfigSet(t.Context(), "repl-diskless-sync-delay", "0").Err(); err != nil {
		t.Fatal(err)
	}
	id, err := pc.ClusterMyID(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(t.Context(), "redis-cli", "--cluster", "add-node", srv.Addr, primary.Addr,
		"--cluster-slave", "--cluster-master-id", id).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster add-node: %v\n%s", err, out)
	}
	waitLinked(t, srv.Client(t))
	// Every primary must know the new node before the client asks them.
	deadline := time.Now().Add(10 * time.Second)
	for _, n := range c.Nodes {
		for {
			info, err := n.Client(t).ClusterInfo(t.Context()).Result()
			if err == nil && strings.Contains(info, "cluster_known_nodes:4") && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never learned of the replica: %v\n%s", n.Addr, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return srv
}

// A retry of a post under an Idempotency-Key replays the first answer; in
// WAIT mode it must still wait until a replica has the first run's write,
// which its own connection did not make.
func TestWaitReplicasOnReplay(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	primary, replica := startReplicated(t)

	prefix := redistest.Prefix(t)
	plain := newStore(t, primary, redis.Options{Prefix: prefix})
	ch, err := plain.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	msg := store.Outgoing{Data: []byte(`"once"`)}
	once := store.Idempotency{Key: "retry-me"}

	// The replica stops taking writes; the first run is acknowledged
	// without waiting (another instance, set up so, or one whose WAIT
	// fell short).
	replica.Pause()
	first, _, err := plain.PostOnce(ctx, from, msg, once)
	if err != nil {
		t.Fatal(err)
	}

	waiting := newStore(t, primary, redis.Options{Prefix: prefix, WaitReplicas: 1, WaitTimeout: 200 * time.Millisecond})
	if _, _, err := waiting.PostOnce(ctx, from, msg, once); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("replay while the replica lacks the first write: %v, want ErrUnavailable", err)
	}
	replica.Resume()
	// The replica catches up within moments.
	deadline := time.Now().Add(5 * time.Second)
	for {
		id, replayed, err := waiting.PostOnce(ctx, from, msg, once)
		if err == nil {
			if !replayed || id != first {
				t.Fatalf("replay once the replica is back: %v (replayed %v), want %v replayed", id, replayed, first)
			}
			break
		}
		if !errors.Is(err, store.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("replay once the replica is back: %v", err)
		}
	}
}

// A broadcast waits for replicas like a post: each pipeline ends with WAIT
// on its primary, and a member whose delivery too few replicas confirmed
// is reported unknown (it stands on the primary), neither delivered nor
// refused.
func TestWaitReplicasOnBroadcast(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	primary, replica := startReplicated(t)
	prefix := redistest.Prefix(t)
	plain := newStore(t, primary, redis.Options{Prefix: prefix})
	const members = 3
	coll := collectionOf(t, plain, members)

	one := newStore(t, primary, redis.Options{Prefix: prefix, WaitReplicas: 1, WaitTimeout: 2 * time.Second})
	res, err := one.Broadcast(ctx, coll.ID, coll.Token, store.Outgoing{Data: []byte(`"replicated"`)})
	if err != nil || len(res.Delivered) != members || len(res.Refused) != 0 {
		t.Fatalf("broadcast waiting for the one replica: %+v, %v", res, err)
	}
	// The replica has every delivery by the time the answer came.
	rc := replica.Client(t)
	var held int64
	for _, k := range keysWithPrefix(t, rc, prefix) {
		if typ, _ := rc.Type(ctx, k).Result(); typ == "stream" {
			n, _ := rc.XLen(ctx, k).Result()
			held += n
		}
	}
	if held != members {
		t.Errorf("the replica holds %d messages, want %d", held, members)
	}

	const waitTimeout = 300 * time.Millisecond
	two := newStore(t, primary, redis.Options{Prefix: prefix, WaitReplicas: 2, WaitTimeout: waitTimeout})
	pc := primary.Client(t)
	if err := pc.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err = two.Broadcast(ctx, coll.ID, coll.Token, store.Outgoing{Data: []byte(`"short of replicas"`)})
	took := time.Since(start)
	if err != nil || len(res.Delivered) != 0 || len(res.Refused) != 0 || len(res.Unknown) != members {
		t.Fatalf("broadcast with too few replicas: %+v, %v; want every member unknown: stored on the primary, not confirmed", res, err)
	}
	// WAIT is waited for once, not per member: counted, not timed.
	if n := redis.CommandCalls(t, pc, "wait"); n != 1 {
		t.Errorf("the broadcast to %d members ran %d WAITs, want 1", members, n)
	}
	t.Logf("the broadcast took %v (wait timeout %v)", took.Round(time.Millisecond), waitTimeout)
}

// Creating a collection and adding a member hand the client something it
// keeps (a token, a member it will broadcast to), so they wait for
// replicas like a new channel: too few is ErrUnavailable, though the
// write stands on the primary.
func TestWaitReplicasOnCollections(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	primary, replica := startReplicated(t)
	prefix := redistest.Prefix(t)
	plain := newStore(t, primary, redis.Options{Prefix: prefix})
	ch, err := plain.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	member := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}

	one := newStore(t, primary, redis.Options{Prefix: prefix, WaitReplicas: 1, WaitTimeout: 2 * time.Second})
	coll, err := one.CreateCollection(ctx)
	if err != nil {
		t.Fatalf("create waiting for the one replica: %v", err)
	}
	if added, err := one.AddMember(ctx, coll.ID, coll.Token, member); err != nil || !added {
		t.Fatalf("add waiting for the one replica: %v, %v", added, err)
	}
	// The replica has both keys of the collection by the time the answers came.
	rc := replica.Client(t)
	var held []string
	for _, k := range keysWithPrefix(t, rc, prefix) {
		if strings.Contains(k, "{c:"+coll.ID+"}") {
			held = append(held, k)
		}
	}
	if len(held) != 2 {
		t.Errorf("the replica holds %v of the collection, want its hash and its members", held)
	}

	const waitTimeout = 300 * time.Millisecond
	two := newStore(t, primary, redis.Options{Prefix: prefix, WaitReplicas: 2, WaitTimeout: waitTimeout})
	if _, err := two.CreateCollection(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("create with too few replicas: %v, want ErrUnavailable", err)
	}
	other, err := plain.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = two.AddMember(ctx, coll.ID, coll.Token, store.Credentials{PortID: other.Port1.ID, Token: other.Port1.Token})
	var me *store.MemberError
	if !errors.Is(err, store.ErrUnavailable) || errors.As(err, &me) {
		t.Errorf("add with too few replicas: %v, want ErrUnavailable, not the member's fault", err)
	}
	// A refusal is answered as such, not waited for.
	if _, err := two.AddMember(ctx, coll.ID, "wrong", member); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("add with a wrong collection token: %v", err)
	}
}

// flushAfterCall empties the server's functions right after the first
// FCALL sent alone once armed (a broadcast's member list), as a restart
// or a failover between that and the broadcast's pipeline would.
type flushAfterCall struct {
	other *goredis.Client
	armed *atomic.Bool
}

func (h flushAfterCall) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h flushAfterCall) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		if cmd.Name() == "fcall" && h.armed.CompareAndSwap(true, false) {
			if ferr := h.other.FunctionFlush(ctx).Err(); ferr != nil {
				return ferr
			}
		}
		return err
	}
}

func (h flushAfterCall) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// A broadcast that waits for replicas and finds its library gone from the
// server (a missing function, which ran nothing) loads it, sends the
// posts again, and waits for that, rather than reporting every member
// unavailable.
func TestWaitReplicasOnBroadcastWithoutScripts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	primary, _ := startReplicated(t)
	prefix := redistest.Prefix(t)
	plain := newStore(t, primary, redis.Options{Prefix: prefix})
	const members = 3
	coll := collectionOf(t, plain, members)
	c := primary.Client(t)
	armed := &atomic.Bool{}
	c.AddHook(flushAfterCall{primary.Client(t), armed})
	s, err := redis.New(ctx, c, redis.Options{
		Prefix:       prefix,
		WaitReplicas: 1,
		WaitTimeout:  2 * time.Second,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	armed.Store(true)
	res, err := s.Broadcast(ctx, coll.ID, coll.Token, store.Outgoing{Data: []byte(`"again"`)})
	if err != nil || len(res.Delivered) != members || len(res.Refused) != 0 {
		t.Fatalf("broadcast after the functions were flushed: %+v, %v; want every member delivered", res, err)
	}
}
