package memory

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// record is the remembered answer to a request made under an idempotency
// key. Every change here happens under the one lock, in the same step as
// the request it remembers, so no request is ever half done: ErrInFlight
// never happens in this store.
type record struct {
	fingerprint [sha256.Size]byte
	expires     time.Time     // with its monotonic reading, like channel.touched
	id          store.EventID // a post's answer
	// sealed is a channel creation's or a transfer's answer, see
	// store.SealChannel and store.SealTransfer.
	sealed []byte
}

// lookup returns the live record named k, or nil; it refuses a record made
// for another fingerprint. s.mu must be held.
func (s *Store) lookup(k string, once store.Idempotency, now time.Time) (*record, error) {
	r := s.records[k]
	if r == nil || !now.Before(r.expires) {
		return nil, nil
	}
	if r.fingerprint != once.Fingerprint {
		return nil, store.ErrKeyReused
	}
	return r, nil
}

// PostOnce is Post, remembering the answer under once.Key for the sending
// port. The sender is authenticated first, so only its holder learns what
// a key was used for.
func (s *Store) PostOnce(ctx context.Context, from store.Credentials, msg store.Outgoing, once store.Idempotency) (store.EventID, bool, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.EventID{}, false, err
	}
	defer s.mu.Unlock()

	return s.postOnce(from.PortID, store.HashToken(from.Token), own(msg), once, now)
}

// postOnce is PostOnce through the port portID as the holder of the token
// whose hash is tokenHash, as a broadcast posts through a member. s.mu must
// be held; msg's data and bytes are the store's, as for post.
func (s *Store) postOnce(portID, tokenHash string, msg store.Outgoing, once store.Idempotency, now time.Time) (store.EventID, bool, error) {
	src, err := s.authenticateHash(portID, tokenHash, now, store.OpPost)
	if err != nil {
		return store.EventID{}, false, err
	}
	k := "post:" + store.PostIndex(src.id, tokenHash, once.Key)
	r, err := s.lookup(k, once, now)
	if err != nil {
		return store.EventID{}, false, fmt.Errorf("port %s: %w", src.id, err)
	}
	if r != nil {
		return r.id, true, nil
	}
	id, err := s.post(src, msg, now)
	if err != nil {
		return store.EventID{}, false, err
	}
	s.records[k] = &record{fingerprint: once.Fingerprint, expires: now.Add(s.limits.IdempotencyWindow), id: id}
	return id, false, nil
}

// CreateChannelOnce is CreateChannel, remembering the answer, sealed, under
// once.Key.
func (s *Store) CreateChannelOnce(ctx context.Context, creator string, once store.Idempotency) (store.NewChannel, bool, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.NewChannel{}, false, err
	}
	defer s.mu.Unlock()

	k := "channel:" + store.ChannelIndex(once.Key)
	r, err := s.lookup(k, once, now)
	if err != nil {
		return store.NewChannel{}, false, err
	}
	if r != nil {
		ch, err := store.OpenChannel(once, r.sealed)
		return ch, err == nil, err
	}
	ch, err := s.create(now, creator)
	if err != nil {
		return store.NewChannel{}, false, err
	}
	sealed, err := store.SealChannel(once, ch)
	if err != nil {
		return store.NewChannel{}, false, err
	}
	s.records[k] = &record{fingerprint: once.Fingerprint, expires: now.Add(s.limits.IdempotencyWindow), sealed: sealed}
	return ch, false, nil
}
