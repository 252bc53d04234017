package handlers

import (
	"net/http"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// channelResponse is a new channel with both ports' tokens, which are
// never shown again.
type channelResponse struct {
	ID        string                `json:"id"`
	CreatedAt time.Time             `json:"created_at"`
	Port1     store.PortCredentials `json:"port1"`
	Port2     store.PortCredentials `json:"port2"`
}

// handleChannelCreate is `new MessageChannel()`. The request body is
// ignored. With an authenticator configured, the caller's credentials are
// checked before anything else. With an Idempotency-Key, a retry by the
// same creator gets the same channel, tokens included, and creates
// nothing; keys are scoped to their creator (see idempotencyScope), so two
// creators never meet on one key.
func (s *Server) handleChannelCreate(w http.ResponseWriter, r *http.Request) error {
	creator, err := s.creator(r)
	if err != nil {
		return err
	}
	key, idempotent, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var ch store.NewChannel
	if idempotent {
		var replayed bool
		once := store.Idempotency{Key: store.CreatorKey(s.idempotencyScope(r, creator), key), Fingerprint: channelFingerprint}
		ch, replayed, err = s.store.CreateChannelOnce(r.Context(), creator, once)
		markReplayed(w, replayed)
	} else {
		ch, err = s.store.CreateChannel(r.Context(), creator)
	}
	if err != nil {
		return err
	}
	return encode(w, http.StatusCreated, channelResponse{
		ID:        ch.ID,
		CreatedAt: ch.CreatedAt.UTC(),
		Port1:     ch.Port1,
		Port2:     ch.Port2,
	})
}

// idempotencyScope is whom a channel creation's Idempotency-Key belongs
// to: its creator, or, while creation is open and there is none, the
// client address it came from (clientAddress: behind a trusted proxy the
// client it names, an IPv6 client by its /64). A replay answers both
// tokens, so a key alone must not be enough: in open mode anyone who
// learned a key could otherwise have the channel within
// IDEMPOTENCY_WINDOW. A client that retries from another address gets a
// new channel instead, and the first is left to expire. The address is
// marked by a leading NUL, which keeps it apart from any creator an
// authenticator names (apikey:..., a JWT's sub).
func (s *Server) idempotencyScope(r *http.Request, creator string) string {
	if creator != "" {
		return creator
	}
	return "\x00client " + s.clientAddress(r)
}
