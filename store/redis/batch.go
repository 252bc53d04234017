package redis

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Group commit: the ops of concurrent calls for the same node and wait
// flag go to Redis together, one pipeline (one write, one read, and for a
// wait one WAIT) for all of them, rather than one round trip per call on a
// connection of its own.
//
// A route's ops (exec's round) go through the batcher of their node and
// wait flag. With fewer than defaultBatchInFlight round trips of that
// batcher in flight, a call sends its own ops at once, on its own
// goroutine and context, exactly as without batching: a lone call waits
// for nothing. Otherwise the call queues its ops; when a round trip in
// flight ends, a sender goroutine takes everything queued (up to
// batchMaxOps ops or batchMaxBytes bytes, whole calls in the order they
// came) and sends it as one route, again and again until the queue is
// empty, then ends. So the queue fills exactly while Redis is busy with
// the round trips before, and nothing ever waits on a timer (centrifuge's
// "smart batching": take the first, then whatever else is already there).
//
// Each op keeps its own answer: the pipeline gives each command its own
// reply or error, send falls back to EVAL per op refused with NOSCRIPT,
// and confirm fences each durable op against the batch's one WAIT. A
// batch is sent on a context of its own (the store's time bound, and the
// values of the first call's context), so that a caller who gives up
// takes nothing down with it: it gets its answer at once (not unknown if
// its ops were still queued, which are then never sent; unknown if they
// were taken), and the others get theirs. A queued call gives up by
// itself at the store's time bound, counted from when it queued, so that
// it answers no later than a call sent at once would. One thing is new
// for callers: a call that gave up once its ops were taken may have them
// written to Redis after it returned, so the bytes of an op's arguments
// must not be reused after exec (none are: a post's data is its own).

// defaultBatchInFlight is how many round trips one batcher has in flight
// at once (Store.batchInFlight, changed only by benchmarks); calls beyond
// queue. Two, not one: a stream's poster and its reader's acknowledgement
// (S1 of cmd/bench) then both go at once, as without batching, where with
// one the second waited for the first's round trip and a sender's
// goroutine, for a batch of two (cmd/bench S1 fell from 0.51× the relay
// to 0.35–0.39×); under load the batches are half as big, and as cheap
// for Redis per op (docs/PERFORMANCE.md).
const defaultBatchInFlight = 2

// batchMaxOps and batchMaxBytes bound one batch, so that a burst does not
// make one huge pipeline that every call in it waits for. A single call
// bigger than that (a broadcast) still goes whole, alone.
const (
	batchMaxOps   = 128
	batchMaxBytes = 1 << 20
)

// batchKey is what the ops of one batch share: a route's group and wait.
type batchKey struct {
	group goredis.UniversalClient
	wait  bool
}

// batcher queues the ops of calls for one node and wait flag.
type batcher struct {
	key batchKey
	// via is what a batch goes through: the client, or for a wait the
	// group, the primary itself.
	via goredis.UniversalClient

	mu       sync.Mutex
	inFlight int     // round trips in flight: calls' own and senders'
	queue    []*call // calls waiting, in order
}

// call is one call's ops for a batcher, and their results.
type call struct {
	ctx   context.Context
	ops   []op
	bytes int
	res   []result      // written by the sender before done closes
	done  chan struct{} // closed once res holds every op's result
}

// batcher returns the batcher of rt's group and wait, made on first use.
func (s *Store) batcher(rt *route) *batcher {
	k := batchKey{rt.group, rt.wait}
	if b, ok := s.batchers.Load(k); ok {
		return b.(*batcher)
	}
	b, _ := s.batchers.LoadOrStore(k, &batcher{key: k, via: rt.node})
	return b.(*batcher)
}

