package redis

import (
	"context"
	"embed"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// scripts are the Lua scripts, each with lua/lib.lua in front of it.
type scripts struct {
	create, describe, post, postCheck, read, ack, close, transfer,
	moveLock, moveCommit, moveAbort, decide, movesAdd, movesDue,
	idemBegin, idemFinish,
	tokenMint, tokenList, tokenRevoke,
	check *goredis.Script
}

func loadScripts() *scripts {
	lib := mustRead("lib.lua")
	load := func(name string) *goredis.Script {
		return goredis.NewScript(lib + "\n" + mustRead(name))
	}
	return &scripts{
		create:     load("create.lua"),
		describe:   load("describe.lua"),
		post:       load("post.lua"),
		postCheck:  load("post_check.lua"),
		read:       load("read.lua"),
		ack:        load("ack.lua"),
		close:      load("close.lua"),
		transfer:   load("transfer.lua"),
		moveLock:   load("move_lock.lua"),
		moveCommit: load("move_commit.lua"),
		moveAbort:  load("move_abort.lua"),
		decide:     load("decide.lua"),
		movesAdd:   load("moves_add.lua"),
		movesDue:   load("moves_due.lua"),
		idemBegin:  load("idem_begin.lua"),
		idemFinish: load("idem_finish.lua"),

		tokenMint:   load("token_mint.lua"),
		tokenList:   load("token_list.lua"),
		tokenRevoke: load("token_revoke.lua"),

		check: load("check.lua"),
	}
}

// durable reports whether sc's success is an answer the client keeps (a
// message's id, a new token, a new channel), which WaitReplicas must not
// give before the replicas have it, or messages (a read), which it must
// not hand out before the replicas have them (see durability.go).
func (sc *scripts) durable(script *goredis.Script) bool {
	return script == sc.post || script == sc.create || script == sc.transfer || script == sc.idemFinish ||
		script == sc.tokenMint || script == sc.read
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

func mustRead(name string) string {
	b, err := luaFiles.ReadFile("lua/" + name)
	if err != nil {
		panic(err) // compiled in: a broken build
	}
	return string(b)
}

// call is one script run, for a pipeline.
type call struct {
	script *goredis.Script
	keys   []string
	args   []any
}

// pipelined runs calls in one round trip (one per node on a Cluster) and
// returns their replies in order. EVALSHA in a pipeline cannot fall back to
// EVAL by itself (its error is known only after Exec), so the calls that
// found their script missing (after a server restart, say) go again as
// EVAL. A call's error is in errs; err is set only when nothing could be
// sent at all.
func (s *Store) pipelined(ctx context.Context, calls []call) (replies []any, errs []error) {
	ctx, cancel := s.bound(ctx, 0)
	defer cancel()
	cmds := make([]*goredis.Cmd, len(calls))
	pipe := s.client.Pipeline()
	for i, c := range calls {
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // per-command errors are read below
	var again []int
	for i, cmd := range cmds {
		if goredis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		pipe := s.client.Pipeline()
		for _, i := range again {
			c := calls[i]
			cmds[i] = c.script.Eval(ctx, pipe, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	replies = make([]any, len(calls))
	errs = make([]error, len(calls))
	for i, cmd := range cmds {
		replies[i], errs[i] = cmd.Result()
		if errs[i] != nil {
			errs[i] = s.wrap(ctx, errs[i])
		}
	}
	return replies, errs
}

// run runs one script, within the round trip's bound. A script that
// hands out something new waits for replicas too, when the store is set
// to (see durability.go).
func (s *Store) run(ctx context.Context, sc *goredis.Script, keys []string, args ...any) (any, error) {
	if s.waitReplicas > 0 && (s.scripts.durable(sc) || s.coll.durable(sc)) {
		return s.runDurable(ctx, sc, keys, args...)
	}
	ctx, cancel := s.bound(ctx, 0)
	defer cancel()
	v, err := sc.Run(ctx, s.client, keys, args...).Result()
	if err != nil {
		return nil, s.wrap(ctx, err)
	}
	return v, nil
}

// reply is a channel script's answer: a status, then values.
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
