package memory

import (
	"fmt"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// authenticate returns the port that c opens for op. s.mu must be held. An unknown
// port, an expired channel and a wrong token are one error, so that ids
// cannot be probed; a token the port had before a transfer is told apart so
// that its former holder learns what happened.
//
// The port's own token allows everything; a scoped token only what its
// scope allows (ErrInsufficientScope otherwise). Every live token is
// compared, each in constant time, so the time taken does not say which
// matched.
func (s *Store) authenticate(c store.Credentials, now time.Time, op store.Op) (*port, error) {
	return s.authenticateHash(c.PortID, store.HashToken(c.Token), now, op)
}

// authenticateHash is authenticate given the hash of the token, as a
// collection keeps it for each member.
func (s *Store) authenticateHash(portID, h string, now time.Time, op store.Op) (*port, error) {
	p := s.ports[portID]
	if p == nil || s.expired(p.ch, now) {
		return nil, fmt.Errorf("port %q: %w", portID, store.ErrUnauthorized)
	}
	if store.SameHash(h, p.tokenHash) {
		return p, nil
	}
	for _, t := range p.scoped {
		if store.SameHash(h, t.hash) {
			if !t.Scope.Allows(op) {
				return nil, fmt.Errorf("port %s: %s: %w", p.id, op, store.ErrInsufficientScope)
			}
			return p, nil
		}
	}
	for _, f := range p.former {
		if store.SameHash(h, f) {
			return nil, fmt.Errorf("port %s: %w", p.id, store.ErrTransferred)
		}
	}
	return nil, fmt.Errorf("port %s: %w", p.id, store.ErrUnauthorized)
}
