package memory

import (
	"context"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// CreateChannel makes a new open channel. A tag already in use (two
// channels of one millisecond sharing 50 random bits) is drawn again.
func (s *Store) CreateChannel(ctx context.Context, creator string) (store.NewChannel, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.NewChannel{}, err
	}
	defer s.mu.Unlock()
	return s.create(now, creator)
}

// create makes a new open channel for creator. s.mu must be held.
func (s *Store) create(now time.Time, creator string) (store.NewChannel, error) {
	var id, id1, id2 string
	var err error
	for {
		if id, id1, id2, err = store.NewChannelIDs(now); err != nil {
			return store.NewChannel{}, err
		}
		if s.channels[store.Tag(id)] == nil {
			break
		}
	}
	ch := &channel{id: id, createdAt: now.UTC(), touched: now, creator: creator}
	p1 := &port{id: id1, ch: ch}
	p2 := &port{id: id2, ch: ch}
	p1.peer, p2.peer = p2, p1
	ch.ports = [2]*port{p1, p2}
	token1, token2 := store.NewToken(), store.NewToken()
	p1.tokenHash, p2.tokenHash = store.HashToken(token1), store.HashToken(token2)

	s.channels[store.Tag(id)] = ch
	s.ports[id1] = p1
	s.ports[id2] = p2
	return store.NewChannel{
		ID:        id,
		CreatedAt: ch.createdAt,
		Port1:     store.PortCredentials{ID: id1, Token: token1},
		Port2:     store.PortCredentials{ID: id2, Token: token2},
	}, nil
}

// Describe returns what the holder of a port may know about it. Looking
// is not activity: it does not keep the channel alive.
func (s *Store) Describe(ctx context.Context, c store.Credentials) (store.PortInfo, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.PortInfo{}, err
	}
	defer s.mu.Unlock()
	p, err := s.authenticate(c, now, store.OpDescribe)
	if err != nil {
		return store.PortInfo{}, err
	}
	return p.info(), nil
}
