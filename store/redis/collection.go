package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// broadcastBatch is how many members' posts go in one pipeline: one round
// trip (one per node on a Cluster) per broadcastBatch members, each
// pipeline a few hundred KiB for small messages, so that one broadcast
// neither holds a connection long nor makes Redis buffer much.
const broadcastBatch = 500

// CreateCollection makes a new, empty collection.
func (s *Store) CreateCollection(ctx context.Context) (store.NewCollection, error) {
	for {
		id, err := store.NewCollectionID(time.Now())
		if err != nil {
			return store.NewCollection{}, err
		}
		token := store.NewToken()
		r, err := s.exec(ctx, scriptOp(s.scripts.collCreate, durable, s.keys.collection(id),
			store.HashToken(token), s.ttlMs()))[0].reply()
		if err != nil {
			return store.NewCollection{}, err
		}
		if r.status() == stExists {
			continue // 80 random bits met again: draw another id
		}
		return store.NewCollection{ID: id, Token: token, CreatedAt: msTime(r.str(1))}, nil
	}
}

// AddMember checks the member's credentials at its channel, then adds it.
// The two are separate steps (the collection and the channel live in
// different slots): a member whose token dies in between is added, and
// refused by the next broadcast, as if it had died just after.
func (s *Store) AddMember(ctx context.Context, id, token string, member store.Credentials) (bool, error) {
	// The collection's token first, so that a stranger learns nothing of
	// the port.
	if _, err := s.exec(ctx, s.collOp(s.scripts.collCheck, 0, id, token))[0].ok(); err != nil {
		return false, err
	}
	if _, err := s.exec(ctx, s.portOp(s.scripts.memberCheck, settles, member))[0].ok(); err != nil {
		if errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil {
			return false, err
		}
		if _, ok := store.RefusalOf(err); !ok {
			return false, err
		}
		return false, &store.MemberError{PortID: member.PortID, Err: err}
	}
	r, err := s.exec(ctx, s.collOp(s.scripts.collAdd, durable, id, token, member.PortID, store.HashToken(member.Token),
		s.limits.MaxCollectionMembers, s.ttlMs()))[0].ok()
	if err != nil {
		return false, err
	}
	return r.str(1) == "1", nil
}

// RemoveMember removes a member.
func (s *Store) RemoveMember(ctx context.Context, id, token, portID string) error {
	_, err := s.exec(ctx, s.collOp(s.scripts.collRemove, 0, id, token, portID, s.ttlMs()))[0].ok()
	return err
}

// DescribeCollection returns the collection and its members.
func (s *Store) DescribeCollection(ctx context.Context, id, token string) (store.CollectionInfo, error) {
	r, err := s.exec(ctx, s.collOp(s.scripts.collGet, 0, id, token))[0].ok()
	if err != nil {
		return store.CollectionInfo{}, err
	}
	info := store.CollectionInfo{ID: id, CreatedAt: msTime(r.str(1)), Members: []string{}}
	list, _ := r[2].([]any)
	for _, p := range list {
		if p, ok := p.(string); ok {
			info.Members = append(info.Members, p)
		}
	}
	slices.Sort(info.Members)
	return info, nil
}

// DeleteCollection forgets the collection.
func (s *Store) DeleteCollection(ctx context.Context, id, token string) error {
	_, err := s.exec(ctx, s.collOp(s.scripts.collDelete, 0, id, token))[0].ok()
	return err
}

// Broadcast reads the members and posts through each with post.lua, the
// script of an ordinary post, given the member's stored token hash. The
// posts go in exec calls of broadcastBatch: on a Cluster go-redis splits
// each pipeline by node, so a batch costs one round trip per node, however
// the members' channels are spread over the slots.
//
// A member whose port is in the middle of a move is refused as busy
// rather than waited for. A member whose post was sent and not answered
// (a timeout: the pipeline's answers were lost) is Unknown, never
// refused: Redis may have stored it (see result.unknown). With
// Options.WaitReplicas set, each pipeline ends with WAIT on its primary
// (the posts are durable), and a member whose delivery too few replicas
// confirmed is Unknown too: the message stands on the primary, and may or
// may not outlive a failover, as a post would be answered 503.
func (s *Store) Broadcast(ctx context.Context, id, token string, msg store.Outgoing) (store.BroadcastResult, error) {
	return s.broadcast(ctx, id, token, msg, nil)
}

// BroadcastOnce is Broadcast under an idempotency key: each member's post
// carries the post record of that member, under the key
// store.BroadcastKey(id, token, once.Key), so that post.lua checks and
// writes it in the same step as the member's message, as PostOnce does. A
// retry answers the members reached before with their first ids (their
// replays, which exec fences in WAIT mode like any), posts to the others,
// and refuses a member whose record holds another fingerprint
// (store.BroadcastKeyReused).
func (s *Store) BroadcastOnce(ctx context.Context, id, token string, msg store.Outgoing, once store.Idempotency) (store.BroadcastResult, error) {
	return s.broadcast(ctx, id, token, msg, &once)
}

