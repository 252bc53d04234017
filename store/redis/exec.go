package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
)

// flags say what exec does for an op besides sending it.
type flags uint8

const (
	// durable: the op's success is an answer the client keeps (a
	// message's id, a new token, a new channel), or messages a reader
	// gets, not to be given before the replicas have it. With
	// Options.WaitReplicas set, exec sends it with WAIT on its primary's
	// connection, and fences an answer marked as written before (see
	// durability.go).
	durable flags = 1 << iota
	// settles: a 'locked' reply (a move holds the port) makes exec settle
	// the move (settle.go) and send the op again, a few times; a move
	// still live after that leaves 'locked', which result.ok answers as
	// store.ErrBusy.
	settles
)

// op is one Redis operation of the store: a script run, or a plain
// command (script nil, args the command), and its flags.
type op struct {
	script *script
	keys   []string
	args   []any
	flags  flags
	// about is what the op's refusals are about.
	about subject
	// refused is set when the op cannot be sent (a port id that is no
	// id): exec answers it without a round trip, so that callers build,
	// exec and decode without a check in between.
	refused error
}

// scriptOp runs sc on keys with ARGV args.
func scriptOp(sc *script, f flags, keys []string, args ...any) op {
	return op{script: sc, keys: keys, args: args, flags: f}
}

// command is a plain Redis command: args as for go-redis's Do.
func command(args ...any) op { return op{args: args} }

// channelOp runs a channel script on the channel of portID, whose four
// keys are KEYS[1..4], with more after them, and with ARGV argv as it is.
func (s *Store) channelOp(sc *script, f flags, portID string, argv []any, more ...string) op {
	o := op{script: sc, args: argv, flags: f, about: subject{"port", portID}}
	ck, ok := s.keys.forPort(portID)
	if !ok {
		o.refused = fmt.Errorf("port %q: %w", portID, store.ErrUnauthorized)
		return o
	}
	o.keys = append(ck.list(), more...)
	return o
}

// portOp is channelOp on behalf of port's holder: ARGV is the port id, the
// presented token's hash, then args.
func (s *Store) portOp(sc *script, f flags, port store.Credentials, args ...any) op {
	return s.channelOp(sc, f, port.PortID, append([]any{port.PortID, store.HashToken(port.Token)}, args...))
}

// collOp runs a collection script on collection id on behalf of token's
// holder: ARGV is the token's hash, then args.
func (s *Store) collOp(sc *script, f flags, id, token string, args ...any) op {
	o := op{script: sc, keys: s.keys.collection(id), flags: f, about: subject{"collection", id},
		args: append([]any{store.HashToken(token)}, args...)}
	if !store.ValidID(id) {
		o.refused = fmt.Errorf("collection %q: %w", id, store.ErrUnauthorized)
	}
	return o
}

// subject is what an op is about, for its errors ("port <id>"): kept in
// parts, since it is put together only for an error.
type subject struct{ kind, id string }

func (s subject) String() string { return s.kind + " " + s.id }

// result is what exec answers for one op.
type result struct {
	val any   // the answer, as go-redis gives it
	err error // Redis's error (see wrap), a write short of its replicas, or the op's refusal
	// unknown is set with err when the op was sent and what it did is not
	// known: no answer came in time, or the connection failed, or Redis
	// answered an error (a script can fail after a write, and go-redis
	// may have sent the op before, unanswered), or, waiting for
	// replicas, the write stands on the primary but too few replicas
	// confirmed it. An op refused before it was sent (a port that is no
	// id, a primary that could not be found, a move that could not be
	// settled) is not unknown: it did nothing.
	unknown bool
	// about is the op's.
	about subject
}

// reply returns the answer as a status reply.
func (r result) reply() (reply, error) {
	if r.err != nil {
		return nil, r.err
	}
	return asReply(r.val)
}

// ok returns the reply when its status is 'ok', else the status's store
// error (status.go).
func (r result) ok() (reply, error) {
	rep, err := r.reply()
	if err != nil {
		return nil, err
	}
	if rep.status() != stOK {
		return nil, statusError(r.about, rep.status())
	}
	return rep, nil
}

