package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
)

// lock is a move's hold on a port (see the package doc).
type lock struct {
	port  string
	move  string // the move id
	mover string // the sending channel's tag, which names the decision key
	// deadline is when, by the server's clock (ms), anyone may abort the
	// move if the message was not stored.
	deadline int64
}

// parseLock reads a 'locked' reply: {'locked', port, move, mover, deadline}.
func parseLock(r reply) (lock, error) {
	d, err := strconv.ParseInt(r.str(4), 10, 64)
	if err != nil || len(r) != 5 {
		return lock{}, fmt.Errorf("redis store: malformed lock reply %v", r)
	}
	return lock{port: r.str(1), move: r.str(2), mover: r.str(3), deadline: d}, nil
}

// member is the lock's entry in the moves index.
func (l lock) member() string { return l.mover + ":" + l.move + ":" + l.port }

// parseMember reads an entry of the moves index; its score is the deadline.
func parseMember(m string, score int64) (lock, bool) {
	parts := strings.Split(m, ":")
	if len(parts) != 3 || store.Tag(parts[2]) == "" {
		return lock{}, false
	}
	return lock{mover: parts[0], move: parts[1], port: parts[2], deadline: score}, true
}

// settleBackoff are the pauses between attempts while a live move holds a
// port: a move takes a few round trips, so a short wait usually sees it
// finished rather than answering ErrBusy.
var settleBackoff = []time.Duration{2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}

// runSettled runs a channel script; when it answers 'locked' (a move holds
// the port), it settles the move and runs the script again. When a live
// move still holds the port after the last attempt, it returns the
// 'locked' reply, which the caller answers as busy.
func (s *Store) runSettled(ctx context.Context, sc *goredis.Script, keys []string, args ...any) (reply, error) {
	for attempt := 0; ; attempt++ {
		v, err := s.run(ctx, sc, keys, args...)
		if err != nil {
			return nil, err
		}
		r, err := asReply(v)
		if err != nil {
			return nil, err
		}
		if r.status() != "locked" || attempt == len(settleBackoff) {
			return r, nil
		}
		lk, err := parseLock(r)
		if err != nil {
			return nil, err
		}
		err = s.settle(ctx, lk)
		if errors.Is(err, store.ErrBusy) {
			err = sleep(ctx, settleBackoff[attempt])
		}
		if err != nil {
			return nil, err
		}
	}
}

// settle finishes a move found holding a port, the way its decision key
// says; it returns ErrBusy while the move is live and undecided.
func (s *Store) settle(ctx context.Context, lk lock) error {
	v, err := s.run(ctx, s.scripts.decide, []string{s.keys.decision(lk.mover, lk.move)},
		lk.deadline, decisionTTL.Milliseconds())
	if err != nil {
		return err
	}
	out, _ := v.(string)
	switch {
	case strings.HasPrefix(out, "done:"):
		_, err = s.onPort(ctx, s.scripts.moveCommit, lk.port, lk.move, s.keys.notify(store.Tag(lk.port)), s.ttlMs())
	case out == "aborted":
		_, err = s.onPort(ctx, s.scripts.moveAbort, lk.port, lk.move)
	case out == "pending":
		return fmt.Errorf("port %s: %w", lk.port, store.ErrBusy)
	default:
		return fmt.Errorf("redis store: unexpected move decision %q", out)
	}
	if err != nil {
		return err
	}
	if err := s.client.ZRem(ctx, s.keys.moves(), lk.member()).Err(); err != nil {
		return s.wrap(ctx, err)
	}
	s.log.Debug("redis store: settled a move", "port", lk.port, "move", lk.move, "decision", out)
	return nil
}

// onPort runs a script on the keys of port's channel with ARGV port, args.
func (s *Store) onPort(ctx context.Context, sc *goredis.Script, port string, args ...any) (any, error) {
	ck, ok := s.keys.forPort(port)
	if !ok {
		return nil, fmt.Errorf("redis store: not a port id: %q", port)
	}
	return s.run(ctx, sc, ck.list(), append([]any{port}, args...)...)
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

// sweep settles, every sweepInterval, the moves whose deadline passed with
// nobody left to finish them (their sender died mid-move).
func (s *Store) sweep(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.sweepOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("redis store: sweeping abandoned moves", "err", err)
		}
	}
}

// sweepOnce settles the moves past their deadline, up to a batch, and
// returns how many it settled.
func (s *Store) sweepOnce(ctx context.Context) (int, error) {
	v, err := s.run(ctx, s.scripts.movesDue, []string{s.keys.moves()}, 100)
	if err != nil {
		return 0, err
	}
	items, _ := v.([]any)
	settled := 0
	for i := 0; i+1 < len(items); i += 2 {
		member, _ := items[i].(string)
		scoreStr, _ := items[i+1].(string)
		score, _ := strconv.ParseFloat(scoreStr, 64)
		lk, ok := parseMember(member, int64(score))
		if !ok {
			s.log.Warn("redis store: dropping a malformed moves entry", "entry", member)
			if err := s.client.ZRem(ctx, s.keys.moves(), member).Err(); err != nil {
				return settled, s.wrap(ctx, err)
			}
			continue
		}
		switch err := s.settle(ctx, lk); {
		case err == nil:
			settled++
		case errors.Is(err, store.ErrBusy):
			// The server holding the decision key is behind the one
			// holding the index; the next sweep will see it due.
		default:
			return settled, err
		}
	}
	return settled, nil
}
