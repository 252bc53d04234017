package handlers

import (
	"net/http"

	"github.com/tincan-dev/tincan/store"
)

// handleTransfer hands the port to a new holder: the caller's token dies
// and the answer carries the new one, to pass on. The request body is
// ignored.
//
// An Idempotency-Key is required: a transfer is the one call whose lost
// answer loses a capability (the old token is dead, and nobody has the
// new one), so its client must be able to ask again. A retry with the
// same key and the same, now dead, token answers the same new token,
// marked Idempotent-Replayed.
func (s *Server) handleTransfer(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	key, ok, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	if !ok {
		return errKeyRequired
	}
	once := store.Idempotency{Key: key, Fingerprint: transferFingerprint(c.PortID)}
	pc, replayed, err := s.store.TransferOnce(r.Context(), c, once)
	if err != nil {
		return err
	}
	if !replayed {
		s.metrics.transferredAlone.Inc()
	}
	markReplayed(w, replayed)
	return encode(w, http.StatusOK, pc)
}