// text returns an answer that is a string (decide.lua's, say).
func (r result) text() (string, error) {
	if r.err != nil {
		return "", r.err
	}
	v, ok := r.val.(string)
	if !ok {
		return "", fmt.Errorf("redis store: unexpected answer %v", r.val)
	}
	return v, nil
}

// locked reports whether the answer is a 'locked' reply.
func (r result) locked() bool {
	rep, err := r.reply()
	return err == nil && rep.status() == stLocked
}

// exec runs ops and returns their results in order. It alone sends the
// store's commands to Redis, and owns everything around that: the time
// bound of each round trip; FCALL of the library's functions (loading the
// library where it is missing), EVALSHA and EVAL of other scripts;
// pipelining (one round trip per route, see routes); waiting for
// replicas; and settling the moves that hold the ports of settling ops,
// after which those ops go again, in a round of their own.
func (s *Store) exec(ctx context.Context, ops ...op) []result {
	res := make([]result, len(ops))
	todo := make([]int, 0, len(ops))
	for i, o := range ops {
		res[i].about = o.about
		if o.refused != nil {
			res[i].err = o.refused
			continue
		}
		todo = append(todo, i)
	}
	for attempt := 0; len(todo) > 0; attempt++ {
		s.round(ctx, ops, todo, res)
		todo = s.settleLocked(ctx, ops, todo, res, attempt)
	}
	return res
}

// route is where some ops of a round go, in one round trip.
type route struct {
	// node is the client, or for a wait the primary owning the ops' keys.
	node goredis.UniversalClient
	// group is what the route's batcher is keyed by with wait (batch.go):
	// node, but on a Cluster the primary owning the ops' keys for ops
	// sent through the client too, so that a node that stalls holds up
	// no batch of the others'.
	group goredis.UniversalClient
	// wait: the ops are durable and the store waits for replicas: WAIT
	// for replicas of them ends the round trip.
	wait     bool
	replicas int
	ops      []int
}

// round sends the ops at todo, one round trip per route, the routes
// concurrently, each in a batch with other calls' ops for the same node
// and wait flag (batch.go), and sets their results.
func (s *Store) round(ctx context.Context, ops []op, todo []int, res []result) {
	if len(todo) == 1 && !s.cluster && (ops[todo[0]].flags&durable == 0 || !s.waits()) {
		// The common case, one op through the client, needs no routing.
		s.submit(ctx, &route{node: s.client, group: s.client, ops: todo}, ops, res)
		return
	}
	routes := s.routes(ctx, ops, todo, res)
	if len(routes) == 1 {
		s.submit(ctx, routes[0], ops, res)
		return
	}
	var wg sync.WaitGroup
	for _, rt := range routes {
		wg.Go(func() { s.submit(ctx, rt, ops, res) })
	}
	wg.Wait()
}

// routes sorts the ops at todo by where they go: the ops that wait for
// replicas by the primary owning their keys (WAIT counts the replicas of
// one connection's writes), everything else through the client, which
// on a Cluster redirects a command whose slot moved; there they go in a
// route per primary all the same (see route.group), and ops without
// keys, or whose primary is not known now, in one of their own.
func (s *Store) routes(ctx context.Context, ops []op, todo []int, res []result) []*route {
	var out []*route
	type where struct {
		group goredis.UniversalClient
		wait  bool
	}
	var by map[where]*route
	for _, i := range todo {
		w := where{group: s.client, wait: ops[i].flags&durable != 0 && s.waits()}
		if w.wait || (s.cluster && len(ops[i].keys) > 0) {
			node, err := s.primaryFor(ctx, ops[i].keys[0])
			switch {
			case err == nil:
				w.group = node
			case w.wait:
				res[i].err = s.wrap(ctx, err)
				continue
			}
		}
		rt := by[w]
		if rt == nil {
			rt = &route{node: s.client, group: w.group, wait: w.wait}
			if w.wait {
				rt.node, rt.replicas = w.group, s.replicasToWait(w.group)
			}
			if by == nil {
				by = map[where]*route{}
			}
			by[w] = rt
			out = append(out, rt)
		}
		rt.ops = append(rt.ops, i)
	}
	return out
}

