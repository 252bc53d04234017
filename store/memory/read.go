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
		batch.Messages[i] = deliver(m)
	}
	return batch, nil
}

// deliver returns a copy of the queued message m for a caller: what it
// does with it must not reach the queue.
func deliver(m store.Message) store.Message {
	m.Data = bytes.Clone(m.Data)
	m.Bytes = bytes.Clone(m.Bytes) // a binary message's stay non-nil
	m.Ports = slices.Clone(m.Ports)
	return m
}

// Message returns a copy of the message id queued at the port. Like Read,
// it keeps the channel alive.
func (s *Store) Message(ctx context.Context, c store.Credentials, id store.EventID) (store.Message, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.Message{}, err
	}
	defer s.mu.Unlock()
	p, err := s.authenticate(c, now, store.OpRead)
	if err != nil {
		return store.Message{}, err
	}
	p.ch.touched = now
	m, ok := p.queued(id)
	if !ok {
		return store.Message{}, fmt.Errorf("port %s: message %q: %w", p.id, id, store.ErrMessageNotFound)
	}
	return deliver(m), nil
}

// queued returns the message id in p's queue, if it is there. s.mu must be
// held.
func (p *port) queued(id store.EventID) (store.Message, bool) {
	i, found := slices.BinarySearchFunc(p.queue, id, func(m store.Message, id store.EventID) int { return m.ID.Compare(id) })
	if !found {
		return store.Message{}, false
	}
	return p.queue[i], true
}

// fitBytes returns how many of msgs, from the first, hold at most max bytes
// of data, the first one always, and whether that leaves some out.
func fitBytes(msgs []store.Message, max int64) (int, bool) {
	var total int64
	for i, m := range msgs {
		total += m.Size()
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
		p.queuedBytes -= m.Size()
	}
	// Zero what is dropped so that the backing array, which the next
	// append may keep using, does not pin the acknowledged messages.
	clear(p.queue[:n])
	p.queue = p.queue[n:]
	p.acked = through
	p.acknowledged += int64(n)
	return nil
}
