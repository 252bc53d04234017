package redis

import (
	"context"
	"encoding/base64"
	"errors"

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

// TransferOnce is Transfer under an idempotency key. The new token is
// drawn here and the answer sealed (store.SealTransfer) before the call,
// so that transfer.lua writes the record in the very step that makes the
// transfer: no crash, timeout or lost answer can leave one without the
// other. A retry presenting the now dead token finds the record before
// authentication would refuse it, and opens the sealed answer. Either
// answer is durable: exec fences a replayed one (durability.go).
func (s *Store) TransferOnce(ctx context.Context, port store.Credentials, once store.Idempotency) (store.PortCredentials, bool, error) {
	hash := store.HashToken(port.Token)
	index := store.TransferIndex(port.PortID, hash, once.Key)
	pc := store.PortCredentials{ID: port.PortID, Token: store.NewToken()}
	sealed, err := store.SealTransfer(once, index, pc)
	if err != nil {
		return store.PortCredentials{}, false, err
	}
	r, err := s.exec(ctx, s.channelOp(s.scripts.transfer, durable|settles, port.PortID,
		[]any{port.PortID, hash, store.HashToken(pc.Token), s.keys.notify(store.Tag(port.PortID)), s.ttlMs(),
			once.FingerprintHex(), base64.RawURLEncoding.EncodeToString(sealed), s.windowMs()},
		s.keys.transferRecord(port.PortID, hash, once.Key)))[0].ok()
	if err != nil {
		return store.PortCredentials{}, false, err
	}
	if r.str(2) != markReplayed {
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
