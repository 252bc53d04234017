package handlers

import "net/http"

// handleClose is port.close(): it closes the channel for both ends. The
// request body is ignored. Closing a closed channel succeeds.
func (s *Server) handleClose(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	if err := s.store.ClosePort(r.Context(), c); err != nil {
		return err
	}
	s.metrics.closes.Inc()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
