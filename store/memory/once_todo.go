package memory

import (
	"context"
	"errors"

	"github.com/tincan-dev/tincan/store"
)

// TODO(r12): replaced by the real implementations on this branch.
var errTODO = errors.New("not yet built")

func (s *Store) TransferOnce(ctx context.Context, port store.Credentials, once store.Idempotency) (store.PortCredentials, bool, error) {
	return store.PortCredentials{}, false, errTODO
}

func (s *Store) BroadcastOnce(ctx context.Context, id, token string, msg store.Outgoing, once store.Idempotency) (store.BroadcastResult, error) {
	return store.BroadcastResult{}, errTODO
}
