package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

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

// settle finishes a move found holding a port, the way its decision key
// says; it returns ErrBusy while the move is live and undecided. The index
// entry goes only once the port is settled, so that a failure leaves it
// for the sweeper.
func (s *Store) settle(ctx context.Context, lk lock) error {
	out, err := s.exec(ctx, s.decideOp(lk.mover, lk.move, lk.deadline))[0].text()
	if err != nil {
		return err
	}
	var finish op
	switch {
	case strings.HasPrefix(out, decidedDone):
		finish = s.commitOp(lk.port, lk.move)
	case out == decidedAborted:
		finish = s.abortOp(lk.port, lk.move)
	case out == undecided:
		return fmt.Errorf("port %s: %w", lk.port, store.ErrBusy)
	default:
		return fmt.Errorf("redis store: unexpected move decision %q", out)
	}
	if err := s.exec(ctx, finish)[0].err; err != nil {
		return err
	}
	if err := s.exec(ctx, command("zrem", s.keys.moves(), lk.member()))[0].err; err != nil {
		return err
	}
	s.log.Debug("redis store: settled a move", "port", lk.port, "move", lk.move, "decision", out)
	return nil
}

// decideOp asks the move's decision key D what became of the move, making
// it 'aborted' when absent past deadline (0: now).
func (s *Store) decideOp(mover, moveID string, deadline any) op {
	return scriptOp(s.scripts.decide, 0, []string{s.keys.decision(mover, moveID)}, deadline, decisionTTL.Milliseconds())
}

// commitOp makes a moved port's pending token its token (move_commit.lua).
func (s *Store) commitOp(port, moveID string) op {
	return s.channelOp(s.scripts.moveCommit, 0, port, []any{port, moveID, s.keys.notify(store.Tag(port)), s.ttlMs()})
}

// abortOp undoes a port's lock by an aborted move (move_abort.lua).
func (s *Store) abortOp(port, moveID string) op {
	return s.channelOp(s.scripts.moveAbort, 0, port, []any{port, moveID})
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
	r := s.exec(ctx, scriptOp(s.scripts.movesDue, 0, []string{s.keys.moves()}, 100))[0]
	if r.err != nil {
		return 0, r.err
	}
	items, _ := r.val.([]any)
	settled := 0
	for i := 0; i+1 < len(items); i += 2 {
		member, _ := items[i].(string)
		scoreStr, _ := items[i+1].(string)
		score, _ := strconv.ParseFloat(scoreStr, 64)
		lk, ok := parseMember(member, int64(score))
		if !ok {
			s.log.Warn("redis store: dropping a malformed moves entry", "entry", member)
			if err := s.exec(ctx, command("zrem", s.keys.moves(), member))[0].err; err != nil {
				return settled, err
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
