package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// tokenRecord is a scoped token as token_mint.lua keeps it.
type tokenRecord struct {
	ID        string  `json:"id"`
	Scope     string  `json:"scope"`
	Label     string  `json:"label"`
	CreatedAt float64 `json:"created_at"` // unix ms; cjson writes numbers as floats
}

// MintToken makes a scoped token for the port; Redis keeps its hash.
func (s *Store) MintToken(ctx context.Context, port store.Credentials, scope store.Scope, label string) (store.MintedToken, error) {
	if !scope.Mintable() || !store.ValidLabel(label) {
		return store.MintedToken{}, fmt.Errorf("scope %q or label: %w", scope, store.ErrInvalid)
	}
	token := store.NewToken()
	id := store.NewTokenID(time.Now())
	r, err := s.exec(ctx, s.portOp(s.scripts.tokenMint, durable|settles, port,
		store.HashToken(token), id, string(scope), label))[0].ok()
	if err != nil {
		return store.MintedToken{}, err
	}
	return store.MintedToken{
		ScopedToken: store.ScopedToken{ID: id, Scope: scope, Label: label, CreatedAt: msTime(r.str(1))},
		Token:       token,
	}, nil
}

// ListTokens returns the port's scoped tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context, port store.Credentials) ([]store.ScopedToken, error) {
	r, err := s.exec(ctx, s.portOp(s.scripts.tokenList, settles, port))[0].ok()
	if err != nil {
		return nil, err
	}
	out := make([]store.ScopedToken, 0, len(r)-1)
	for i := 1; i < len(r); i++ {
		var rec tokenRecord
		if err := json.Unmarshal([]byte(r.str(i)), &rec); err != nil {
			return nil, fmt.Errorf("port %s: scoped token record: %w", port.PortID, err)
		}
		out = append(out, store.ScopedToken{
			ID:        rec.ID,
			Scope:     store.Scope(rec.Scope),
			Label:     rec.Label,
			CreatedAt: time.UnixMilli(int64(rec.CreatedAt)).UTC(),
		})
	}
	return out, nil
}

// RevokeToken forgets one scoped token of the port.
func (s *Store) RevokeToken(ctx context.Context, port store.Credentials, tokenID string) error {
	_, err := s.exec(ctx, s.portOp(s.scripts.tokenRevoke, settles, port, tokenID, s.keys.notify(store.Tag(port.PortID))))[0].ok()
	return err
}
