package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/tincan-dev/tincan/store"
)

// Read returns up to limit messages at the port after `after`. A limit
// below one is ErrInvalid. Reading keeps the channel alive.
func (s *Store) Read(ctx context.Context, c store.Credentials, after store.EventID, limit int) (store.Batch, error) {
	if limit < 1 {
		return store.Batch{}, fmt.Errorf("read limit %d: %w", limit, store.ErrInvalid)
	}
	now, err := s.begin(ctx)
	if err != nil {
		return store.Batch{}, err
	}
	defer s.mu.Unlock()
	p, err := s.authenticate(c, now, store.OpRead)
	if err != nil {
		return store.Batch{}, err
	}
	p.ch.touched = now

	q := p.queue
	i := sort.Search(len(q), func(i int) bool { return q[i].ID.Compare(after) > 0 })
	q = q[i:min(len(q), i+limit)]
	batch := store.Batch{Messages: make([]store.Message, len(q)), State: p.ch.state(), ClosedAt: p.ch.closedAt, Acked: p.acked, LastID: p.lastID}
	for i, m := range q {
		// The caller gets its own copies: what it does with them must not
		// reach the queue.
		m.Data = bytes.Clone(m.Data)
		m.Ports = slices.Clone(m.Ports)
		batch.Messages[i] = m
	}
	return batch, nil
}

// Ack deletes the port's messages up to and including through.
func (s *Store) Ack(ctx context.Context, c store.Credentials, through store.EventID) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	p, err := s.authenticate(c, now, store.OpAck)
	if err != nil {
		return err
	}
	if through.Compare(p.lastID) > 0 {
		return fmt.Errorf("ack %s after the newest id %q at port %s: %w", through, p.lastID, p.id, store.ErrInvalid)
	}
	p.ch.touched = now
	if through.Compare(p.acked) <= 0 {
		return nil
	}
	n := sort.Search(len(p.queue), func(i int) bool { return p.queue[i].ID.Compare(through) > 0 })
	// Zero what is dropped so that the backing array, which the next
	// append may keep using, does not pin the acknowledged messages.
	clear(p.queue[:n])
	p.queue = p.queue[n:]
	p.acked = through
	p.acknowledged += int64(n)
	return nil
}
