package redis

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/tincan-dev/tincan/store"
)

// TransferOnce is Transfer under an idempotency key. The new token is
// drawn here and the answer sealed (store.SealTransfer) before the call,
// so that transfer.lua writes the record in the very step that makes the
// transfer: no crash, timeout or lost answer can leave one without the
// other. A retry presenting the now dead token finds the record before
// authentication would refuse it, and opens the sealed answer.
func (s *Store) TransferOnce(ctx context.Context, port store.Credentials, once store.Idempotency) (store.PortCredentials, bool, error) {
	ck, ok := s.keys.forPort(port.PortID)
	if !ok {
		return store.PortCredentials{}, false, fmt.Errorf("port %q: %w", port.PortID, store.ErrUnauthorized)
	}
	hash := store.HashToken(port.Token)
	index := store.TransferIndex(port.PortID, hash, once.Key)
	pc := store.PortCredentials{ID: port.PortID, Token: store.NewToken()}
	sealed, err := store.SealTransfer(once, index, pc)
	if err != nil {
		return store.PortCredentials{}, false, err
	}
	keys := append(ck.list(), s.keys.transferRecord(port.PortID, hash, once.Key))
	r, err := s.runSettled(ctx, s.scripts.transfer, keys,
		port.PortID, hash, store.HashToken(pc.Token), s.keys.notify(store.Tag(port.PortID)), s.ttlMs(),
		once.FingerprintHex(), base64.RawURLEncoding.EncodeToString(sealed), s.windowMs())
	if err != nil {
		return store.PortCredentials{}, false, err
	}
	if r.status() != "ok" {
		return store.PortCredentials{}, false, postStatusError(port.PortID, r.status())
	}
	if r.str(2) != "replayed" {
		return pc, false, nil
	}
	answer, err := base64.RawURLEncoding.DecodeString(r.str(1))
	if err != nil {
		return store.PortCredentials{}, false, errors.New("redis store: malformed transfer idempotency record")
	}
	theirs, err := store.OpenTransfer(once, index, answer)
	if err != nil {
		return store.PortCredentials{}, false, err
	}
	// go-redis sends a script again when its answer was lost: a resent
	// run of this very call finds its own record, which is no replay for
	// the client.
	return theirs, theirs.Token != pc.Token, nil
}

// BroadcastOnce is Broadcast under an idempotency key: each member's post
// carries the post record of that member, under the key
// store.BroadcastKey(id, token, once.Key), so that post.lua checks and
// writes it in the same step as the member's message, as PostOnce does.
func (s *Store) BroadcastOnce(ctx context.Context, id, token string, msg store.Outgoing, once store.Idempotency) (store.BroadcastResult, error) {
	return s.broadcast(ctx, id, token, msg, &once)
}
