package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/tincan-dev/tincan/sse"
	"github.com/tincan-dev/tincan/store"
)

const (
	// streamBatch is how many messages a stream reads at a time; it reads
	// again until nothing new is left, flushing once per batch.
	streamBatch = 100
	// busyRetry is how soon a stream reads again after finding its port
	// in the middle of a move.
	busyRetry = 100 * time.Millisecond
	// While the store is unavailable a stream stays open and reads again
	// after a delay that doubles from minUnavailableRetry up to
	// maxUnavailableRetry; the store's return rings every doorbell, so the
	// cap bounds only how late a stream notices a return without one.
	minUnavailableRetry = 100 * time.Millisecond
	maxUnavailableRetry = 2 * time.Second
	// shutdownRetry is the "retry:" hint a stream sends as its last frame
	// when the server shuts down: short, so that EventSource reconnects
	// (to another instance) at once rather than after the usual delay.
	shutdownRetry = time.Second
)

// closeData is the data of an `event: close`.
type closeData struct {
	Port     string    `json:"port"`
	ClosedAt time.Time `json:"closed_at"`
}

// resetData is the data of an `event: reset`: the messages after
// LastEventID up to and including AckedThrough were acknowledged, by
// another reader or an ack call, and deleted before this stream could
// deliver them. The stream goes on after AckedThrough.
type resetData struct {
	Port         string        `json:"port"`
	LastEventID  store.EventID `json:"last_event_id"`
	AckedThrough store.EventID `json:"acked_through"`
}

// transferredData is the data of an `event: transferred`.
type transferredData struct {
	Port string `json:"port"`
}

// handleEvents streams the messages queued at a port as Server-Sent Events,
// from its resume point on: the Last-Event-ID header (or last_event_id
// parameter), acknowledged up to there first, or else the oldest
// unacknowledged message. Errors before the stream starts are answered as
// problems (a store that is unavailable then is a 503); afterwards the
// stream ends with an event that says why, or, while the store is
// unavailable, stays open and reads again until it answers.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	resumeText := r.Header.Get("Last-Event-ID")
	if resumeText == "" {
		resumeText = r.URL.Query().Get("last_event_id")
	}
	resume, err := store.ParseEventID(resumeText)
	if err != nil {
		return badRequest("The resume point (Last-Event-ID or last_event_id) is not an event id.")
	}
	if !resume.IsZero() {
		// The client has seen everything up to its last event id.
		if err := s.store.Ack(r.Context(), c, resume); err != nil {
			return err
		}
	}

	// Subscribe before the first read: whatever happens after the read
	// rings the doorbell, so nothing falls between the two.
	sub := s.store.Subscribe(c.PortID)
	defer sub.Close()
	first, err := s.store.Read(r.Context(), c, resume, streamBatch)
	if err != nil {
		return err
	}
	if len(first.Messages) == 0 && first.State == store.StateClosed {
		// Nothing will ever arrive: 204 tells EventSource not to reconnect.
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	// Counted only once the token has proved good, so that nobody can use
	// up a port's streams without holding it.
	release, err := s.streams.acquire(c.PortID, clientAddr(r))
	if err != nil {
		return err
	}
	defer release()

	st := &stream{
		s:     s,
		r:     r,
		port:  c,
		after: resume,
		w:     sse.NewWriter(w, s.cfg.WriteTimeout),
	}
	st.run(sub, first)
	return nil
}

// stream is one open event stream.
type stream struct {
	s     *Server
	r     *http.Request
	port  store.Credentials
	after store.EventID // the last message written
	w     *sse.Writer

	keepAlive *time.Timer
	retry     *time.Timer
	// unavailable is the delay before the next read while the store is
	// unavailable; zero while it answers.
	unavailable time.Duration
}

// run sends first and everything that follows, until the channel closes,
// the port is transferred, the client goes, or the server shuts down.
func (st *stream) run(sub *store.Subscription, first store.Batch) {
	ctx := st.r.Context()
	if err := st.w.Start(st.s.cfg.Retry); err != nil {
		st.s.logger.DebugContext(ctx, "start stream", slogErr(err))
		return
	}
	st.keepAlive = time.NewTimer(st.s.cfg.KeepAlive)
	defer st.keepAlive.Stop()
	st.retry = time.NewTimer(time.Hour)
	st.retry.Stop()
	defer st.retry.Stop()

	if st.deliver(first) {
		return
	}
	for {
		var done bool
		select {
		case <-st.s.shutdown:
			st.endForShutdown()
			return
		case <-ctx.Done():
			return
		case <-st.keepAlive.C:
			done = st.keepAliveTick()
		case <-sub.C:
			done = st.readAndDeliver()
		case <-st.retry.C:
			done = st.readAndDeliver()
		}
		if done {
			return
		}
	}
}

// keepAliveTick runs when the stream has been silent for a keep-alive
// interval. It reads before it sends the comment: the read restarts the
// channel's idle timer, so a port somebody listens on never expires, and it
// ends the stream if the channel is gone anyway (Redis key expiry rings no
// doorbell). While the store is unavailable the backoff's reads stand in
// for it, so the comment goes out on time. It reports whether the stream
// has ended.
func (st *stream) keepAliveTick() bool {
	if st.unavailable == 0 && st.readAndDeliver() {
		return true
	}
	return st.check(st.w.Comment("keep-alive")) || st.flush()
}

