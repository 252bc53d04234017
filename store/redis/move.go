package redis

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/tincan-dev/tincan/store"
)

// sameChannel marks a listed port of the sender's own channel, refused
// either as the peer or as unknown: post_check.lua tells which.
const sameChannel store.TransferRefusal = "?"

// cleanupTimeout bounds the steps that finish a move after its caller
// went away: a move half done must not wait for the next sweep.
const cleanupTimeout = 5 * time.Second

// postMoving posts a message with a transfer list, moving the listed ports
// in the four steps the package doc describes. Refusals that need no
// Redis (self, duplicate, not an id) and ports of the sender's own channel
// (always refused) go to refuseList, which changes nothing.
//
// Under an idempotency key (once is not nil), the key's record is claimed
// as pending for this move before step 1 (see claimPost), and post.lua
// turns it into the answer in step 3; replayed reports an earlier answer.
func (s *Store) postMoving(ctx context.Context, from store.Credentials, msg store.Outgoing, once *store.Idempotency) (_ store.EventID, replayed bool, _ error) {
	ck, ok := s.keys.forPort(from.PortID)
	if !ok {
		return store.EventID{}, false, fmt.Errorf("port %q: %w", from.PortID, store.ErrUnauthorized)
	}
	fromTag := store.Tag(from.PortID)
	list := msg.Transfer
	reasons := make([]store.TransferRefusal, len(list))
	seen := make(map[string]bool, len(list))
	refused := false
	for i, c := range list {
		tag := store.Tag(c.PortID)
		switch {
		case tag == "":
			reasons[i] = store.RefusedUnauthorized
		case c.PortID == from.PortID:
			reasons[i] = store.RefusedSelf
		case seen[c.PortID]:
			reasons[i] = store.RefusedDuplicate
		case tag == fromTag:
			reasons[i] = sameChannel
		}
		seen[c.PortID] = true
		refused = refused || reasons[i] != ""
	}
	if refused {
		return store.EventID{}, false, s.refuseList(ctx, from, list, reasons)
	}

	id, err := ulid.New(ulid.Now(), rand.Reader)
	if err != nil {
		return store.EventID{}, false, err
	}
	moveID := id.String()
	var idemKeys []string
	var idemArgs []any
	if once != nil {
		answer, replayed, err := s.claimPost(ctx, from, *once, moveID)
		if err != nil || replayed {
			return answer, replayed, err
		}
		idemKeys = []string{s.keys.postRecord(from, once.Key)}
		idemArgs = []any{once.FingerprintHex(), s.limits.IdempotencyWindow.Milliseconds(), moveID}
	}
	locks := make([]lock, len(list))
	fresh := make([]store.PortCredentials, len(list))
	members := []any{s.moveTimeout.Milliseconds()}
	for i, c := range list {
		locks[i] = lock{port: c.PortID, move: moveID, mover: fromTag}
		fresh[i] = store.PortCredentials{ID: c.PortID, Token: store.NewToken()}
		members = append(members, locks[i].member())
	}

	// Step 1: index the move before anything is locked.
	v, err := s.run(ctx, s.scripts.movesAdd, []string{s.keys.moves()}, members...)
	if err != nil {
		if once != nil {
			// No lock exists yet, so the move can be aborted at once and
			// the key's claim with it.
			s.release(context.WithoutCancel(ctx), from.PortID, moveID)
		}
		return store.EventID{}, false, err
	}
	deadline, _ := v.(string)
	if s.crashed(crashAfterIndex) {
		return store.EventID{}, false, errCrashed
	}

	// Step 2: lock every listed port.
	calls := make([]call, len(list))
	for i, c := range list {
		calls[i] = call{
			script: s.scripts.moveLock,
			keys:   s.keys.forTag(store.Tag(c.PortID)).list(),
			args: []any{c.PortID, store.HashToken(c.Token), "0", moveID, fromTag,
				store.HashToken(fresh[i].Token), deadline, s.ttlMs(), s.keys.notify(store.Tag(c.PortID))},
		}
	}
	if err := s.lockAll(ctx, calls, list); err != nil {
		s.conclude(ctx, fromTag, moveID, locks)
		return store.EventID{}, false, err
	}
	if s.crashed(crashAfterLock) {
		return store.EventID{}, false, errCrashed
	}

	// Step 3: store the message, deciding the move.
	ports, err := json.Marshal(fresh)
	if err != nil {
		return store.EventID{}, false, err
	}
	keys := append(append(ck.list(), s.keys.decision(fromTag, moveID)), idemKeys...)
	args := append(s.postArgs(from, msg, string(ports)), idemArgs...)
	r, err := s.runSettled(ctx, s.scripts.post, keys, args...)
	if err != nil {
		// Whether the message was stored is unknown: the decision says.
		// Stored but short of its replicas, it is still an error (the
		// ports move all the same).
		if out, cerr := s.conclude(ctx, fromTag, moveID, locks); cerr == nil && strings.HasPrefix(out, "done:") && !errors.Is(err, errNotReplicated) {
			id, err := store.ParseEventID(strings.TrimPrefix(out, "done:"))
			return id, false, err
		}
		return store.EventID{}, false, err
	}
	if r.status() != "ok" {
		s.conclude(ctx, fromTag, moveID, locks)
		return store.EventID{}, false, postStatusError(from.PortID, r.status())
	}
	eventID, err := store.ParseEventID(r.str(1))
	if err != nil {
		return store.EventID{}, false, err
	}
	if s.crashed(crashAfterPost) {
		return store.EventID{}, false, errCrashed
	}

	// Step 4: commit. The message is stored, so the move is done whatever
	// happens now; what is left undone here, the sweeper finishes.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	for i, c := range list {
		calls[i] = call{
			script: s.scripts.moveCommit,
			keys:   calls[i].keys,
			args:   []any{c.PortID, moveID, s.keys.notify(store.Tag(c.PortID)), s.ttlMs()},
		}
	}
	if s.crashed(crashMidCommit) {
		s.pipelined(ctx, calls[:1])
		return store.EventID{}, false, errCrashed
	}
	s.finishLocks(ctx, calls, locks)
	return eventID, false, nil
}

