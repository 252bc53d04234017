package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/migrations"
	"github.com/tincan-dev/tincan/store"
)

// Defaults for Options.
const (
	// DefaultPrefix starts every key and the notify channel.
	DefaultPrefix = "tincan:"
	// DefaultMoveTimeout is how long a port may stay locked by a move in a
	// message before anyone may abort the move.
	DefaultMoveTimeout = 10 * time.Second
	// DefaultSweepInterval is how often the sweeper settles abandoned moves.
	DefaultSweepInterval = 2 * time.Second
	// DefaultTimeout bounds each round trip to Redis.
	DefaultTimeout = 2 * time.Second
	// DefaultWaitTimeout bounds the wait for replicas when WaitReplicas is
	// set.
	DefaultWaitTimeout = time.Second
)

// decisionTTL is how long a move's decision key outlives the move: far
// longer than a lock can stay unsettled while any instance is running.
const decisionTTL = 24 * time.Hour

// Options configure a Store. The zero value of a field means its default.
type Options struct {
	// Prefix starts every key name and the pub/sub channel, so that
	// several deployments (or tests) can share a Redis. It may not contain
	// '{' or '}', which would break the channels' hash tags.
	Prefix string
	Limits store.Limits
	Logger *slog.Logger
	// MoveTimeout bounds a move in a message (see the package doc).
	MoveTimeout time.Duration
	// SweepInterval is how often abandoned moves are looked for.
	SweepInterval time.Duration
	// Timeout bounds each round trip to Redis (see durability.go), and
	// Subscribe's wait for Redis to confirm a subscription; past it the
	// call fails with store.ErrUnavailable.
	Timeout time.Duration
	// WaitReplicas, when above zero, makes a post (and a channel's
	// creation, a port's transfer, a collection's creation or a member's
	// addition) succeed only once that many replicas have its write,
	// and a read hand out only what that many replicas hold, waiting up
	// to WaitTimeout (see durability.go). WaitAll waits for every
	// replica a failover could promote (see replicas.go).
	WaitReplicas int
	// WaitTimeout bounds the wait for replicas.
	WaitTimeout time.Duration
	// Sentinel, with a client from goredis.NewFailoverClient, is the
	// options that client was made with: the store asks the sentinels
	// for the master's replicas. Without it a failover client's replicas
	// are counted as a single server's.
	Sentinel *goredis.FailoverOptions
	// CheckInterval is how often the store counts replicas (when
	// WaitReplicas is set) and looks for evicted keys (see watch.go).
	CheckInterval time.Duration

	// listenerPing is defaultListenerPing, shortened by tests.
	listenerPing time.Duration
	// luaSource reads a file under lua/ by name for the library; nil
	// reads the build's own. Tests give a changed script, to run two
	// versions of the library side by side.
	luaSource func(name string) string
}

// Store is the Redis store. It is safe for concurrent use.
type Store struct {
	client        goredis.UniversalClient
	cluster       bool // client is a *goredis.ClusterClient
	keys          keys
	limits        store.Limits
	log           *slog.Logger
	moveTimeout   time.Duration
	sweepInterval time.Duration
	scripts       *scripts
	postLimits    postLimits
	timeout       time.Duration
	waitReplicas  int
	waitTimeout   time.Duration

	// moveHook is nil but in tests, which stop moves dead with it (see
	// move.go).
	moveHook func(ctx context.Context, m *move, done moveStep) error

	// watch counts replicas and evictions in the background (watch.go).
	watch *watcher

	// batchers group concurrent calls' ops by node and wait flag
	// (batch.go), a *batcher per batchKey; senders counts their goroutines.
	batchers      sync.Map
	senders       senders
	batchInFlight int
	// trips counts round trips sent (pipe), for tests.
	trips atomic.Int64

	listenerPing time.Duration
	listener     *listener
	stop         context.CancelFunc
	wg           sync.WaitGroup
	closeOnce    sync.Once
}

var _ store.Store = (*Store)(nil)

// New returns a Store on client, after bringing the key schema up to
// migrations.Version. It refuses a schema newer than this build. It starts
// the pub/sub listener, the sweeper of abandoned moves and the watcher of
// replicas and evictions (after its first look); Close stops them. The
// client stays the caller's to close, after the Store.
func New(ctx context.Context, client goredis.UniversalClient, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	_, cluster := client.(*goredis.ClusterClient)
	s := &Store{
		client:        client,
		cluster:       cluster,
		keys:          keys{prefix: opts.Prefix},
		limits:        opts.Limits.WithDefaults(),
		log:           opts.Logger,
		moveTimeout:   opts.MoveTimeout,
		sweepInterval: opts.SweepInterval,
		listenerPing:  opts.listenerPing,
		timeout:       opts.Timeout,
		waitReplicas:  opts.WaitReplicas,
		waitTimeout:   opts.WaitTimeout,
		scripts:       loadScripts(opts.luaSource),
		postLimits:    newPostLimits(opts.Limits.WithDefaults()),
		listener:      newListener(client, opts.Prefix, opts.Logger, opts.listenerPing),
		batchInFlight: defaultBatchInFlight,
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if err := checkShardedPubSub(ctx, client); err != nil {
		return nil, err
	}
	if err := s.scripts.lib.load(ctx, client); err != nil {
		return nil, s.wrap(ctx, err)
	}
	s.watch = newWatcher(client, opts)
	if err := s.watch.first(ctx); err != nil {
		s.watch.counter.close()
		return nil, s.wrap(ctx, err)
	}
	bg, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.listener.start(bg)
	s.wg.Add(2)
	go s.sweep(bg)
	go s.watch.run(bg, &s.wg)
	return s, nil
}

// withDefaults fills in the defaults of the options left zero, and
// refuses a prefix that would break the keys' hash tags.
func (opts Options) withDefaults() (Options, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return opts, fmt.Errorf("redis store: prefix %q may not contain '{' or '}'", opts.Prefix)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MoveTimeout <= 0 {
		opts.MoveTimeout = DefaultMoveTimeout
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = DefaultSweepInterval
	}
	if opts.listenerPing <= 0 {
		opts.listenerPing = defaultListenerPing
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = DefaultWaitTimeout
	}
	if opts.CheckInterval <= 0 {
		opts.CheckInterval = DefaultCheckInterval
	}
	return opts, nil
}

// Close stops the listener, the sweeper and the watcher, and waits for
// them and for the senders of batches under way (batch.go).
// Subscriptions stop ringing. It does not close the client.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.listener.close()
		s.wg.Wait()
		s.senders.wait()
	})
	return nil
}