// submit sends rt's ops, alone or in a batch with other calls' (see
// above), and sets their results in res.
func (s *Store) submit(ctx context.Context, rt *route, ops []op, res []result) {
	b := s.batcher(rt)
	b.mu.Lock()
	if b.inFlight < s.batchInFlight && len(b.queue) == 0 {
		b.inFlight++
		b.mu.Unlock()
		defer s.handOn(b) // even if send panics, or every later call would queue for good
		s.send(ctx, rt, ops, res)
		return
	}
	c := &call{ctx: ctx, ops: make([]op, len(rt.ops)), done: make(chan struct{})}
	for j, i := range rt.ops {
		c.ops[j] = ops[i]
		c.bytes += ops[i].size()
	}
	b.queue = append(b.queue, c)
	b.mu.Unlock()

	// A queued call answers within the same bound as one sent at once.
	var extra time.Duration
	if rt.wait {
		extra = s.waitTimeout
	}
	ctx, cancel := s.bound(ctx, extra)
	defer cancel()
	select {
	case <-c.done:
	case <-ctx.Done():
		select {
		case <-c.done: // answered as the caller gave up: take the answer
		default:
			unknown := !b.withdraw(c)
			for _, i := range rt.ops {
				res[i].err, res[i].unknown = s.wrap(ctx, ctx.Err()), unknown
			}
			return
		}
	}
	for j, i := range rt.ops {
		res[i].val, res[i].err, res[i].unknown = c.res[j].val, c.res[j].err, c.res[j].unknown
	}
}

// withdraw takes c out of the queue, and reports whether it was still
// there: if not, a sender has taken it, and it is sent or being sent.
func (b *batcher) withdraw(c *call) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for j, q := range b.queue {
		if q == c {
			copy(b.queue[j:], b.queue[j+1:])
			b.queue[len(b.queue)-1] = nil
			b.queue = b.queue[:len(b.queue)-1]
			return true
		}
	}
	return false
}

// handOn ends a round trip of b: what queued meanwhile goes on with a
// sender of its own, which keeps the round trip's place in flight.
func (s *Store) handOn(b *batcher) {
	b.mu.Lock()
	if len(b.queue) == 0 {
		b.inFlight--
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	s.senders.start()
	go s.drain(b)
}

// drain sends b's queue, a batch at a time, until it finds it empty.
func (s *Store) drain(b *batcher) {
	defer s.senders.end()
	for {
		b.mu.Lock()
		batch := b.take()
		if len(batch) == 0 {
			b.inFlight--
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		s.sendBatch(b, batch)
	}
}

// take removes from the queue and returns the calls of the next batch:
// whole calls, in order, within the bounds (but always the first).
func (b *batcher) take() []*call {
	n, ops, bytes := 0, 0, 0
	for ; n < len(b.queue); n++ {
		c := b.queue[n]
		if n > 0 && (ops+len(c.ops) > batchMaxOps || bytes+c.bytes > batchMaxBytes) {
			break
		}
		ops, bytes = ops+len(c.ops), bytes+c.bytes
	}
	if n == 0 {
		return nil
	}
	batch := append([]*call(nil), b.queue[:n]...)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	return batch
}

// sendBatch sends the ops of calls as one route of b's, and answers each
// call.
func (s *Store) sendBatch(b *batcher, calls []*call) {
	var ops []op
	for _, c := range calls {
		ops = append(ops, c.ops...)
	}
	res := make([]result, len(ops))
	rt := &route{node: b.via, group: b.key.group, wait: b.key.wait, ops: make([]int, len(ops))}
	for i := range rt.ops {
		rt.ops[i] = i
	}
	if rt.wait {
		rt.replicas = s.replicasToWait(rt.node)
	}
	// The batch is no caller's: a caller giving up must not cut it short
	// for the others. It keeps the first caller's values (a trace, say).
	s.send(context.WithoutCancel(calls[0].ctx), rt, ops, res)
	for _, c := range calls {
		c.res, res = res[:len(c.ops):len(c.ops)], res[len(c.ops):]
		close(c.done)
	}
}

// size is about how many bytes the op puts on the wire, for batchMaxBytes.
func (o op) size() int {
	n := 0
	for _, k := range o.keys {
		n += len(k)
	}
	for _, a := range o.args {
		switch a := a.(type) {
		case string:
			n += len(a)
		case []byte:
			n += len(a)
		case json.RawMessage:
			n += len(a)
		default:
			n += 8
		}
	}
	return n
}

// senders counts the batch senders running, so that Close can wait for
// them: each ends within a round trip's bound once its queue is empty.
type senders struct {
	mu   sync.Mutex
	n    int
	idle *sync.Cond
}

func (w *senders) start() {
	w.mu.Lock()
	w.n++
	w.mu.Unlock()
}

func (w *senders) end() {
	w.mu.Lock()
	w.n--
	if w.n == 0 && w.idle != nil {
		w.idle.Broadcast()
	}
	w.mu.Unlock()
}

// wait returns once no sender runs.
func (w *senders) wait() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.idle == nil {
		w.idle = sync.NewCond(&w.mu)
	}
	for w.n > 0 {
		w.idle.Wait()
	}
}
