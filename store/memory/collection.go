package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// collection is a set of member ports, each with the hash of the token it
// was added with (never the token).
type collection struct {
	id        string
	tokenHash string
	createdAt time.Time // UTC wall clock, as reported
	touched   time.Time // last activity, with its monotonic reading
	members   map[string]string
}

// CreateCollection makes a new, empty collection.
func (s *Store) CreateCollection(ctx context.Context) (store.NewCollection, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.NewCollection{}, err
	}
	defer s.mu.Unlock()
	var id string
	for id == "" || s.collections[id] != nil {
		if id, err = store.NewCollectionID(now); err != nil {
			return store.NewCollection{}, err
		}
	}
	token := store.NewToken()
	s.collections[id] = &collection{
		id:        id,
		tokenHash: store.HashToken(token),
		createdAt: now.UTC(),
		touched:   now,
		members:   make(map[string]string),
	}
	return store.NewCollection{ID: id, Token: token, CreatedAt: now.UTC()}, nil
}

// openCollection returns the collection that id and token open. s.mu must
// be held. An unknown collection, an expired one and a wrong token are one
// error.
func (s *Store) openCollection(id, token string, now time.Time) (*collection, error) {
	c := s.collections[id]
	if c == nil || s.collectionExpired(c, now) || !store.SameHash(store.HashToken(token), c.tokenHash) {
		return nil, fmt.Errorf("collection %q: %w", id, store.ErrUnauthorized)
	}
	return c, nil
}

func (s *Store) collectionExpired(c *collection, now time.Time) bool {
	return now.Sub(c.touched) >= s.limits.ChannelTTL
}

// AddMember adds a port that its credentials allow posting through.
func (s *Store) AddMember(ctx context.Context, id, token string, member store.Credentials) (bool, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	c, err := s.openCollection(id, token, now)
	if err != nil {
		return false, err
	}
	p, err := s.authenticate(member, now, store.OpPost)
	if err != nil {
		return false, &store.MemberError{PortID: member.PortID, Err: err}
	}
	if p.ch.isClosed() {
		return false, &store.MemberError{PortID: member.PortID, Err: store.ErrClosed}
	}
	_, had := c.members[p.id]
	if !had && len(c.members) >= s.limits.MaxCollectionMembers {
		return false, fmt.Errorf("collection %s: %w", c.id, store.ErrTooManyMembers)
	}
	c.members[p.id] = store.HashToken(member.Token)
	c.touched = now
	return !had, nil
}

// RemoveMember removes a member port.
func (s *Store) RemoveMember(ctx context.Context, id, token, portID string) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	c, err := s.openCollection(id, token, now)
	if err != nil {
		return err
	}
	if _, ok := c.members[portID]; !ok {
		return fmt.Errorf("collection %s: port %q: %w", c.id, portID, store.ErrMemberNotFound)
	}
	delete(c.members, portID)
	c.touched = now
	return nil
}

// DescribeCollection returns the collection and its members.
func (s *Store) DescribeCollection(ctx context.Context, id, token string) (store.CollectionInfo, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.CollectionInfo{}, err
	}
	defer s.mu.Unlock()
	c, err := s.openCollection(id, token, now)
	if err != nil {
		return store.CollectionInfo{}, err
	}
	members := make([]string, 0, len(c.members))
	for p := range c.members {
		members = append(members, p)
	}
	slices.Sort(members)
	return store.CollectionInfo{ID: c.id, CreatedAt: c.createdAt, Members: members}, nil
}

// DeleteCollection forgets the collection.
func (s *Store) DeleteCollection(ctx context.Context, id, token string) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	c, err := s.openCollection(id, token, now)
	if err != nil {
		return err
	}
	delete(s.collections, c.id)
	return nil
}

// broadcastBatch is how many members a broadcast posts to under the lock at
// a time. Between batches it lets the lock go, so that one broadcast to
// thousands of members holds up other calls for a batch's time (some tens
// of microseconds) at a time, never for the whole broadcast.
const broadcastBatch = 64

