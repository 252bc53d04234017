package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tincan-dev/tincan/api"
	"github.com/tincan-dev/tincan/store"
)

// readyTimeout bounds the store check of /readyz.
const readyTimeout = 2 * time.Second

type statusResponse struct {
	Status string `json:"status"`
}

// handleHealthz answers as long as the process serves requests.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	return encode(w, http.StatusOK, statusResponse{Status: "ok"})
}

// handleReadyz answers whether the store is reachable and its schema
// current, so a load balancer sends traffic only where it can be served.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.store.Ready(ctx); err != nil {
		return fmt.Errorf("ready: %v: %w", err, store.ErrUnavailable)
	}
	return encode(w, http.StatusOK, statusResponse{Status: "ready"})
}

// handleOpenAPI answers the API description, with its length (see
// serveAsset).
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Length", strconv.Itoa(len(api.Spec)))
	_, _ = w.Write(api.Spec) // a failed write means the client went away
	return nil
}
