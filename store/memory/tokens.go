package memory

import (
	"context"
	"fmt"

	"github.com/tincan-dev/tincan/store"
)

// MintToken makes a scoped token for the port. Minting is not activity: a
// port nobody uses expires with its scoped tokens.
func (s *Store) MintToken(ctx context.Context, c store.Credentials, scope store.Scope, label string) (store.MintedToken, error) {
	if !scope.Mintable() || !store.ValidLabel(label) {
		return store.MintedToken{}, fmt.Errorf("scope %q or label: %w", scope, store.ErrInvalid)
	}
	now, err := s.begin(ctx)
	if err != nil {
		return store.MintedToken{}, err
	}
	defer s.mu.Unlock()
	p, err := s.authenticate(c, now, store.OpTokens)
	if err != nil {
		return store.MintedToken{}, err
	}
	if len(p.scoped) >= store.MaxScopedTokens {
		return store.MintedToken{}, fmt.Errorf("port %s: %w", p.id, store.ErrTooManyTokens)
	}
	t := store.MintedToken{
		ScopedToken: store.ScopedToken{
			ID:        store.NewTokenID(now),
			Scope:     scope,
			Label:     label,
			CreatedAt: now.UTC(),
		},
		Token: store.NewToken(),
	}
	p.scoped = append(p.scoped, &scopedToken{ScopedToken: t.ScopedToken, hash: store.HashToken(t.Token)})
	return t, nil
}

// ListTokens returns the port's scoped tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context, c store.Credentials) ([]store.ScopedToken, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	p, err := s.authenticate(c, now, store.OpTokens)
	if err != nil {
		return nil, err
	}
	out := make([]store.ScopedToken, len(p.scoped))
	for i, t := range p.scoped {
		out[i] = t.ScopedToken
	}
	return out, nil
}

// RevokeToken forgets one of the port's scoped tokens. It is not kept
// among the former tokens: a revoked token is simply wrong from now on.
func (s *Store) RevokeToken(ctx context.Context, c store.Credentials, tokenID string) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	p, err := s.authenticate(c, now, store.OpTokens)
	if err != nil {
		return err
	}
	for i, t := range p.scoped {
		if t.ID == tokenID {
			p.scoped = append(p.scoped[:i], p.scoped[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("port %s: token %q: %w", p.id, tokenID, store.ErrTokenNotFound)
}
