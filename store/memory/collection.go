package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
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

// Broadcast posts data through every member, under the one lock, so that
// a concurrent transfer or close of a member happens wholly before or
// wholly after it.
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
// token whose hash is tokenHash. s.mu is held while it runs.
type memberPost func(portID, tokenHash string, msg store.Outgoing, now time.Time) (store.EventID, error)

// broadcast posts msg through every member of the collection with
// postThrough.
func (s *Store) broadcast(ctx context.Context, id, token string, msg store.Outgoing, postThrough memberPost) (store.BroadcastResult, error) {
	if err := store.CheckBroadcast(msg); err != nil {
		return store.BroadcastResult{}, err
	}
	now, err := s.begin(ctx)
	if err != nil {
		return store.BroadcastResult{}, err
	}
	defer s.mu.Unlock()
	c, err := s.openCollection(id, token, now)
	if err != nil {
		return store.BroadcastResult{}, err
	}
	c.touched = now
	members := make([]string, 0, len(c.members))
	for p := range c.members {
		members = append(members, p)
	}
	slices.Sort(members)
	var res store.BroadcastResult
	msg.Data = bytes.Clone(msg.Data)
	for _, portID := range members {
		eid, err := postThrough(portID, c.members[portID], msg, now)
		if err != nil {
			reason, ok := store.RefusalOf(err)
			if !ok {
				return store.BroadcastResult{}, err
			}
			res.Refused = append(res.Refused, store.Refused{Port: portID, Reason: reason})
			continue
		}
		res.Delivered = append(res.Delivered, store.Delivery{Port: portID, ID: eid})
	}
	return res, nil
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