// send sends a route's ops in one round trip, within the store's time
// bound (and WaitTimeout, for a wait), and sets their results. A server
// can lose its scripts at any time (a restart, a failover, SCRIPT or
// FUNCTION FLUSH): the ops refused for it (NOSCRIPT, a missing function),
// which ran nothing, go again, with their whole text or after the store's
// library is loaded, in a second round trip (with a WAIT of its own).
// The route may be a batch of several calls' ops (batch.go): each op's
// result is its own.
func (s *Store) send(ctx context.Context, rt *route, ops []op, res []result) {
	var extra time.Duration
	if rt.wait {
		extra = s.waitTimeout
	}
	ctx, cancel := s.bound(ctx, extra)
	defer cancel()
	s.preload(ctx, ops, rt.ops)
	if again := s.sendOnce(ctx, rt, ops, rt.ops, res, true); len(again) > 0 {
		s.sendOnce(ctx, rt, ops, again, res, false)
	}
}

// bound limits one round trip to Redis to the store's timeout (plus extra,
// for a round trip that waits on purpose), or the caller's deadline when
// that comes first. The go-redis client should have its dial, read and
// write timeouts set as well, and ContextTimeoutEnabled, so that the
// deadline reaches the socket; without it a call still returns at the
// client's read timeout.
func (s *Store) bound(ctx context.Context, extra time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout+extra)
}

// sendOnce sends the ops at idx to rt's node once, the library's
// functions with FCALL, other scripts with EVALSHA (sha) or EVAL, and sets
// their results, but for the ops that found their script missing, which
// it returns (after loading the library, if they miss it).
func (s *Store) sendOnce(ctx context.Context, rt *route, ops []op, idx []int, res []result, sha bool) (noScript []int) {
	cmds, wait := s.pipe(ctx, rt, ops, idx, sha)
	noFunction := false
	for j, i := range idx {
		v, err := cmds[j].Result()
		if sha && ops[i].script != nil && s.scriptMissing(ops[i].script, err) {
			noFunction = noFunction || ops[i].script.fn != ""
			noScript = append(noScript, i)
			continue
		}
		res[i].val, res[i].err = v, s.wrap(ctx, err)
		res[i].unknown = err != nil && !errors.Is(err, goredis.Nil)
		if rt.wait && err == nil {
			res[i].err = s.confirm(ctx, rt, ops[i], v, wait)
			res[i].unknown = res[i].err != nil
		}
	}
	if noFunction {
		if err := s.scripts.lib.reload(ctx, s.client); err != nil {
			// Sent again, they meet the same answer, which they keep.
			s.log.Warn("redis store: cannot load the library", "err", err)
		}
	}
	return noScript
}

// scriptMissing reports whether err is the refusal of an op whose script
// the server lacks (which ran nothing), and forgets sc was loaded.
func (s *Store) scriptMissing(sc *script, err error) bool {
	if sc.fn != "" {
		if !missingFunction(err) {
			return false
		}
		s.scripts.lib.loaded.Store(false)
		return true
	}
	if !goredis.HasErrorPrefix(err, "NOSCRIPT") {
		return false
	}
	sc.loaded.Store(false)
	return true
}

// pipe sends the ops at idx to rt's node: one op alone as one command,
// more (or any with a WAIT after it) in one pipeline. It returns each
// op's command, and the WAIT's.
func (s *Store) pipe(ctx context.Context, rt *route, ops []op, idx []int, sha bool) ([]*goredis.Cmd, *goredis.Cmd) {
	s.trips.Add(1)
	cmds := make([]*goredis.Cmd, len(idx))
	if len(idx) == 1 && !rt.wait {
		cmds[0] = ops[idx[0]].cmd(ctx, rt.node, sha)
		return cmds, nil
	}
	p := rt.node.Pipeline()
	for j, i := range idx {
		cmds[j] = ops[i].cmd(ctx, p, sha)
	}
	var wait *goredis.Cmd
	if rt.wait {
		wait = p.Do(ctx, "wait", rt.replicas, s.waitTimeout.Milliseconds())
	}
	_, _ = p.Exec(ctx) // each command's error is read from it
	return cmds, wait
}

