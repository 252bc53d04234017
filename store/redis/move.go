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

// move is a post with a transfer list, carried through the steps the
// package doc describes, one method each: index, lock, post (which
// decides), commit; or, when it stops before its decision, conclude.
type move struct {
	s    *Store
	from store.Credentials
	msg  store.Outgoing
	// once is the post's idempotency key, or nil.
	once  *store.Idempotency
	id    string // the move id
	mover string // the sender's tag, which names the decision key D
	// locks and fresh are, for each listed port, its lock and the token
	// the message carries for it.
	locks []lock
	fresh []store.PortCredentials
	// deadline is the move's, by the server's clock (ms), from index.
	deadline string
}

// moveStep names a step of a move, for Store.moveHook.
type moveStep int

const (
	stepIndexed moveStep = iota + 1
	stepLocked
	stepPosted
)

// postMoving posts a message with a transfer list, moving the listed
// ports. Refusals that need no Redis (self, duplicate, not an id) and
// ports of the sender's own channel (always refused) go to refuseList,
// which changes nothing.
//
// Under an idempotency key (once is not nil), the key's record is claimed
// as pending for this move before step 1 (see claimPost), and post.lua
// turns it into the answer in step 3; replayed reports an earlier answer.
func (s *Store) postMoving(ctx context.Context, from store.Credentials, msg store.Outgoing, once *store.Idempotency) (_ store.EventID, replayed bool, _ error) {
	if _, ok := s.keys.forPort(from.PortID); !ok {
		return store.EventID{}, false, fmt.Errorf("port %q: %w", from.PortID, store.ErrUnauthorized)
	}
	if reasons, refused := refuseEarly(from, msg.Transfer); refused {
		return store.EventID{}, false, s.refuseList(ctx, from, msg.Transfer, reasons)
	}
	m, err := s.newMove(from, msg, once)
	if err != nil {
		return store.EventID{}, false, err
	}
	if once != nil {
		answer, replayed, err := s.claimPost(ctx, from, *once, m.id)
		if err != nil || replayed {
			return answer, replayed, err
		}
	}
	id, err := m.run(ctx)
	return id, false, err
}

func (s *Store) newMove(from store.Credentials, msg store.Outgoing, once *store.Idempotency) (*move, error) {
	id, err := ulid.New(ulid.Now(), rand.Reader)
	if err != nil {
		return nil, err
	}
	m := &move{s: s, from: from, msg: msg, once: once, id: id.String(), mover: store.Tag(from.PortID)}
	for _, c := range msg.Transfer {
		m.locks = append(m.locks, lock{port: c.PortID, move: m.id, mover: m.mover})
		m.fresh = append(m.fresh, store.PortCredentials{ID: c.PortID, Token: store.NewToken()})
	}
	return m, nil
}

// run takes the move's steps, stopping dead where a test's hook says.
func (m *move) run(ctx context.Context) (store.EventID, error) {
	if err := m.index(ctx); err != nil {
		return store.EventID{}, err
	}
	if err := m.hook(ctx, stepIndexed); err != nil {
		return store.EventID{}, err
	}
	if err := m.lock(ctx); err != nil {
		m.conclude(ctx)
		return store.EventID{}, err
	}
	if err := m.hook(ctx, stepLocked); err != nil {
		return store.EventID{}, err
	}
	id, err := m.post(ctx)
	if err != nil {
		return store.EventID{}, err
	}
	if err := m.hook(ctx, stepPosted); err != nil {
		return store.EventID{}, err
	}
	m.commit(ctx)
	return id, nil
}

// hook calls the store's moveHook, which only tests set: an error stops
// the move dead after step done, as its process dying there would.
func (m *move) hook(ctx context.Context, done moveStep) error {
	if m.s.moveHook == nil {
		return nil
	}
	return m.s.moveHook(ctx, m, done)
}

// index is step 1: the move's ports go into the moves index before any is
// locked, and the move gets its deadline.
func (m *move) index(ctx context.Context) error {
	members := []any{m.s.moveTimeout.Milliseconds()}
	for _, lk := range m.locks {
		members = append(members, lk.member())
	}
	deadline, err := m.s.exec(ctx, scriptOp(m.s.scripts.movesAdd, 0, []string{m.s.keys.moves()}, members...))[0].text()
	if err != nil {
		if m.once != nil {
			// No lock exists yet, so the move can be aborted at once and
			// the key's claim with it.
			m.s.release(context.WithoutCancel(ctx), m.from.PortID, m.id)
		}
		return err
	}
	m.deadline = deadline
	return nil
}

// lock is step 2: every listed port is locked, in one round trip; a port
// held by another move is settled and locked again. It returns the
// refusal of the lowest refused entry, or the first error.
func (m *move) lock(ctx context.Context) error {
	ops := make([]op, len(m.locks))
	for i, c := range m.msg.Transfer {
		ops[i] = m.s.channelOp(m.s.scripts.moveLock, settles, c.PortID, []any{
			c.PortID, store.HashToken(c.Token), "0", m.id, m.mover, store.HashToken(m.fresh[i].Token),
			m.deadline, m.s.ttlMs(), m.s.keys.notify(store.Tag(c.PortID))})
	}
	var refusal *store.TransferError
	for i, r := range m.s.exec(ctx, ops...) {
		rep, err := r.reply()
		if err != nil {
			return err
		}
		if rep.status() != stOK && refusal == nil {
			refusal = transferError(i, m.locks[i].port, rep.status())
		}
	}
	if refusal != nil {
		return refusal
	}
	return nil
}

