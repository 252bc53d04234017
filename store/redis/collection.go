package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
)

// broadcastBatch is how many members' posts go in one pipeline: one round
// trip (one per node on a Cluster) per broadcastBatch members, each
// pipeline a few hundred KiB for small messages, so that one broadcast
// neither holds a connection long nor makes Redis buffer much.
const broadcastBatch = 500

// collScripts are the collection scripts, each with lua/lib.lua and
// lua/coll_lib.lua in front of it, and the member check.
type collScripts struct {
	create, check, add, remove, get, del, members, memberCheck *goredis.Script
}

func loadCollScripts() *collScripts {
	lib := mustRead("lib.lua") + "\n" + mustRead("coll_lib.lua")
	load := func(name string) *goredis.Script {
		return goredis.NewScript(lib + "\n" + mustRead(name))
	}
	return &collScripts{
		create:      load("coll_create.lua"),
		check:       load("coll_check.lua"),
		add:         load("coll_add.lua"),
		remove:      load("coll_remove.lua"),
		get:         load("coll_get.lua"),
		del:         load("coll_delete.lua"),
		members:     load("coll_members.lua"),
		memberCheck: goredis.NewScript(mustRead("lib.lua") + "\n" + mustRead("member_check.lua")),
	}
}

// durable reports whether sc's success is an answer the client keeps (a
// new collection's token, a member it will broadcast to), which, like
// scripts.durable's, WaitReplicas must not give before the replicas have
// it.
func (cs *collScripts) durable(sc *goredis.Script) bool {
	return sc == cs.create || sc == cs.add
}

// collScript runs a collection script on the collection id and returns
// its reply once it is 'ok'; the refusals are ErrUnauthorized, and those
// the caller knows.
func (s *Store) collScript(ctx context.Context, sc *goredis.Script, id, token string, args ...any) (reply, error) {
	if !store.ValidID(id) {
		return nil, fmt.Errorf("collection %q: %w", id, store.ErrUnauthorized)
	}
	v, err := s.run(ctx, sc, s.keys.collection(id), append([]any{store.HashToken(token)}, args...)...)
	if err != nil {
		return nil, err
	}
	r, err := asReply(v)
	if err != nil {
		return nil, err
	}
	switch r.status() {
	case "ok":
		return r, nil
	case "unauthorized":
		return nil, fmt.Errorf("collection %q: %w", id, store.ErrUnauthorized)
	case "too_many":
		return nil, fmt.Errorf("collection %s: %w", id, store.ErrTooManyMembers)
	case "not_member":
		return nil, fmt.Errorf("collection %s: %w", id, store.ErrMemberNotFound)
	}
	return nil, fmt.Errorf("collection %s: unexpected script status %q", id, r.status())
}