// sender is what an op's command goes through: a client or a pipeline.
type sender interface {
	Do(ctx context.Context, args ...any) *goredis.Cmd
	Eval(ctx context.Context, script string, keys []string, args ...any) *goredis.Cmd
	EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *goredis.Cmd
	FCall(ctx context.Context, function string, keys []string, args ...any) *goredis.Cmd
}

// cmd is the op's command: a plain command as it is, the library's
// function with FCALL, another script with EVALSHA (sha) or EVAL.
func (o op) cmd(ctx context.Context, via sender, sha bool) *goredis.Cmd {
	switch {
	case o.script == nil:
		return via.Do(ctx, o.args...)
	case o.script.fn != "":
		return via.FCall(ctx, o.script.fn, o.keys, o.args...)
	case sha:
		return via.EvalSha(ctx, o.script.sha, o.keys, o.args...)
	}
	return via.Eval(ctx, o.script.src, o.keys, o.args...)
}

// preload loads what ops at idx need more than once, unless the store
// saw it loaded: on a server without it (fresh, restarted, failed over)
// every op of the pipeline would be refused, and go again. The library
// goes to every primary (library.load); a script by its text with SCRIPT
// LOAD, which go-redis sends to each of a Cluster's primaries. A failed
// load is left to the fallback of sendOnce.
func (s *Store) preload(ctx context.Context, ops []op, idx []int) {
	if len(idx) < 2 {
		return
	}
	uses := map[*script]int{}
	fns := 0
	for _, i := range idx {
		sc := ops[i].script
		switch {
		case sc == nil:
		case sc.fn != "":
			fns++
		case !sc.loaded.Load():
			uses[sc]++
		}
	}
	if fns > 1 && !s.scripts.lib.loaded.Load() {
		_ = s.scripts.lib.reload(ctx, s.client)
	}
	for sc, n := range uses {
		if n > 1 && s.client.ScriptLoad(ctx, sc.src).Err() == nil {
			sc.loaded.Store(true)
		}
	}
}

// settleBackoff are the pauses between attempts while a live move holds a
// port: a move takes a few round trips, so a short wait usually sees it
// finished rather than answering ErrBusy.
var settleBackoff = []time.Duration{2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}

// settleLocked settles the moves holding the ports of the settling ops at
// sent that answered 'locked', and returns those ops, to go again. After
// the last attempt it returns none, and 'locked' stays their answer.
func (s *Store) settleLocked(ctx context.Context, ops []op, sent []int, res []result, attempt int) []int {
	if attempt == len(settleBackoff) {
		return nil
	}
	var again []int
	busy := false
	for _, i := range sent {
		if ops[i].flags&settles == 0 || !res[i].locked() {
			continue
		}
		rep, _ := res[i].reply()
		lk, err := parseLock(rep)
		if err == nil {
			err = s.settle(ctx, lk)
		}
		if errors.Is(err, store.ErrBusy) {
			busy, err = true, nil
		}
		if err != nil {
			res[i].err = err
			continue
		}
		again = append(again, i)
	}
	if busy {
		if err := sleep(ctx, settleBackoff[attempt]); err != nil {
			for _, i := range again {
				res[i].err = s.wrap(ctx, err)
			}
			return nil
		}
	}
	return again
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// reply is a script's answer: a status (status.go), then values.
type reply []any

// asReply checks a script's answer has the reply shape.
func asReply(v any) (reply, error) {
	r, ok := v.([]any)
	if !ok || len(r) == 0 {
		return nil, fmt.Errorf("redis store: unexpected script reply %v", v)
	}
	if _, ok := r[0].(string); !ok {
		return nil, fmt.Errorf("redis store: unexpected script reply %v", v)
	}
	return reply(r), nil
}

func (r reply) status() string { return r[0].(string) }

// str returns the i-th value as a string ("" when missing).
func (r reply) str(i int) string {
	if i >= len(r) {
		return ""
	}
	switch v := r[i].(type) {
	case string:
		return v
	case int64:
		return fmt.Sprint(v)
	}
	return ""
}