// post is step 3: the message is stored, which decides the move. When its
// outcome is unknown (an error), conclude finds it in the decision.
func (m *move) post(ctx context.Context) (store.EventID, error) {
	ports, err := json.Marshal(m.fresh)
	if err != nil {
		return store.EventID{}, err
	}
	argv := m.s.postArgs(m.from, m.msg, string(ports))
	more := []string{m.s.keys.decision(m.mover, m.id)}
	if m.once != nil {
		argv = append(argv, m.once.FingerprintHex(), m.s.windowMs(), m.id)
		more = append(more, m.s.keys.postRecord(m.from, m.once.Key))
	}
	r := m.s.exec(ctx, m.s.channelOp(m.s.scripts.post, durable|settles, m.from.PortID, argv, more...))[0]
	rep, err := r.ok()
	if r.err != nil {
		// Stored but short of its replicas, it is still an error (the
		// ports move all the same).
		if out, cerr := m.conclude(ctx); cerr == nil && !errors.Is(r.err, errNotReplicated) {
			if answer, ok := strings.CutPrefix(out, decidedDone); ok {
				return store.ParseEventID(answer)
			}
		}
		return store.EventID{}, r.err
	}
	if err != nil {
		m.conclude(ctx)
		return store.EventID{}, err
	}
	return store.ParseEventID(rep.str(1))
}

// commit is step 4. The message is stored, so the move is done whatever
// happens now; what is left undone here, the sweeper finishes.
func (m *move) commit(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	m.finish(ctx, m.commitOps())
}

func (m *move) commitOps() []op {
	ops := make([]op, len(m.locks))
	for i, lk := range m.locks {
		ops[i] = m.s.commitOp(lk.port, m.id)
	}
	return ops
}

// conclude finishes a move that stops before or at step 3: it decides the
// move now (aborted, unless the message was in fact stored), then commits
// or unlocks every listed port and drops the index entries. It returns
// the decision. What fails here, the sweeper finishes.
func (m *move) conclude(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	// A deadline of 0 has passed: an absent decision becomes 'aborted'.
	out, err := m.s.exec(ctx, m.s.decideOp(m.mover, m.id, 0))[0].text()
	if err != nil {
		m.s.log.Warn("redis store: deciding an unfinished move; the sweeper will", "move", m.id, "err", err)
		return "", err
	}
	ops := m.commitOps()
	if !strings.HasPrefix(out, decidedDone) {
		for i, lk := range m.locks {
			ops[i] = m.s.abortOp(lk.port, m.id)
		}
	}
	if !m.finish(ctx, ops) {
		return out, fmt.Errorf("redis store: move %s left for the sweeper", m.id)
	}
	return out, nil
}

// finish runs the commit or abort ops of the move and, when all went
// through, removes its index entries. It reports whether it did.
func (m *move) finish(ctx context.Context, ops []op) bool {
	for _, r := range m.s.exec(ctx, ops...) {
		if r.err != nil {
			m.s.log.Warn("redis store: finishing a move; the sweeper will", "move", m.id, "err", r.err)
			return false
		}
	}
	unindex := []any{"zrem", m.s.keys.moves()}
	for _, lk := range m.locks {
		unindex = append(unindex, lk.member())
	}
	if err := m.s.exec(ctx, command(unindex...))[0].err; err != nil {
		m.s.log.Warn("redis store: unindexing a finished move", "move", m.id, "err", err)
	}
	return true
}

// refuseEarly finds the refusals of a transfer list that need no Redis:
// an entry that is no port id, the sender itself, a duplicate, a port of
// the sender's own channel (sameChannel, for refuseList to tell).
func refuseEarly(from store.Credentials, list []store.Credentials) ([]store.TransferRefusal, bool) {
	fromTag := store.Tag(from.PortID)
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
	return reasons, refused
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
	checkArgs := []any{from.PortID, store.HashToken(from.Token)}
	if reasons[first] == sameChannel {
		checkArgs = append(checkArgs, list[first].PortID)
	}
	ops := []op{s.channelOp(s.scripts.postCheck, 0, from.PortID, checkArgs)}
	for _, c := range list[:first] {
		ops = append(ops, s.channelOp(s.scripts.moveLock, 0, c.PortID, []any{c.PortID, store.HashToken(c.Token), "1"}))
	}
	res := s.exec(ctx, ops...)
	for _, r := range res {
		if r.err != nil {
			return r.err
		}
	}
	sender, err := res[0].reply()
	if err != nil {
		return err
	}
	if st := sender.status(); st != stOK && st != stLocked {
		return statusError(res[0].about, st)
	}
	for i, r := range res[1:] {
		rep, err := r.reply()
		if err != nil {
			return err
		}
		if rep.status() != stOK {
			return transferError(i, list[i].PortID, rep.status())
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
