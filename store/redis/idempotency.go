package redis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/tincan-dev/tincan/store"
)

// PostOnce is Post under an idempotency key scoped to the sending port.
// Without a transfer list, post.lua checks the key's record and writes it
// in the same step as the message, so a crash can never leave one without
// the other; a retry of a stored post finds the record and stores nothing.
// With a transfer list the post takes several steps, so the record is
// first claimed as pending for the move (claimPost) and answered by
// post.lua in the move's decisive step.
func (s *Store) PostOnce(ctx context.Context, from store.Credentials, msg store.Outgoing, once store.Idempotency) (store.EventID, bool, error) {
	if err := store.CheckOutgoing(msg); err != nil {
		return store.EventID{}, false, err
	}
	if len(msg.Transfer) > 0 {
		return s.postMoving(ctx, from, msg, &once)
	}
	post := s.channelOp(s.scripts.post, durable|settles, from.PortID,
		append(s.postArgs(from, msg, ""), once.FingerprintHex(), s.windowMs(), ""),
		s.keys.postRecord(from, once.Key))
	r := s.exec(ctx, post)[0]
	if rep, err := r.reply(); err == nil && rep.status() == stIdemInFlight {
		// A post with a transfer list holds the key, or left it behind
		// when it was refused or died. Claiming the key settles which;
		// once the claim is this call's, post.lua accepts it.
		attempt := newAttemptID()
		answer, replayed, err := s.claimPost(ctx, from, once, attempt)
		if err != nil || replayed {
			return answer, replayed, err
		}
		post.args[len(post.args)-1] = attempt
		r = s.exec(ctx, post)[0]
		if rep, err := r.reply(); err == nil && rep.status() != stOK {
			// Refused: nothing is remembered, so give the claim up at
			// once rather than at its deadline.
			s.release(ctx, from.PortID, attempt)
		}
	}
	rep, err := r.ok()
	if err != nil {
		return store.EventID{}, false, err
	}
	id, err := store.ParseEventID(rep.str(1))
	return id, err == nil && rep.str(2) == markReplayed, err
}

// claimPost claims a post's idempotency record as pending for the move
// moveID (idem_begin.lua), before the move takes its first step. It
// answers an earlier answer (replayed), ErrKeyReused, or ErrInFlight while
// another move under the key is live; a pending record whose move was
// aborted (its decision key says so, or its deadline passed, which
// decide.lua turns into 'aborted' so that it can never store) is taken
// over. The decision key lives in the sender's slot, with the record.
func (s *Store) claimPost(ctx context.Context, from store.Credentials, once store.Idempotency, moveID string) (store.EventID, bool, error) {
	rec := s.keys.postRecord(from, once.Key)
	replace := ""
	for range 3 {
		r, err := s.exec(ctx, scriptOp(s.scripts.idemBegin, 0, []string{rec},
			once.FingerprintHex(), moveID, s.moveTimeout.Milliseconds(), s.windowMs(), replace, "0"))[0].reply()
		if err != nil {
			return store.EventID{}, false, err
		}
		switch r.status() {
		case stNew:
			return store.EventID{}, false, s.claimed(ctx, from, moveID)
		case stDone:
			return s.replayPost(ctx, from, r.str(1))
		case stReused:
			return store.EventID{}, false, s.keyReused(ctx, from)
		case stPending:
			out, err := s.exec(ctx, s.decideOp(store.Tag(from.PortID), r.str(1), r.str(2)))[0].text()
			if err != nil {
				return store.EventID{}, false, err
			}
			answer, ok := strings.CutPrefix(out, decidedDone)
			switch {
			case out == undecided:
				return store.EventID{}, false, fmt.Errorf("port %s: %w", from.PortID, store.ErrInFlight)
			case ok && r.str(3) == "same":
				return s.replayPost(ctx, from, answer)
			case ok:
				return store.EventID{}, false, s.keyReused(ctx, from)
			}
			replace = r.str(1) // aborted: nothing was stored under the key
		default:
			return store.EventID{}, false, fmt.Errorf("redis store: unexpected idempotency status %q", r.status())
		}
	}
	return store.EventID{}, false, fmt.Errorf("port %s: %w", from.PortID, store.ErrInFlight)
}

// claimed follows a claim that made the record the move's: the record is
// named by the token presented, so a wrong token finds none of the
// holder's, and is refused here, as the holder's replay would check it,
// before the move locks any listed port (whose refusal would otherwise be
// told to a caller who may not even hold the sender).
func (s *Store) claimed(ctx context.Context, from store.Credentials, moveID string) error {
	if err := s.checkSender(ctx, from); err != nil {
		s.release(context.WithoutCancel(ctx), from.PortID, moveID)
		return err
	}
	return nil
}

// release gives up a post's claim on its key after a refusal: deciding its
// attempt 'aborted' lets the next claim take the record over.
func (s *Store) release(ctx context.Context, portID, attempt string) {
	ctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
	defer cancel()
	if err := s.exec(ctx, s.decideOp(store.Tag(portID), attempt, 0))[0].err; err != nil {
		s.log.Warn("redis store: releasing an idempotency key; it is free at its deadline", "port", portID, "err", err)
	}
}