// readAndDeliver delivers what is new. It reports whether the stream has
// ended.
func (st *stream) readAndDeliver() bool {
	batch, err := st.s.store.Read(st.r.Context(), st.port, st.after, streamBatch)
	if err != nil {
		return st.readFailed(err)
	}
	if st.unavailable != 0 {
		st.unavailable = 0
		st.retry.Stop()
		st.s.logger.InfoContext(st.r.Context(), "stream resumes: the store answers again", "port", st.port.PortID)
	}
	return st.deliver(batch)
}

// endForShutdown sends the last frame of a stream the server ends: a
// short "retry:" hint, so that the client reconnects promptly, to another
// instance, resuming from its Last-Event-ID.
func (st *stream) endForShutdown() {
	if !st.check(st.w.Retry(shutdownRetry)) {
		st.flush()
	}
}

// deliver writes batch, then reads and writes the next ones until a read
// comes back empty, flushing once per batch. An empty batch of a closed
// channel means everything has been delivered: the stream sends `event:
// close` and ends. deliver reports whether the stream has ended.
func (st *stream) deliver(batch store.Batch) bool {
	for {
		if st.skipAcked(batch) {
			return true
		}
		if len(batch.Messages) == 0 {
			break
		}
		for _, m := range batch.Messages {
			data, err := marshal(toMessageJSON(m))
			if err != nil {
				st.s.logger.ErrorContext(st.r.Context(), "encode message", "port", st.port.PortID, slogErr(err))
				return true
			}
			if st.check(st.w.Event(sse.Event{ID: m.ID.String(), Type: "message", Data: data[:len(data)-1]})) {
				return true
			}
			st.after = m.ID
		}
		if st.flush() {
			return true
		}
		var err error
		batch, err = st.s.store.Read(st.r.Context(), st.port, st.after, streamBatch)
		if err != nil {
			return st.readFailed(err)
		}
	}
	if batch.State == store.StateClosed {
		st.control("close", closeData{Port: st.port.PortID, ClosedAt: batch.ClosedAt.UTC()})
		return true
	}
	return false
}

// skipAcked tells the client, with an `event: reset`, when messages after
// the stream's position were acknowledged and deleted before it could
// deliver them, and moves the position past them: a resume never skips
// in silence. A stream that started without a resume point and has
// delivered nothing yet has no position to fall behind. skipAcked
// reports whether the stream has ended.
func (st *stream) skipAcked(batch store.Batch) bool {
	if st.after.IsZero() || st.after.Compare(batch.Acked) >= 0 {
		return false
	}
	reset := resetData{Port: st.port.PortID, LastEventID: st.after, AckedThrough: batch.Acked}
	// Every message of the batch is after Acked: the store deletes
	// through Acked in the same step as it records it.
	st.after = batch.Acked
	return st.control("reset", reset)
}

// readFailed handles a failed read mid-stream, and reports whether the
// stream has ended.
func (st *stream) readFailed(err error) bool {
	ctx := st.r.Context()
	switch {
	case errors.Is(err, store.ErrTransferred):
		// The token died: tell its holder why the stream ends.
		st.control("transferred", transferredData{Port: st.port.PortID})
		return true
	case errors.Is(err, store.ErrBusy):
		// The port is being moved; the move ends one way or the other
		// within moments.
		st.retry.Reset(busyRetry)
		return false
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return true
	case errors.Is(err, store.ErrUnavailable):
		// The stream stays open, keep-alives go on, and the reads after
		// the store's return pick up from the last message written: no
		// gap and no repeat, and the client need not reconnect.
		if st.unavailable == 0 {
			st.s.logger.WarnContext(ctx, "stream waits for the store", "port", st.port.PortID, slogErr(err))
		}
		st.unavailable = min(max(2*st.unavailable, minUnavailableRetry), maxUnavailableRetry)
		st.retry.Reset(st.unavailable)
		return false
	case errors.Is(err, store.ErrUnauthorized):
		// The channel expired under the stream.
		st.s.logger.DebugContext(ctx, "stream read", "port", st.port.PortID, slogErr(err))
	default:
		st.s.logger.ErrorContext(ctx, "stream read", "port", st.port.PortID, slogErr(err))
	}
	// The client reconnects and gets a proper answer then.
	return true
}

// control sends a control event (close, transferred, reset): no id, so
// that a resuming client's Last-Event-ID stays the last message's. It
// reports whether the stream has ended.
func (st *stream) control(typ string, v any) bool {
	data, err := marshal(v)
	if err == nil {
		err = st.w.Event(sse.Event{Type: typ, Data: data[:len(data)-1]})
	}
	return st.check(err) || st.flush()
}

// flush sends what was written and restarts the keep-alive timer, which
// only has to fire on a silent stream. It reports whether the stream has
// ended.
func (st *stream) flush() bool {
	if st.check(st.w.Flush()) {
		return true
	}
	st.keepAlive.Reset(st.s.cfg.KeepAlive)
	return false
}

// check reports whether err ends the stream; a failed write means the
// client is gone or too slow.
func (st *stream) check(err error) bool {
	if err != nil {
		st.s.logger.DebugContext(st.r.Context(), "stream write", "port", st.port.PortID, slogErr(err))
		return true
	}
	return false
}
