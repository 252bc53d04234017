package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/internal/notify"
)

// defaultListenerPing is how long the listener lets a connection stay
// silent before pinging it. A ping unanswered for as long again means the
// connection died without being closed (a peer that vanished, a NAT that
// forgot it), which no read would ever report: the listener subscribes
// on a new connection.
const defaultListenerPing = 15 * time.Second

// Bounds of the pause between attempts to subscribe again after a failure.
const (
	minListenerBackoff = 50 * time.Millisecond
	maxListenerBackoff = time.Second
)

// listener fans Redis's notices into the process's doorbells. It holds a
// sharded subscription (SSUBSCRIBE) to the notify channel of each channel
// tag that has a waiter in this process, and to no other, on one pub/sub
// connection per Redis node: a Cluster sends each notice only to the
// instances waiting for it, from the one node owning its slot. Waiters
// cost no connection; a waiter on a new tag costs one SSUBSCRIBE, and the
// last waiter leaving one SUNSUBSCRIBE.
//
// Subscribe returns once the port's tag is subscribed (see wait), so a
// read after it misses nothing, or fails. Whenever a tag's subscription is
// confirmed again (after a reconnection, after its slot moved) all its
// waiters are rung, since notices published while it was not in place are
// lost.
type listener struct {
	client goredis.UniversalClient
	prefix string
	hub    *notify.Hub
	log    *slog.Logger
	ping   time.Duration

	// poke wakes the manager: the wanted tags changed or a shard failed.
	poke chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	tags   map[string]*tagState // tags with waiters, and placed ones whose last waiter left
	placed map[string]*shard    // tag -> shard its SSUBSCRIBE went to
	shards map[string]*shard    // node address -> its shard
	failed bool                 // a shard failed since the manager's last pass
	down   bool                 // subscribing fails, until a subscription is confirmed
	closed bool
	done   chan struct{} // closed by close

	// dirty holds the tags whose waiters or placement changed since the
	// manager's last pass, the only ones a pass looks at: a pass over
	// every tag made opening N streams cost N² under this lock.
	dirty map[string]struct{}
	// looked counts the tags the manager's passes have looked at: a test
	// checks that a pass costs what changed, not what is subscribed.
	looked int
}

// tagState is what the listener knows of a tag with waiters. A placed tag
// whose last waiter left keeps its state, ports empty, until the manager
// unsubscribes it: a waiter that comes back meanwhile finds it live, where
// a new state would wait for a confirmation that was already given.
type tagState struct {
	ports map[string]struct{} // with waiters
	live  bool                // its subscription is confirmed
	ready chan struct{}       // closed when live
	lost  bool                // it was live: ring every port once live again
}

func newTagState() *tagState {
	return &tagState{ports: map[string]struct{}{}, ready: make(chan struct{})}
}

// unlive records that t's subscription is gone.
func (t *tagState) unlive() {
	if t.live {
		t.live = false
		t.lost = true
		t.ready = make(chan struct{})
	}
}

// shard is the pub/sub connection to one node. Its fields but ps are
// guarded by listener.mu.
//
// joining and leaving count, by tag, the SSUBSCRIBEs and SUNSUBSCRIBEs
// sent and not yet answered. Redis answers a connection's commands in
// order, so a tag dropped and wanted again at once (a stream that closes
// and reopens) has the replies of both in flight: the SUNSUBSCRIBE's must
// not be taken for the server's own (a slot that moved), and only the
// last SSUBSCRIBE's reply means the tag is subscribed.
type shard struct {
	addr    string
	ps      *goredis.PubSub
	tags    map[string]struct{}
	joining map[string]int
	leaving map[string]int
	dead    bool
}

// newListener returns a listener whose hub (its field) is the store's: the
// hub tells it which ports are waited on.
func newListener(client goredis.UniversalClient, prefix string, log *slog.Logger, ping time.Duration) *listener {
	l := &listener{
		client: client,
		prefix: prefix,
		log:    log,
		ping:   ping,
		poke:   make(chan struct{}, 1),
		tags:   make(map[string]*tagState),
		dirty:  make(map[string]struct{}),
		done:   make(chan struct{}),
		placed: make(map[string]*shard),
		shards: make(map[string]*shard),
	}
	l.hub = notify.NewWatched(l.watch)
	return l
}

// checkShardedPubSub refuses a Redis without SPUBLISH (before 7.0): the
// scripts would fail after their writes.
func checkShardedPubSub(ctx context.Context, c goredis.UniversalClient) error {
	info, err := c.Do(ctx, "COMMAND", "INFO", "SPUBLISH").Slice()
	if err != nil {
		return fmt.Errorf("redis store: look for SPUBLISH: %w", err)
	}
	if len(info) != 1 || info[0] == nil {
		return errors.New("redis store: this Redis has no sharded pub/sub (SPUBLISH); tincan needs Redis 7.0 or later")
	}
	return nil
}