// broadcast is Broadcast, and BroadcastOnce when once is set.
func (s *Store) broadcast(ctx context.Context, id, token string, msg store.Outgoing, once *store.Idempotency) (store.BroadcastResult, error) {
	if err := store.CheckBroadcast(msg); err != nil {
		return store.BroadcastResult{}, err
	}
	members, err := s.members(ctx, id, token)
	if err != nil {
		return store.BroadcastResult{}, err
	}
	if err := store.CheckBroadcastSize(s.limits, len(members), msg); err != nil {
		return store.BroadcastResult{}, fmt.Errorf("collection %s: %w", id, err)
	}
	var mk *memberKey
	if once != nil {
		mk = &memberKey{key: store.BroadcastKey(id, token, once.Key), fingerprint: once.FingerprintHex()}
	}
	var b broadcast
	for start := 0; start < len(members); start += broadcastBatch {
		if err := ctx.Err(); err != nil {
			// The members not posted to yet are not silently skipped:
			// the whole broadcast fails, as a canceled post does.
			return store.BroadcastResult{}, err
		}
		batch := members[start:min(start+broadcastBatch, len(members))]
		posts := make([]op, len(batch))
		for i, m := range batch {
			posts[i] = s.memberPost(m, msg, mk)
		}
		for i, r := range s.exec(ctx, posts...) {
			if err := b.add(ctx, batch[i].port, r); err != nil {
				return store.BroadcastResult{}, err
			}
		}
	}
	if b.unknown > 0 || b.failed > 0 {
		s.log.WarnContext(ctx, "broadcast: the outcome of posts to some members is unknown or they failed",
			"collection", id, "members", len(members), "delivered", len(b.res.Delivered),
			"refused", len(b.res.Refused), "unknown", b.unknown, "failed", b.failed, "first_err", b.firstErr)
	}
	slices.SortFunc(b.res.Refused, func(a, b store.Refused) int { return cmp.Compare(a.Port, b.Port) })
	slices.Sort(b.res.Unknown)
	return b.res, nil
}

// member is a collection's member: its port, and the hash of the token it
// was added with.
type member struct{ port, hash string }

// memberKey is what a broadcast under an idempotency key gives each
// member's post: the key of the member's post record
// (store.BroadcastKey), and the request's fingerprint.
type memberKey struct{ key, fingerprint string }

// memberPost is post.lua through member m, with its post record under mk
// when there is one, as PostOnce's.
func (s *Store) memberPost(m member, msg store.Outgoing, mk *memberKey) op {
	args := s.postArgsHashed(m.port, m.hash, msg, "")
	if mk == nil {
		return s.channelOp(s.scripts.post, durable, m.port, args)
	}
	args = append(args, mk.fingerprint, s.windowMs(), "")
	return s.channelOp(s.scripts.post, durable, m.port, args, s.keys.postRecordHashed(m.port, m.hash, mk.key))
}

// members reads a collection's members, ordered by port, for a broadcast
// (coll_members.lua, which restarts the collection's idle timer).
func (s *Store) members(ctx context.Context, id, token string) ([]member, error) {
	r, err := s.exec(ctx, s.collOp(s.scripts.collMembers, 0, id, token, s.ttlMs()))[0].ok()
	if err != nil {
		return nil, err
	}
	flat, _ := r[1].([]any)
	members := make([]member, 0, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		p, _ := flat[i].(string)
		h, _ := flat[i+1].(string)
		members = append(members, member{p, h})
	}
	slices.SortFunc(members, func(a, b member) int { return cmp.Compare(a.port, b.port) })
	return members, nil
}

// broadcast gathers a broadcast's outcome, member by member. The members
// whose outcome is unknown, and those whose posts failed for a reason not
// about them and were not sent (refused as unavailable), are logged once
// for the whole broadcast, with how many there were and the first error:
// one line per member would be up to Limits.MaxCollectionMembers lines a
// request.
type broadcast struct {
	res             store.BroadcastResult
	unknown, failed int
	firstErr        error
}

// add records the outcome of the post through port. It returns the
// caller's context error when the caller gave up, which ends the
// broadcast.
func (b *broadcast) add(ctx context.Context, port string, r result) error {
	rep, err := r.ok()
	if err == nil {
		eid, perr := store.ParseEventID(rep.str(1))
		if perr == nil {
			b.res.Delivered = append(b.res.Delivered, store.Delivery{Port: port, ID: eid})
			return nil
		}
		// Stored, under an id that does not parse: not a delivery the
		// client can use, and not a refusal either.
		err, r.unknown = perr, true
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return ctx.Err() // the caller gave up, as between batches
	}
	if r.unknown {
		b.note(port, err)
		b.unknown++
		b.res.Unknown = append(b.res.Unknown, port)
		return nil
	}
	reason, ok := store.RefusalOf(err)
	if !ok {
		b.note(port, err)
		b.failed++
		reason = store.BroadcastUnavailable
	}
	b.res.Refused = append(b.res.Refused, store.Refused{Port: port, Reason: reason})
	return nil
}

// note keeps the first error of the broadcast, for its log line.
func (b *broadcast) note(port string, err error) {
	if b.firstErr == nil {
		b.firstErr = fmt.Errorf("member port %s: %w", port, err)
	}
}