// CreateCollection makes a new, empty collection.
func (s *Store) CreateCollection(ctx context.Context) (store.NewCollection, error) {
	for {
		id, err := store.NewCollectionID(time.Now())
		if err != nil {
			return store.NewCollection{}, err
		}
		token := store.NewToken()
		v, err := s.run(ctx, s.coll.create, s.keys.collection(id), store.HashToken(token), s.ttlMs())
		if err != nil {
			return store.NewCollection{}, err
		}
		r, err := asReply(v)
		if err != nil {
			return store.NewCollection{}, err
		}
		if r.status() == "exists" {
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
	if !store.ValidID(id) {
		return false, fmt.Errorf("collection %q: %w", id, store.ErrUnauthorized)
	}
	// The collection's token first, so that a stranger learns nothing of
	// the port.
	if _, err := s.collScript(ctx, s.coll.check, id, token); err != nil {
		return false, err
	}
	if _, err := s.portScript(ctx, s.coll.memberCheck, member); err != nil {
		if errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil {
			return false, err
		}
		if _, ok := store.RefusalOf(err); !ok {
			return false, err
		}
		return false, &store.MemberError{PortID: member.PortID, Err: err}
	}
	r, err := s.collScript(ctx, s.coll.add, id, token, member.PortID, store.HashToken(member.Token),
		s.limits.MaxCollectionMembers, s.ttlMs())
	if err != nil {
		return false, err
	}
	return r.str(1) == "1", nil
}

// RemoveMember removes a member.
func (s *Store) RemoveMember(ctx context.Context, id, token, portID string) error {
	_, err := s.collScript(ctx, s.coll.remove, id, token, portID, s.ttlMs())
	return err
}

// DescribeCollection returns the collection and its members.
func (s *Store) DescribeCollection(ctx context.Context, id, token string) (store.CollectionInfo, error) {
	r, err := s.collScript(ctx, s.coll.get, id, token)
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
	_, err := s.collScript(ctx, s.coll.del, id, token)
	return err
}

// Broadcast reads the members and posts through each with post.lua, the
// script of an ordinary post, given the member's stored token hash. The
// posts go in pipelines of broadcastBatch: on a Cluster go-redis splits
// each pipeline by node, so a batch costs one round trip per node, however
// the members' channels are spread over the slots.
//
// A member whose port is in the middle of a move is refused as busy
// rather than waited for. With Options.WaitReplicas set, each pipeline
// ends with WAIT on its primary (pipelinedDurable), and a member whose
// delivery too few replicas confirmed is reported unavailable, as a post
// would be answered.
func (s *Store) Broadcast(ctx context.Context, id, token string, msg store.Outgoing) (store.BroadcastResult, error) {
	return s.broadcast(ctx, id, token, msg, nil)
}

// broadcast is Broadcast, and BroadcastOnce when once is set.
func (s *Store) broadcast(ctx context.Context, id, token string, msg store.Outgoing, once *store.Idempotency) (store.BroadcastResult, error) {
	if err := store.CheckBroadcast(msg); err != nil {
		return store.BroadcastResult{}, err
	}
	r, err := s.collScript(ctx, s.coll.members, id, token, s.ttlMs())
	if err != nil {
		return store.BroadcastResult{}, err
	}
	flat, _ := r[1].([]any)
	type member struct{ port, hash string }
	members := make([]member, 0, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		p, _ := flat[i].(string)
		h, _ := flat[i+1].(string)
		members = append(members, member{p, h})
	}
	slices.SortFunc(members, func(a, b member) int { return cmp.Compare(a.port, b.port) })

	if len(members) > 0 {
		// A pipeline cannot fall back from EVALSHA to EVAL by itself: with
		// the script missing (a fresh or restarted Redis) every member's
		// call would fail and go again with the whole script's text. Load
		// it first, on every primary (go-redis sends SCRIPT LOAD to each
		// shard of a Cluster): one round trip per node.
		if err := s.loadScript(ctx, s.scripts.post); err != nil {
			return store.BroadcastResult{}, err
		}
	}
	var memberKey string
	if once != nil {
		memberKey = store.BroadcastKey(id, token, once.Key)
	}
	var res store.BroadcastResult
	// Posts that failed for a reason not about the member (a script
	// error, say) are reported unavailable and logged once for the whole
	// broadcast, with how many there were: one line per member would be
	// up to Limits.MaxCollectionMembers lines a request.
	var failed int
	var firstErr error
	for start := 0; start < len(members); start += broadcastBatch {
		if err := ctx.Err(); err != nil {
			// The members not posted to yet are not silently skipped:
			// the whole broadcast fails, as a canceled post does.
			return store.BroadcastResult{}, err
		}
		batch := members[start:min(start+broadcastBatch, len(members))]
		calls := make([]call, 0, len(batch))
		posted := make([]member, 0, len(batch))
		for _, m := range batch {
			ck, ok := s.keys.forPort(m.port)
			if !ok {
				res.Refused = append(res.Refused, store.Refused{Port: m.port, Reason: store.BroadcastUnauthorized})
				continue
			}
			c := call{script: s.scripts.post, keys: ck.list(), args: s.postArgsHashed(m.port, m.hash, msg, "")}
			if once != nil {
				c.keys = append(c.keys, s.keys.postRecordHashed(m.port, m.hash, memberKey))
				c.args = append(c.args, once.FingerprintHex(), s.windowMs(), "")
			}
			calls = append(calls, c)
			posted = append(posted, m)
		}
		pipelined := s.pipelined
		if s.waitReplicas > 0 {
			pipelined = s.pipelinedDurable
		}
		replies, errs := pipelined(ctx, calls)
		for i, m := range posted {
			eid, err := s.broadcastReply(m.port, replies[i], errs[i])
			if err != nil {
				reason, ok := store.RefusalOf(err)
				if !ok && ctx.Err() != nil && errors.Is(err, context.Canceled) {
					// The caller gave up, as between batches below.
					return store.BroadcastResult{}, ctx.Err()
				}
				if !ok {
					if failed == 0 {
						firstErr = fmt.Errorf("member port %s: %w", m.port, err)
					}
					failed++
					reason = store.BroadcastUnavailable
				}
				res.Refused = append(res.Refused, store.Refused{Port: m.port, Reason: reason})
				continue
			}
			res.Delivered = append(res.Delivered, store.Delivery{Port: m.port, ID: eid})
		}
	}
	if failed > 0 {
		s.log.ErrorContext(ctx, "broadcast: posts to members failed", "collection", id, "members", failed, "first_err", firstErr)
	}
	slices.SortFunc(res.Refused, func(a, b store.Refused) int { return cmp.Compare(a.Port, b.Port) })
	return res, nil
}

// broadcastReply turns post.lua's answer for one member into the event id
// (an idempotency key's earlier one, when replayed) or the store error.
func (s *Store) broadcastReply(portID string, v any, err error) (store.EventID, error) {
	if err != nil {
		return store.EventID{}, err
	}
	r, err := asReply(v)
	if err != nil {
		return store.EventID{}, err
	}
	if r.status() != "ok" {
		return store.EventID{}, postStatusError(portID, r.status())
	}
	return store.ParseEventID(r.str(1))
}

// loadScript loads sc into Redis (every primary, on a Cluster), within
// the round trip's bound.
func (s *Store) loadScript(ctx context.Context, sc *goredis.Script) error {
	ctx, cancel := s.bound(ctx, 0)
	defer cancel()
	return s.wrap(ctx, sc.Load(ctx, s.client).Err())
}