// Broadcast posts data through every member, member by member: each post
// is atomic, as a Post through the member would be, but the broadcast as a
// whole is not, so that it does not keep the store from everyone else
// while it runs. A concurrent transfer or close of a member happens before
// or after the member's own post. The members are those of the collection
// when the broadcast begins.
func (s *Store) Broadcast(ctx context.Context, id, token string, msg store.Outgoing) (store.BroadcastResult, error) {
	return s.broadcast(ctx, id, token, msg, s.postAs)
}

// BroadcastOnce is Broadcast with each member's post made as PostOnce
// through the member under the broadcast's derived key.
func (s *Store) BroadcastOnce(ctx context.Context, id, token string, msg store.Outgoing, once store.Idempotency) (store.BroadcastResult, error) {
	memberOnce := store.Idempotency{Key: store.BroadcastKey(id, token, once.Key), Fingerprint: once.Fingerprint}
	return s.broadcast(ctx, id, token, msg, func(portID, tokenHash string, msg store.Outgoing, now time.Time) (store.EventID, error) {
		eid, _, err := s.postOnce(portID, tokenHash, msg, memberOnce, now)
		return eid, err
	})
}

// memberPost posts msg through the member port portID as the holder of the
// token whose hash is tokenHash. s.mu is held while it runs; msg's data
// and bytes are the store's (see post).
type memberPost func(portID, tokenHash string, msg store.Outgoing, now time.Time) (store.EventID, error)

// member is a collection's member as a broadcast found it: its port, and
// the hash of the token it was added with.
type member struct{ port, hash string }

// broadcast posts msg through every member of the collection with
// postThrough, broadcastBatch members under the lock at a time. The data
// (or bytes) is copied once, and that copy is shared by every member's
// queue.
func (s *Store) broadcast(ctx context.Context, id, token string, msg store.Outgoing, postThrough memberPost) (store.BroadcastResult, error) {
	if err := store.CheckBroadcast(msg); err != nil {
		return store.BroadcastResult{}, err
	}
	members, err := s.broadcastMembers(ctx, id, token, msg)
	if err != nil {
		return store.BroadcastResult{}, err
	}
	var res store.BroadcastResult
	msg = own(msg)
	for start := 0; start < len(members); start += broadcastBatch {
		if start > 0 && s.betweenBatches != nil {
			s.betweenBatches()
		}
		batch := members[start:min(start+broadcastBatch, len(members))]
		if err := s.postBatch(ctx, batch, msg, postThrough, &res); err != nil {
			// The members not posted to yet are not silently skipped:
			// the whole broadcast fails, as a canceled post does.
			return store.BroadcastResult{}, err
		}
	}
	return res, nil
}

// broadcastMembers opens the collection, restarts its idle time, and
// returns its members, ordered by port, once their number allows msg
// (store.CheckBroadcastSize).
func (s *Store) broadcastMembers(ctx context.Context, id, token string, msg store.Outgoing) ([]member, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	c, err := s.openCollection(id, token, now)
	if err != nil {
		return nil, err
	}
	if err := store.CheckBroadcastSize(s.limits, len(c.members), msg); err != nil {
		return nil, fmt.Errorf("collection %s: %w", c.id, err)
	}
	c.touched = now
	members := make([]member, 0, len(c.members))
	for p, h := range c.members {
		members = append(members, member{p, h})
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.port, b.port) })
	return members, nil
}

// postBatch posts msg through each of batch under the lock, adding the
// outcomes to res.
func (s *Store) postBatch(ctx context.Context, batch []member, msg store.Outgoing, postThrough memberPost, res *store.BroadcastResult) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	for _, m := range batch {
		eid, err := postThrough(m.port, m.hash, msg, now)
		if err != nil {
			reason, ok := store.RefusalOf(err)
			if !ok {
				return err
			}
			res.Refused = append(res.Refused, store.Refused{Port: m.port, Reason: reason})
			continue
		}
		res.Delivered = append(res.Delivered, store.Delivery{Port: m.port, ID: eid})
	}
	return nil
}

// postAs posts msg through the port portID as the holder of the token
// whose hash is tokenHash. s.mu must be held.
func (s *Store) postAs(portID, tokenHash string, msg store.Outgoing, now time.Time) (store.EventID, error) {
	p, err := s.authenticateHash(portID, tokenHash, now, store.OpPost)
	if err != nil {
		return store.EventID{}, err
	}
	return s.post(p, msg, now)
}