// channel is the shard channel of tag T, where the scripts publish.
func (l *listener) channel(tag string) string {
	return keys{prefix: l.prefix}.notify(tag)
}

// tagOf returns the tag of a shard channel name (the prefix has no braces).
func tagOf(channel string) string {
	i := strings.IndexByte(channel, '{')
	j := strings.IndexByte(channel, '}')
	if i < 0 || j < i {
		return ""
	}
	return channel[i+1 : j]
}

// watch is the hub's hook. It only records the change, marks the tag for
// the manager's next pass and wakes it, since it runs under the hub's lock.
func (l *listener) watch(port string, watched bool) {
	tag := store.Tag(port)
	if tag == "" {
		return // not an id: nothing is ever published for it
	}
	l.mu.Lock()
	t := l.tags[tag]
	if watched {
		if t == nil {
			t = newTagState()
			l.tags[tag] = t
		}
		t.ports[port] = struct{}{}
	} else if t != nil {
		delete(t.ports, port)
		if len(t.ports) == 0 && l.placed[tag] == nil {
			delete(l.tags, tag)
		}
	}
	l.dirty[tag] = struct{}{}
	l.mu.Unlock()
	l.wake()
}

// errListenerClosed is what wait answers once the store is closed.
var errListenerClosed = fmt.Errorf("redis store closed: %w", store.ErrUnavailable)

// wait returns nil once the subscriptions for the tags of ports (which
// the hub already watches) are in place. It fails with
// store.ErrUnavailable when they are not within timeout (one bound for
// them all), and at once while subscribing is known to fail (Redis down:
// the caller's read would fail too); with ctx's error when ctx ends first.
// On an error the caller closes its subscription, so no port waits for a
// late confirmation.
func (l *listener) wait(ctx context.Context, timeout time.Duration, ports ...string) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errListenerClosed
	}
	var pending []<-chan struct{}
	for _, port := range ports {
		if t := l.tags[store.Tag(port)]; t != nil && !t.live {
			pending = append(pending, t.ready)
		}
	}
	down := l.down
	l.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	if down {
		return fmt.Errorf("subscribe: pub/sub is failing: %w", store.ErrUnavailable)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for _, r := range pending {
		select {
		case <-r:
		case <-l.done:
			return errListenerClosed
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("subscribe: not confirmed within %v: %w", timeout, store.ErrUnavailable)
		}
	}
	return nil
}

func (l *listener) wake() {
	select {
	case l.poke <- struct{}{}:
	default:
	}
}

// start runs the manager, which makes the subscriptions follow the
// wanted tags. close stops it.
func (l *listener) start(ctx context.Context) {
	l.wg.Add(1)
	go l.manage(ctx)
}

// close closes every connection and waits for the listener's goroutines;
// ctx given to start must be cancelled first.
func (l *listener) close() {
	l.mu.Lock()
	if !l.closed {
		close(l.done)
	}
	l.closed = true
	shards := slices.Collect(maps.Values(l.shards))
	l.shards = map[string]*shard{}
	l.mu.Unlock()
	for _, sh := range shards {
		_ = sh.ps.Close() // unblocks its reader
	}
	l.wg.Wait()
}

func (l *listener) manage(ctx context.Context) {
	defer l.wg.Done()
	backoff := minListenerBackoff
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.poke:
		}
		l.mu.Lock()
		failed := l.failed
		l.failed = false
		l.mu.Unlock()
		if failed {
			if sleep(ctx, backoff) != nil {
				return
			}
			backoff = min(2*backoff, maxListenerBackoff)
			// A node failed or a slot moved: learn the slots afresh.
			if cc, ok := l.client.(*goredis.ClusterClient); ok {
				cc.ReloadState(ctx)
			}
		} else {
			backoff = minListenerBackoff
		}
		err := l.reconcile(ctx)
		if err == nil {
			err = l.probe(ctx)
		}
		if err != nil && ctx.Err() == nil {
			l.log.Debug("redis store: subscribe", "err", err)
			l.mu.Lock()
			l.failed = true
			l.down = true
			l.mu.Unlock()
			l.wake()
		}
	}
}

