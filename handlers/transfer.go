package handlers

import "net/http"

// handleTransfer hands the port to a new holder: the caller's token dies
// and the answer carries the new one, to pass on. The request body is
// ignored.
func (s *Server) handleTransfer(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	pc, err := s.store.Transfer(r.Context(), c)
	if err != nil {
		return err
	}
	s.metrics.transferredAlone.Inc()
	return encode(w, http.StatusOK, pc)
}