// The points at which a test may make postMoving stop dead, as if its
// process died there, leaving the move to the others (see crashhook.go).
const (
	crashAfterIndex = iota + 1
	crashAfterLock
	crashAfterPost
	crashMidCommit // after committing the first listed port only
)

// lockAll runs the move_lock calls of a move, one per listed port, in one
// round trip; a port held by another move is settled and locked again. It
// returns the refusal of the lowest refused entry, or the first error.
func (s *Store) lockAll(ctx context.Context, calls []call, list []store.Credentials) error {
	replies, errs := s.pipelined(ctx, calls)
	var refusal *store.TransferError
	for i := range list {
		if errs[i] != nil {
			return errs[i]
		}
		r, err := asReply(replies[i])
		if err == nil && r.status() == "locked" {
			r, err = s.runSettled(ctx, calls[i].script, calls[i].keys, calls[i].args...)
		}
		if err != nil {
			return err
		}
		if r.status() != "ok" && refusal == nil {
			refusal = transferError(i, list[i].PortID, r.status())
		}
	}
	if refusal != nil {
		return refusal
	}
	return nil
}

// conclude finishes a move whose sender stops before or at step 3: it
// decides the move now (aborted, unless the message was in fact stored),
// then commits or unlocks every listed port and drops the index entries.
// It returns the decision. What fails here, the sweeper finishes.
func (s *Store) conclude(ctx context.Context, mover, moveID string, locks []lock) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	// A deadline of 0 has passed: an absent decision becomes 'aborted'.
	v, err := s.run(ctx, s.scripts.decide, []string{s.keys.decision(mover, moveID)}, 0, decisionTTL.Milliseconds())
	if err != nil {
		s.log.Warn("redis store: deciding an unfinished move; the sweeper will", "move", moveID, "err", err)
		return "", err
	}
	out, _ := v.(string)
	calls := make([]call, len(locks))
	for i, lk := range locks {
		ck, _ := s.keys.forPort(lk.port)
		calls[i] = call{script: s.scripts.moveAbort, keys: ck.list(), args: []any{lk.port, moveID}}
		if strings.HasPrefix(out, "done:") {
			calls[i] = call{script: s.scripts.moveCommit, keys: ck.list(), args: []any{lk.port, moveID, s.keys.notify(store.Tag(lk.port)), s.ttlMs()}}
		}
	}
	if !s.finishLocks(ctx, calls, locks) {
		return out, fmt.Errorf("redis store: move %s left for the sweeper", moveID)
	}
	return out, nil
}

// finishLocks runs the commit or abort calls of a move and, when all went
// through, removes the move's index entries. It reports whether it did.
func (s *Store) finishLocks(ctx context.Context, calls []call, locks []lock) bool {
	_, errs := s.pipelined(ctx, calls)
	for _, err := range errs {
		if err != nil {
			s.log.Warn("redis store: finishing a move; the sweeper will", "move", locks[0].move, "err", err)
			return false
		}
	}
	members := make([]any, len(locks))
	for i, lk := range locks {
		members[i] = lk.member()
	}
	if err := s.client.ZRem(ctx, s.keys.moves(), members...).Err(); err != nil {
		s.log.Warn("redis store: unindexing a finished move", "move", locks[0].move, "err", err)
	}
	return true
}

// refuseList finds the refusal to report for a transfer list that is
// refused anyway, without changing anything: the sender's own refusal if
// its token is bad, else the lowest refused index. The first entry refused
// without Redis is at `first`; the entries before it are ports of other
// channels, checked (not locked) by move_lock.lua.
func (s *Store) refuseList(ctx context.Context, from store.Credentials, list []store.Credentials, reasons []store.TransferRefusal) error {
	first := 0
	for reasons[first] == "" {
		first++
	}
	ck, _ := s.keys.forPort(from.PortID)
	checkArgs := []any{from.PortID, store.HashToken(from.Token)}
	if reasons[first] == sameChannel {
		checkArgs = append(checkArgs, list[first].PortID)
	}
	calls := []call{{script: s.scripts.postCheck, keys: ck.list(), args: checkArgs}}
	for _, c := range list[:first] {
		calls = append(calls, call{
			script: s.scripts.moveLock,
			keys:   s.keys.forTag(store.Tag(c.PortID)).list(),
			args:   []any{c.PortID, store.HashToken(c.Token), "1"},
		})
	}
	replies, errs := s.pipelined(ctx, calls)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	sender, err := asReply(replies[0])
	if err != nil {
		return err
	}
	switch sender.status() {
	case "ok", "locked":
	default:
		return statusError(from.PortID, sender.status())
	}
	for i := range list[:first] {
		r, err := asReply(replies[i+1])
		if err != nil {
			return err
		}
		if r.status() != "ok" {
			return transferError(i, list[i].PortID, r.status())
		}
	}
	reason := reasons[first]
	if reason == sameChannel {
		reason = store.RefusedUnauthorized
		if sender.str(1) == "peer" {
			reason = store.RefusedPeer
		}
	}
	return &store.TransferError{Index: first, PortID: list[first].PortID, Reason: reason}
}

// transferError is the refusal of list entry i for a script status.
func transferError(i int, port, status string) *store.TransferError {
	reason, ok := refusal(status)
	if !ok {
		reason = store.RefusedUnauthorized
	}
	return &store.TransferError{Index: i, PortID: port, Reason: reason}
}
