package handlers

import (
	"net/http"

	"github.com/tincan-dev/tincan/store"
)

// ackRequest acknowledges every message up to and including Through.
type ackRequest struct {
	Through store.EventID `json:"through"`
}

// handleAck deletes the messages a client has processed, so that they are
// never delivered again.
func (s *Server) handleAck(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	req, err := decode[ackRequest](w, r, s.cfg.MaxMessageSize, s.cfg.MaxJSONDepth)
	if err != nil {
		return err
	}
	if req.Through.IsZero() {
		return badRequest(`Field "through" is required: the event id to acknowledge up to.`)
	}
	if err := s.store.Ack(r.Context(), c, req.Through); err != nil {
		return err
	}
	s.metrics.ackedRequest.Inc()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
