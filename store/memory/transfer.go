package memory

import (
	"context"
	"fmt"

	"github.com/tincan-dev/tincan/store"
)

// Transfer gives the port a new token. Under the lock, of concurrent
// transfers with one token the first kills it and the others find it dead.
func (s *Store) Transfer(ctx context.Context, c store.Credentials) (store.PortCredentials, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.PortCredentials{}, err
	}
	defer s.mu.Unlock()
	p, err := s.authenticate(c, now, store.OpTransfer)
	if err != nil {
		return store.PortCredentials{}, err
	}
	if p.ch.isClosed() {
		return store.PortCredentials{}, fmt.Errorf("port %s: %w", p.id, store.ErrClosed)
	}
	token := p.rekey()
	p.ch.touched = now
	// The old holder's streams wake up, read, and learn of the transfer.
	s.hub.Notify(p.id)
	return store.PortCredentials{ID: p.id, Token: token}, nil
}