// probe clears down once the server answers, when no subscription is
// left to do it. While down, wait turns every waiter away at once, so
// after an outage that ended every stream no tag stays wanted long enough
// to be subscribed, and no confirmation would ever come: Subscribe would
// answer "pub/sub is failing" long after Redis was back. The manager runs
// whenever a waiter comes (watch wakes it), so the next Subscribe after
// the server's return finds down cleared, or the one after it. A PING
// slower than maxListenerBackoff counts as failing: the manager tries
// again after its pause.
func (l *listener) probe(ctx context.Context) error {
	l.mu.Lock()
	idle := l.down && len(l.placed) == 0
	l.mu.Unlock()
	if !idle {
		return nil // not down, or a subscription's confirmation will tell
	}
	ctx, cancel := context.WithTimeout(ctx, maxListenerBackoff)
	defer cancel()
	if err := l.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	l.mu.Lock()
	if len(l.placed) == 0 {
		l.down = false
	}
	l.mu.Unlock()
	return nil
}

// placement is a tag's subscription on a shard.
type placement struct {
	sh  *shard
	tag string
}

// changes returns the waited-on tags that have no subscription, and takes
// out the subscriptions of the tags nobody waits on any more. It looks
// only at the dirty tags, and clears them: whoever changes a tag's waiters
// or placement marks it (watch, unplaced), and a pass that leaves a wanted
// tag unplaced marks it again (reconcile).
func (l *listener) changes() (add []string, drop []placement) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for tag := range l.dirty {
		l.looked++
		t := l.tags[tag]
		wanted := t != nil && len(t.ports) > 0
		sh, placed := l.placed[tag]
		switch {
		case wanted && !placed:
			add = append(add, tag)
		case !wanted && placed:
			drop = append(drop, placement{sh, tag})
			delete(l.placed, tag)
			delete(l.tags, tag)
			delete(sh.tags, tag)
			sh.leaving[tag]++
		}
	}
	// A new map rather than clear: a cleared map keeps its size, and
	// every later pass would walk the empty buckets of a burst of streams.
	l.dirty = make(map[string]struct{})
	return add, drop
}

// again marks tag for the manager's next pass, which a failure starts.
func (l *listener) again(tag string) {
	l.mu.Lock()
	l.dirty[tag] = struct{}{}
	l.mu.Unlock()
}