// Ready reports whether Redis answers and holds the schema this build
// expects. A schema behind this build's (a Redis that lost its data, say,
// which is then simply empty) is migrated first; a newer one is not ready.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.exec(ctx, command("ping"))[0].err; err != nil {
		return err
	}
	v, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if v < migrations.Version {
		if err := s.migrate(ctx); err != nil {
			return err
		}
		if v, err = s.schemaVersion(ctx); err != nil {
			return err
		}
	}
	if v != migrations.Version {
		return fmt.Errorf("redis store: schema version %d, this build needs %d", v, migrations.Version)
	}
	return nil
}

// Subscribe returns one doorbell for all of portIDs, once the listener is
// subscribed to each port's channel (see listener.go). It costs no Redis
// connection of its own, nor a goroutine. A subscription not confirmed
// within Options.Timeout, the bound of any round trip, is
// store.ErrUnavailable, at once while subscribing is known to fail.
func (s *Store) Subscribe(ctx context.Context, portIDs ...string) (*store.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sub := s.listener.hub.Subscribe(portIDs...)
	if err := s.listener.wait(ctx, s.timeout, portIDs...); err != nil {
		sub.Close()
		return nil, err
	}
	return sub, nil
}

// CreateChannel makes a channel. On the rare clash of tags with an
// existing channel it draws new ids.
func (s *Store) CreateChannel(ctx context.Context, creator string) (store.NewChannel, error) {
	for range 5 {
		id, p1, p2, err := store.NewChannelIDs(time.Now())
		if err != nil {
			return store.NewChannel{}, err
		}
		t1, t2 := store.NewToken(), store.NewToken()
		r, err := s.exec(ctx, scriptOp(s.scripts.create, durable, s.keys.forTag(store.Tag(id)).list(),
			id, p1, p2, store.HashToken(t1), store.HashToken(t2), s.ttlMs(), creator))[0].reply()
		if err != nil {
			return store.NewChannel{}, err
		}
		if r.status() == stClash {
			continue
		}
		if r.status() != stOK {
			return store.NewChannel{}, fmt.Errorf("create channel: unexpected status %q", r.status())
		}
		return store.NewChannel{
			ID:        id,
			CreatedAt: msTime(r.str(1)),
			Port1:     store.PortCredentials{ID: p1, Token: t1},
			Port2:     store.PortCredentials{ID: p2, Token: t2},
		}, nil
	}
	return store.NewChannel{}, errors.New("create channel: channel ids kept clashing")
}

// Describe returns what the holder of a port may know about it.
func (s *Store) Describe(ctx context.Context, port store.Credentials) (store.PortInfo, error) {
	r, err := s.exec(ctx, s.portOp(s.scripts.describe, settles, port))[0].ok()
	if err != nil {
		return store.PortInfo{}, err
	}
	info := store.PortInfo{
		ID:        port.PortID,
		ChannelID: r.str(1),
		Peer:      r.str(2),
		State:     store.State(r.str(3)),
		CreatedAt: msTime(r.str(4)),
		ClosedAt:  msTime(r.str(5)),
		Creator:   r.str(11),
	}
	if info.LastID, err = store.ParseEventID(r.str(6)); err != nil {
		return store.PortInfo{}, err
	}
	if info.Acked, err = store.ParseEventID(r.str(7)); err != nil {
		return store.PortInfo{}, err
	}
	if n, ok := r[8].(int64); ok {
		info.Queued = int(n)
	}
	if info.Posted, err = strconv.ParseInt(r.str(9), 10, 64); err != nil {
		return store.PortInfo{}, fmt.Errorf("port %s: posted: %w", port.PortID, err)
	}
	if info.Acknowledged, err = strconv.ParseInt(r.str(10), 10, 64); err != nil {
		return store.PortInfo{}, fmt.Errorf("port %s: acknowledged: %w", port.PortID, err)
	}
	if info.QueuedBytes, err = strconv.ParseInt(r.str(12), 10, 64); err != nil {
		return store.PortInfo{}, fmt.Errorf("port %s: queued bytes: %w", port.PortID, err)
	}
	return info, nil
}

func (s *Store) ttlMs() int64 { return s.limits.ChannelTTL.Milliseconds() }

// msTime converts unix milliseconds in a string; "" is the zero time.
func msTime(ms string) time.Time {
	n, err := strconv.ParseInt(ms, 10, 64)
	if ms == "" || err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}
