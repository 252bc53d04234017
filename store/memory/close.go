package memory

import (
	"context"

	"github.com/tincan-dev/tincan/store"
)

// ClosePort closes the port's channel for both ports and rings both, so
// that every waiting reader sees the end of the channel.
func (s *Store) ClosePort(ctx context.Context, c store.Credentials) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	p, err := s.authenticate(c, now, store.OpClose)
	if err != nil {
		return err
	}
	p.ch.touched = now
	if p.ch.isClosed() {
		return nil
	}
	p.ch.closedAt = now.UTC()
	for _, q := range p.ch.ports {
		s.hub.Notify(q.id)
	}
	return nil
}
