package handlers

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tincan-dev/tincan/store"
)

// mintRequest asks for a scoped token.
type mintRequest struct {
	Scope store.Scope `json:"scope"`
	Label string      `json:"label"`
}

// scopedToken describes a scoped token; Token is set only in the answer
// to minting, the one time the secret is handed out.
type scopedToken struct {
	ID        string      `json:"id"`
	Token     string      `json:"token,omitempty"`
	Scope     store.Scope `json:"scope"`
	Label     string      `json:"label"`
	CreatedAt time.Time   `json:"created_at"`
}

// tokenList is GET /ports/{id}/tokens's answer.
type tokenList struct {
	Tokens []scopedToken `json:"tokens"`
}

func describeToken(t store.ScopedToken) scopedToken {
	return scopedToken{ID: t.ID, Scope: t.Scope, Label: t.Label, CreatedAt: t.CreatedAt.UTC()}
}

// handleTokenMint makes a token of a narrower scope for the port, for the
// holder to hand out (to the clients of a worker, say) without handing out
// the port itself.
func (s *Server) handleTokenMint(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	req, err := decode[mintRequest](w, r, maxMintBody, s.cfg.MaxJSONDepth)
	if err != nil {
		return err
	}
	if !req.Scope.Mintable() {
		return badRequest(`Field "scope" must be "post" or "listen".`)
	}
	if !store.ValidLabel(req.Label) {
		return badRequest(`Field "label" must be at most %d bytes of text without control characters.`, store.MaxTokenLabel)
	}
	m, err := s.store.MintToken(r.Context(), c, req.Scope, req.Label)
	if err != nil {
		return err
	}
	out := describeToken(m.ScopedToken)
	out.Token = m.Token
	return encode(w, http.StatusCreated, out)
}

// maxMintBody bounds a mint request: a scope and a label of at most
// store.MaxTokenLabel bytes fit many times over.
const maxMintBody = 1 << 10

// handleTokenList lists the port's scoped tokens, without their secrets.
func (s *Server) handleTokenList(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	list, err := s.store.ListTokens(r.Context(), c)
	if err != nil {
		return err
	}
	out := tokenList{Tokens: make([]scopedToken, len(list))}
	for i, t := range list {
		out.Tokens[i] = describeToken(t)
	}
	return encode(w, http.StatusOK, out)
}

// handleTokenRevoke kills one scoped token of the port.
func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	if err := s.store.RevokeToken(r.Context(), c, chi.URLParam(r, "token_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
