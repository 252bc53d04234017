package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/tincan-dev/tincan/store"
)

// Read returns the messages at the port after `after` that limit allows.
// A limit of no messages is ErrInvalid. Reading keeps the channel alive.
func (s *Store) Read(ctx context.Context, c store.Credentials, after store.EventID, limit store.ReadLimit) (store.Batch, error) {
	if limit.Messages < 1 {
		return store.Batch{}, fmt.Errorf("read limit %d: %w", limit.Messages, store.ErrInvalid)
	}
	if limit.Bytes <= 0 {
		limit.Bytes = store.DefaultReadBytes
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
	q = q[i:min(len(q), i+limit.Messages)]
	n, truncated := fitBytes(q, limit.Bytes)
	batch := store.Batch{Messages: make([]store.Message, n), State: p.ch.state(), ClosedAt: p.ch.closedAt, Acked: p.acked, LastID: p.lastID,
		Truncated: truncated}
	for i, m := range q[:n] {
		// The caller gets its own copies: what it does with them must not
		// reach the queue.
		m.Data = bytes.Clone(m.Data)
		m.Ports = slices.Clone(m.Ports)
		batch.Messages[i] = m
	}
	return batch, nil
}

// fitBytes returns how many of msgs, from the first, hold at most max bytes
// of data, the first one always, and whether that leaves some out.
func fitBytes(msgs []store.Message, max int64) (int, bool) {
	var total int64
	for i, m := range msgs {
		total += int64(len(m.Data))
		if i > 0 && total > max {
			return i, true
		}
	}
	return len(msgs), false
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
	for _, m := range p.queue[:n] {
		p.queuedBytes -= int64(len(m.Data))
	}
	// Zero what is dropped so that the backing array, which the next
	// append may keep using, does not pin the acknowledged messages.
	clear(p.queue[:n])
	p.queue = p.queue[n:]
	p.acked = through
	p.acknowledged += int64(n)
	return nil
}
