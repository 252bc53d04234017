package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tincan-dev/tincan/store"
)

// handleEvents streams the messages queued at a port as Server-Sent Events,
// from its resume point on: the Last-Event-ID header (or last_event_id
// parameter), acknowledged up to there first, or else the oldest
// unacknowledged message. With a ticket for several ports it streams all
// of them at once (see stream.position for the ids then). Errors before
// the stream starts are answered as problems (a store that is unavailable
// then is a 503); afterwards the stream ends with an event that says why,
// or, while the store is unavailable, stays open and reads again until it
// answers. stream.go has the stream itself.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	// This frame stays on the goroutine's stack for as long as the stream
	// is open, so the work before the stream is done in openStream,
	// whose frame is gone by then: an idle stream's stack then fits in a
	// quarter of 16 KiB and the garbage collector halves it.
	st, first, err := s.openStream(w, r)
	if err != nil || st == nil {
		return err
	}
	defer st.close()
	st.run(w, first)
	return nil
}

// openStream authenticates a stream's request, subscribes, reads each
// port's first batch and acknowledges through its resume point, and
// counts the stream. It returns the stream (nil when it has already
// answered: a 204 when nothing will ever arrive) and the first batches;
// the caller runs the stream, then closes it.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request) (*stream, []store.Batch, error) {
	ports, err := s.streamCredentials(r)
	if err != nil {
		return nil, nil, err
	}
	resume, err := parseResume(r, len(ports))
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(ports))
	for i, c := range ports {
		ids[i] = c.PortID
	}

	// The first batches are read together and held until the stream has
	// written them (see stream.run): their bytes are reserved first.
	rsv, err := s.inflight.reserve(int64(len(ports)) * streamBatchBytes)
	if err != nil {
		return nil, nil, err
	}
	// Subscribe before the first read: whatever happens after the read
	// rings the doorbell, so nothing falls between the two.
	sub, err := s.store.Subscribe(r.Context(), ids...)
	if err != nil {
		rsv.release()
		return nil, nil, err
	}
	first := make([]store.Batch, len(ports))
	finished := 0
	var held int64
	for i, c := range ports {
		if first[i], err = s.resumeAt(r, c, resume[i]); err != nil {
			sub.Close()
			rsv.release()
			return nil, nil, err
		}
		held += batchBytes(first[i].Messages)
		// A port whose resume point the store does not know has a reset
		// to get first, whatever its state.
		if len(first[i].Messages) == 0 && first[i].State == store.StateClosed && !unknownResume(resume[i], first[i]) {
			finished++
		}
	}
	if finished == len(ports) {
		sub.Close()
		rsv.release()
		// Nothing will ever arrive: 204 tells EventSource not to reconnect.
		w.WriteHeader(http.StatusNoContent)
		return nil, nil, nil
	}
	// Counted only once the credentials have proved good, so that nobody
	// can use up a port's streams without holding it.
	release, err := s.streams.acquire(ids, s.clientAddress(r))
	if err != nil {
		sub.Close()
		rsv.release()
		return nil, nil, err
	}
	rsv.shrink(held)
	st := newStream(s, r, ports, resume)
	st.sub, st.release, st.firstBytes = sub, release, rsv
	s.metrics.streamsOpen.Inc()
	s.logger.InfoContext(r.Context(), "stream open", "ports", ids, "resumed", !resume[0].IsZero())
	return st, first, nil
}

// resumeAt reads the first batch of port c for a stream that resumes
// after `after`, and acknowledges through `after`: the client has seen
// everything up to there. Only what the store knows is acknowledged: a
// resume point after the port's newest id (lost with a failover or a
// restart, see unknownResume) is acknowledged through that id, and the
// stream rewinds to it when it delivers the batch. Reading first is what
// tells the two apart, in the same step as the port's newest id is
// learnt.
//
// The store can lose its newest messages between the read and the
// acknowledgement too (a failover that completes in between): the
// acknowledgement is then refused as past the newest id, and resumeAt
// reads again to learn what the store knows now, a few times, before it
// answers that the store is unavailable. A resume point is never refused
// for being unknown.
func (s *Server) resumeAt(r *http.Request, c store.Credentials, after store.EventID) (store.Batch, error) {
	for range resumeAttempts {
		batch, err := s.store.Read(r.Context(), c, after, streamRead)
		if err != nil || after.IsZero() {
			return batch, err
		}
		through := after
		if unknownResume(after, batch) {
			through = batch.LastID
		}
		if through.IsZero() {
			return batch, nil
		}
		err = s.store.Ack(r.Context(), c, through)
		if errors.Is(err, store.ErrInvalid) {
			continue // the store lost messages since the read
		}
		if err != nil {
			return store.Batch{}, err
		}
		s.metrics.ackedResume.Inc()
		// The batch, read after `after`, holds nothing the ack deleted; it
		// shows the port as the ack left it.
		if through.Compare(batch.Acked) > 0 {
			batch.Acked = through
		}
		return batch, nil
	}
	return store.Batch{}, fmt.Errorf("port %s: the newest id kept moving back while resuming: %w", c.PortID, store.ErrUnavailable)
}

// resumeAttempts bounds resumeAt's reads while the store keeps losing
// messages under it.
const resumeAttempts = 3

// parseResume reads the resume point of a stream of k ports: the
// Last-Event-ID header, else the last_event_id parameter. For one port it
// is an event id; for several, one event id per port in ticket order,
// joined by "," (the ids the stream sends), with the empty string for a
// port with nothing delivered yet. No resume point is k zero ids.
func parseResume(r *http.Request, k int) ([]store.EventID, error) {
	text := r.Header.Get("Last-Event-ID")
	if text == "" {
		text = r.URL.Query().Get("last_event_id")
	}
	resume := make([]store.EventID, k)
	if text == "" {
		return resume, nil
	}
	parts := []string{text}
	if k > 1 {
		parts = strings.Split(text, ",")
	}
	if len(parts) != k {
		return nil, badRequest("The resume point (Last-Event-ID or last_event_id) must be %d event ids joined by \",\", one per port of the ticket, in its order.", k)
	}
	for i, part := range parts {
		var err error
		if resume[i], err = store.ParseEventID(part); err != nil {
			return nil, badRequest("The resume point (Last-Event-ID or last_event_id) is not an event id.")
		}
	}
	return resume, nil
}