// reconcile unsubscribes the tags nobody waits on any more and subscribes
// the waited-on tags that have no subscription.
func (l *listener) reconcile(ctx context.Context) error {
	add, drop := l.changes()
	for _, d := range drop {
		// A failure shows in the shard's reader, which replaces it.
		_ = d.sh.ps.SUnsubscribe(ctx, l.channel(d.tag))
	}
	var errs []error
	down := make(map[string]bool)
	for _, tag := range add {
		node, addr, err := l.route(ctx, tag)
		if err != nil {
			l.again(tag)
			errs = append(errs, err)
			continue
		}
		if down[addr] {
			l.again(tag)
			continue
		}
		sh := l.shard(ctx, addr, node)
		if sh == nil {
			return nil // closing
		}
		l.mu.Lock()
		t := l.tags[tag]
		wanted := t != nil && len(t.ports) > 0
		ok := wanted && !sh.dead
		if ok {
			// Placed before subscribing: the confirmation must find it.
			l.placed[tag] = sh
			sh.tags[tag] = struct{}{}
			sh.joining[tag]++
		} else if wanted {
			l.dirty[tag] = struct{}{} // its shard died: the next pass tries again
		}
		l.mu.Unlock()
		if !ok {
			if sh.dead {
				errs = append(errs, fmt.Errorf("node %s failed", addr))
			}
			continue
		}
		if err := sh.ps.SSubscribe(ctx, l.channel(tag)); err != nil {
			down[addr] = true
			l.fail(sh)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// route returns the client of the node owning tag's notify channel and
// that node's address: on a Cluster the master of the slot, elsewhere the
// one client (a Sentinel client follows the current primary itself).
func (l *listener) route(ctx context.Context, tag string) (goredis.UniversalClient, string, error) {
	cc, ok := l.client.(*goredis.ClusterClient)
	if !ok {
		return l.client, "", nil
	}
	node, err := cc.MasterForKey(ctx, l.channel(tag))
	if err != nil {
		return nil, "", err
	}
	return node, node.Options().Addr, nil
}

// shard returns the shard of the node at addr, making it (and starting its
// reader) if there is none; nil once the listener is closing.
func (l *listener) shard(ctx context.Context, addr string, node goredis.UniversalClient) *shard {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || ctx.Err() != nil {
		return nil
	}
	if sh := l.shards[addr]; sh != nil {
		return sh
	}
	// Without channels this makes no connection yet; the reader's first
	// receive dials.
	sh := &shard{addr: addr, ps: node.SSubscribe(ctx), tags: make(map[string]struct{}),
		joining: make(map[string]int), leaving: make(map[string]int)}
	l.shards[addr] = sh
	l.wg.Add(1)
	go l.read(ctx, sh)
	return sh
}

// fail retires a shard whose connection broke, closes it, and has the
// manager subscribe its tags again (on whichever node owns them now).
// go-redis would reconnect by itself, but it resubscribes all of a
// connection's shard channels in one command, which a Cluster refuses when
// they span slots; a fresh connection subscribes them one by one.
func (l *listener) fail(sh *shard) {
	l.mu.Lock()
	if sh.dead {
		l.mu.Unlock()
		return
	}
	sh.dead = true
	if l.shards[sh.addr] == sh {
		delete(l.shards, sh.addr)
	}
	for tag := range sh.tags {
		if l.placed[tag] == sh {
			delete(l.placed, tag)
			l.unplaced(tag)
		}
	}
	sh.tags = nil
	l.failed = true
	l.down = true
	l.mu.Unlock()
	_ = sh.ps.Close()
	l.wake()
}

// read is a shard's reader: it hands every notice to the waiters of the
// port it names, rings a tag's waiters whenever its subscription is confirmed,
// and retires the shard when its connection fails or stays silent.
func (l *listener) read(ctx context.Context, sh *shard) {
	defer l.wg.Done()
	pinged := false
	for {
		m, err := sh.ps.ReceiveTimeout(ctx, l.ping)
		if ctx.Err() != nil {
			return
		}
		var netErr net.Error
		switch {
		case err != nil && errors.As(err, &netErr) && netErr.Timeout():
			if !pinged {
				// An error here shows in the next receive.
				_ = sh.ps.Ping(ctx)
				pinged = true
				continue
			}
			l.log.Warn("redis store: pub/sub connection silent; subscribing again", "node", sh.addr)
			l.fail(sh)
			return
		case err != nil:
			l.log.Debug("redis store: pub/sub receive", "node", sh.addr, "err", err)
			l.fail(sh)
			return
		}
		pinged = false
		switch m := m.(type) {
		case *goredis.Message:
			l.hub.Push(parseNotice(m.Payload))
		case *goredis.Subscription:
			switch m.Kind {
			case "ssubscribe":
				l.confirmed(sh, tagOf(m.Channel))
			case "sunsubscribe":
				l.unsubscribed(sh, tagOf(m.Channel))
			}
		}
	}
}

// confirmed handles an SSUBSCRIBE reply: the tag is live, and when it was
// live before, every port of it is rung: notices may have been missed.
func (l *listener) confirmed(sh *shard, tag string) {
	l.mu.Lock()
	if n := sh.joining[tag]; n > 1 {
		sh.joining[tag] = n - 1
		l.mu.Unlock()
		return // a later SSUBSCRIBE of the tag waits for its own reply
	}
	delete(sh.joining, tag)
	t := l.tags[tag]
	if t == nil || t.live || l.placed[tag] != sh {
		l.mu.Unlock()
		return // unwanted meanwhile, or an SSUBSCRIBE sent again
	}
	t.live = true
	l.down = false
	close(t.ready)
	var ports []string
	if t.lost {
		ports = slices.Collect(maps.Keys(t.ports))
	}
	t.lost = false
	l.mu.Unlock()
	for _, p := range ports {
		l.hub.Notify(p)
	}
}

// unsubscribed handles an SUNSUBSCRIBE reply. Unless it answers our own
// SUNSUBSCRIBE, for a tag placed on this shard it is the server's doing
// (its slot moved to another node): the tag is subscribed again, wherever
// it lives now.
func (l *listener) unsubscribed(sh *shard, tag string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := sh.leaving[tag]; n > 0 {
		if n == 1 {
			delete(sh.leaving, tag)
		} else {
			sh.leaving[tag] = n - 1
		}
		return
	}
	if l.placed[tag] != sh {
		return // placed elsewhere since, or unwanted
	}
	delete(l.placed, tag)
	delete(sh.tags, tag)
	l.unplaced(tag)
	l.failed = true
	l.wake()
}

// unplaced records that tag's subscription is gone, forgets the tag if
// nobody waits on it, and marks it for the manager's next pass, which
// subscribes it again if somebody does. l.mu must be held.
func (l *listener) unplaced(tag string) {
	l.dirty[tag] = struct{}{}
	t := l.tags[tag]
	if t == nil {
		return
	}
	t.unlive()
	if len(t.ports) == 0 {
		delete(l.tags, tag)
	}
}
