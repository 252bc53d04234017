package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// Post queues msg at the peer of from. Everything is checked before
// anything changes, under the one lock, so a refusal leaves no trace.
func (s *Store) Post(ctx context.Context, from store.Credentials, msg store.Outgoing) (store.EventID, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.EventID{}, err
	}
	defer s.mu.Unlock()

	src, err := s.authenticate(from, now, store.OpPost)
	if err != nil {
		return store.EventID{}, err
	}
	return s.post(src, own(msg), now)
}

// own returns msg with copies of its data and bytes, which the store keeps:
// the caller may change or reuse its slices once the call returns. A
// binary message's bytes are never nil, however few.
func own(msg store.Outgoing) store.Outgoing {
	msg.Data = bytes.Clone(msg.Data)
	if msg.Binary() {
		msg.Bytes = append(make([]byte, 0, len(msg.Bytes)), msg.Bytes...)
	} else {
		msg.Bytes = bytes.Clone(msg.Bytes)
	}
	return msg
}

// post queues msg at the peer of src, authenticated. s.mu must be held.
// msg's data and bytes become the queue's: the caller hands in copies of
// its own (see own), which a broadcast shares between all its members'
// queues (nothing changes stored data, and Read hands out copies).
func (s *Store) post(src *port, msg store.Outgoing, now time.Time) (store.EventID, error) {
	if err := store.CheckOutgoing(msg); err != nil {
		return store.EventID{}, err
	}
	if src.ch.isClosed() {
		return store.EventID{}, fmt.Errorf("port %s: %w", src.id, store.ErrClosed)
	}
	dst := src.peer
	size := msg.Size()
	if err := s.limits.Admit(len(dst.queue), dst.queuedBytes, size); err != nil {
		return store.EventID{}, fmt.Errorf("port %s: %w", dst.id, err)
	}
	moving, err := s.checkTransferList(src, msg.Transfer, now)
	if err != nil {
		return store.EventID{}, err
	}

	var moved []store.PortCredentials
	for _, p := range moving {
		moved = append(moved, store.PortCredentials{ID: p.id, Token: p.rekey()})
		p.ch.touched = now
		s.hub.Notify(p.id) // its former holder's streams learn of the move
	}
	id := dst.nextID(now)
	dst.queue = append(dst.queue, store.Message{
		ID:          id,
		Data:        msg.Data,
		ContentType: msg.ContentType,
		Bytes:       msg.Bytes,
		Ports:       moved,
		Source:      src.id,
		SentAt:      now.UTC(),
		Origin:      msg.Origin,
	})
	dst.lastID = id
	dst.queuedBytes += size
	dst.posted++
	src.ch.touched = now
	s.hub.Notify(dst.id)
	return id, nil
}

// checkTransferList returns the ports that list moves, or the
// *store.TransferError refusing its first bad entry. Nothing changes.
func (s *Store) checkTransferList(src *port, list []store.Credentials, now time.Time) ([]*port, error) {
	var moving []*port
	seen := make(map[string]bool, len(list))
	for i, c := range list {
		refuse := func(r store.TransferRefusal) error {
			return &store.TransferError{Index: i, PortID: c.PortID, Reason: r}
		}
		switch {
		case c.PortID == src.id:
			return nil, refuse(store.RefusedSelf)
		case c.PortID == src.peer.id:
			return nil, refuse(store.RefusedPeer)
		case seen[c.PortID]:
			return nil, refuse(store.RefusedDuplicate)
		}
		seen[c.PortID] = true
		p, err := s.authenticate(c, now, store.OpGiveAway)
		switch {
		case errors.Is(err, store.ErrTransferred):
			return nil, refuse(store.RefusedTransferred)
		case errors.Is(err, store.ErrInsufficientScope):
			return nil, refuse(store.RefusedScope)
		case err != nil:
			return nil, refuse(store.RefusedUnauthorized)
		case p.ch.isClosed():
			return nil, refuse(store.RefusedClosed)
		}
		moving = append(moving, p)
	}
	return moving, nil
}
