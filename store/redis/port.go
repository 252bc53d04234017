package redis

import (
	"context"

	"github.com/tincan-dev/tincan/store"
)

// ClosePort closes the port's channel for both ports and wakes both.
func (s *Store) ClosePort(ctx context.Context, port store.Credentials) error {
	_, err := s.exec(ctx, s.portOp(s.scripts.close, settles, port, s.keys.notify(store.Tag(port.PortID)), s.ttlMs()))[0].ok()
	return err
}

// Transfer gives the port a fresh token; the old one dies, and the old
// holder's waiting readers are woken to find out.
func (s *Store) Transfer(ctx context.Context, port store.Credentials) (store.PortCredentials, error) {
	token := store.NewToken()
	_, err := s.exec(ctx, s.portOp(s.scripts.transfer, durable|settles, port,
		store.HashToken(token), s.keys.notify(store.Tag(port.PortID)), s.ttlMs()))[0].ok()
	if err != nil {
		return store.PortCredentials{}, err
	}
	return store.PortCredentials{ID: port.PortID, Token: token}, nil
}
