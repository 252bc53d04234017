package handlers

import (
	"net/http"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// portResponse describes a port to its holder.
type portResponse struct {
	ID           string        `json:"id"`
	Channel      string        `json:"channel"`
	Peer         string        `json:"peer"`
	State        store.State   `json:"state"`
	CreatedAt    time.Time     `json:"created_at"`
	ClosedAt     *time.Time    `json:"closed_at,omitempty"`
	Queued       int           `json:"queued"`
	QueuedBytes  int64         `json:"queued_bytes"`
	LastEventID  store.EventID `json:"last_event_id"`
	AckedEventID store.EventID `json:"acked_event_id"`
	// Posted and Acknowledged count the messages ever queued at the port
	// and those deleted by acknowledgement; queued is their difference.
	Posted       int64 `json:"posted"`
	Acknowledged int64 `json:"acknowledged"`
}

// handlePortDescribe answers what the holder of a port may know about it.
func (s *Server) handlePortDescribe(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	info, err := s.store.Describe(r.Context(), c)
	if err != nil {
		return err
	}
	s.metrics.queueDepth.Observe(float64(info.Queued))
	return encode(w, http.StatusOK, portResponse{
		ID:           info.ID,
		Channel:      info.ChannelID,
		Peer:         info.Peer,
		State:        info.State,
		CreatedAt:    info.CreatedAt.UTC(),
		ClosedAt:     closedAt(info.State, info.ClosedAt),
		Queued:       info.Queued,
		QueuedBytes:  info.QueuedBytes,
		LastEventID:  info.LastID,
		AckedEventID: info.Acked,
		Posted:       info.Posted,
		Acknowledged: info.Acknowledged,
	})
}

// closedAt is when a closed channel closed, in UTC, or nil for an open one.
func closedAt(state store.State, t time.Time) *time.Time {
	if state != store.StateClosed {
		return nil
	}
	t = t.UTC()
	return &t
}
