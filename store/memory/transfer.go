package memory

import (
	"context"
	"fmt"
	"time"

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
	p, err := s.transferable(c, now)
	if err != nil {
		return store.PortCredentials{}, err
	}
	token := store.NewToken()
	s.transfer(p, token, now)
	return store.PortCredentials{ID: p.id, Token: token}, nil
}

// TransferOnce is Transfer, remembering the answer, sealed, under the key
// and the token presented. The record is looked up before the token is
// checked: the token of a retry is the one its first call killed, and the
// record's name, which only that token gives, is the proof of holding it.
func (s *Store) TransferOnce(ctx context.Context, c store.Credentials, once store.Idempotency) (store.PortCredentials, bool, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.PortCredentials{}, false, err
	}
	defer s.mu.Unlock()
	index := store.TransferIndex(c.PortID, store.HashToken(c.Token), once.Key)
	k := "transfer:" + index
	r, err := s.lookup(k, once, now)
	if err != nil {
		return store.PortCredentials{}, false, fmt.Errorf("port %q: %w", c.PortID, err)
	}
	if r != nil {
		pc, err := store.OpenTransfer(once, index, r.sealed)
		return pc, err == nil, err
	}
	p, err := s.transferable(c, now)
	if err != nil {
		return store.PortCredentials{}, false, err
	}
	pc := store.PortCredentials{ID: p.id, Token: store.NewToken()}
	// Sealed before anything changes, so that no transfer happens
	// without its record.
	sealed, err := store.SealTransfer(once, index, pc)
	if err != nil {
		return store.PortCredentials{}, false, err
	}
	s.transfer(p, pc.Token, now)
	s.records[k] = &record{fingerprint: once.Fingerprint, expires: now.Add(s.limits.IdempotencyWindow), sealed: sealed}
	return pc, false, nil
}

// transferable returns the port that c may transfer now. s.mu must be
// held.
func (s *Store) transferable(c store.Credentials, now time.Time) (*port, error) {
	p, err := s.authenticate(c, now, store.OpTransfer)
	if err != nil {
		return nil, err
	}
	if p.ch.isClosed() {
		return nil, fmt.Errorf("port %s: %w", p.id, store.ErrClosed)
	}
	return p, nil
}

// transfer gives p the token. s.mu must be held.
func (s *Store) transfer(p *port, token string, now time.Time) {
	p.rekeyTo(token)
	p.ch.touched = now
	// The old holder's streams wake up, read, and learn of the transfer.
	s.hub.Notify(p.id)
}