// replayPost answers a post's earlier event id, to the sender's holder only.
func (s *Store) replayPost(ctx context.Context, from store.Credentials, id string) (store.EventID, bool, error) {
	if err := s.checkSender(ctx, from); err != nil {
		return store.EventID{}, false, err
	}
	eid, err := store.ParseEventID(id)
	return eid, err == nil, err
}

// keyReused is ErrKeyReused for the sender's holder, and the sender's
// refusal for anybody else.
func (s *Store) keyReused(ctx context.Context, from store.Credentials) error {
	if err := s.checkSender(ctx, from); err != nil {
		return err
	}
	return fmt.Errorf("port %s: %w", from.PortID, store.ErrKeyReused)
}

// checkSender authenticates a sender without changing anything, so that
// an idempotency record answers only the port's holder, as post.lua does.
func (s *Store) checkSender(ctx context.Context, from store.Credentials) error {
	_, err := s.exec(ctx, s.portOp(s.scripts.postCheck, settles, from))[0].ok()
	return err
}

// CreateChannelOnce creates a channel under a global idempotency key.
//
// The channel's keys live in a slot chosen by its random tag, so creating
// it and recording the answer cannot be one step: the record is claimed
// as pending first, the channel made, and the answer recorded only if the
// claim is still this call's. An attempt that dies in between leaves a
// pending record, which a retry takes over once its deadline passed, and
// a channel whose tokens nobody ever got, which expires unused.
//
// The answer holds both tokens, which are otherwise never stored: it is
// recorded sealed, under a key derived from the client's Idempotency-Key,
// in a record named by another derivation of it (store.SealChannel).
func (s *Store) CreateChannelOnce(ctx context.Context, creator string, once store.Idempotency) (store.NewChannel, bool, error) {
	rec := s.keys.channelRecord(once.Key)
	attempt := newAttemptID()
	r, err := s.exec(ctx, scriptOp(s.scripts.idemBegin, 0, []string{rec},
		once.FingerprintHex(), attempt, s.moveTimeout.Milliseconds(), s.windowMs(), "", "1"))[0].reply()
	if err != nil {
		return store.NewChannel{}, false, err
	}
	switch r.status() {
	case stNew:
	case stDone:
		return openChannel(once, r.str(1))
	case stReused:
		return store.NewChannel{}, false, store.ErrKeyReused
	case stPending:
		return store.NewChannel{}, false, store.ErrInFlight
	default:
		return store.NewChannel{}, false, fmt.Errorf("redis store: unexpected idempotency status %q", r.status())
	}
	ch, err := s.CreateChannel(ctx, creator)
	if err != nil {
		// Give the claim up, so that a retry need not wait for its
		// deadline. Should the channel exist after all, nobody has its
		// tokens, and it expires unused.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if _, rerr := s.finishChannel(rctx, once, rec, attempt, ""); rerr != nil {
			s.log.Warn("redis store: giving up an idempotency key; it is free at its deadline", "err", rerr)
		}
		return store.NewChannel{}, false, err
	}
	return s.recordChannel(ctx, once, rec, attempt, ch)
}

// recordChannel records ch as the answer of the claim attempt holds on
// rec, and returns it; or, when another attempt took the record over, that
// attempt's answer, the key's: the channel made here is never handed out.
func (s *Store) recordChannel(ctx context.Context, once store.Idempotency, rec, attempt string, ch store.NewChannel) (store.NewChannel, bool, error) {
	sealed, err := store.SealChannel(once, ch)
	if err != nil {
		return store.NewChannel{}, false, err
	}
	r, err := s.finishChannel(ctx, once, rec, attempt, base64.RawURLEncoding.EncodeToString(sealed))
	if err != nil {
		return store.NewChannel{}, false, err
	}
	if r.status() == stOK {
		return ch, false, nil
	}
	kind, rest, _ := strings.Cut(r.str(1), " ")
	fp, answer, _ := strings.Cut(rest, " ")
	if kind != "done" || fp != once.FingerprintHex() {
		return store.NewChannel{}, false, store.ErrInFlight
	}
	theirs, _, err := openChannel(once, answer)
	if err != nil {
		return store.NewChannel{}, false, err
	}
	// A replayed idem_finish.lua (go-redis resends a script whose answer
	// was lost) finds its own answer: that is no replay for the client.
	return theirs, theirs.ID != ch.ID, nil
}

// finishChannel runs idem_finish.lua: it records answer under the claim,
// or gives the claim up ("").
func (s *Store) finishChannel(ctx context.Context, once store.Idempotency, rec, attempt, answer string) (reply, error) {
	return s.exec(ctx, scriptOp(s.scripts.idemFinish, durable, []string{rec},
		once.FingerprintHex(), attempt, answer, s.windowMs()))[0].reply()
}

// openChannel opens a recorded channel answer.
func openChannel(once store.Idempotency, answer string) (store.NewChannel, bool, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(answer)
	if err != nil {
		return store.NewChannel{}, false, errors.New("redis store: malformed channel idempotency record")
	}
	ch, err := store.OpenChannel(once, sealed)
	if err != nil {
		return store.NewChannel{}, false, err
	}
	return ch, true, nil
}

func (s *Store) windowMs() int64 { return s.limits.IdempotencyWindow.Milliseconds() }

// newAttemptID names one attempt at a request in its idempotency record.
func newAttemptID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand
	return base64.RawURLEncoding.EncodeToString(b[:])
}
