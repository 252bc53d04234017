package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tincan-dev/tincan/sse"
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
// answers.
//
// This file is the whole stream, in the order it runs: opening
// (openStream), the loop (stream.run, stream.wait), reading and
// delivering (deliverFrom, deliver), a ring's notices (takeNotices), what
// moves or ends a port's place in it (skipAcked, rewind, readFailed, leave),
// and writing (writeMessage, control, event); last, the count of open
// streams that bounds them (streamCounter). A stream parked after its
// first batches runs the same steps on the parker's writers (park.go).
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	// This frame stays on the goroutine's stack for as long as the stream
	// is open, so the work before the stream is done in openStream,
	// whose frame is gone by then: an idle stream's stack then fits in a
	// quarter of 16 KiB and the garbage collector halves it.
	st, first, err := s.openStream(w, r)
	if err != nil || st == nil {
		return err
	}
	parked := false
	defer func() {
		if !parked {
			st.close()
		}
	}()
	// A parked stream closes itself when it ends (park.go).
	parked = st.run(w, first)
	return nil
}

const (
	// streamBatch is how many messages a stream reads at a time; it reads
	// again until nothing new is left, flushing once per batch.
	streamBatch = 100
	// streamBatchBytes bounds the bytes of data of a stream's batch (past
	// its first message), reserved in flight (see inflight) for the
	// time the batch is read and written: a client holding many streams
	// to slow readers holds at most this much per stream.
	streamBatchBytes = 256 << 10
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

// streamRead is what a stream reads of a port at a time.
var streamRead = store.ReadLimit{Messages: streamBatch, Bytes: streamBatchBytes}

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

// stream is one open event stream, of one port or of the several ports of
// a ticket.
type stream struct {
	s *Server
	// r is the stream's request, and ctx its context, which ends when the
	// client goes; a parked stream lets r go and has a context of its own
	// (see park.go).
	r   *http.Request
	ctx context.Context
	// ports are the stream's ports in ticket order, including those that
	// have left it; live counts those that have not.
	ports []*streamPort
	live  int
	w     *sse.Writer
	// sub rings when any port may have news; release uncounts the stream.
	sub     *store.Subscription
	release func()
	// firstBytes holds the bytes of the first batches, read when the
	// stream opened, until they are written.
	firstBytes *reservation
	// notices is the buffer sub's notices are taken into, kept between
	// rings.
	notices []store.Notice
	// message holds the message being written (see writeMessage).
	message messageJSON

	keepAlive *time.Timer
	// retry, made when first needed, fires for a read again after a busy
	// or unavailable store; most streams never need it.
	retry *time.Timer
	// retryIn is the delay retry was last set to.
	retryIn time.Duration
	// pk is the stream's parked state; nil while its handler's goroutine
	// runs it (see park.go).
	pk *parked
	// unavailable is the delay before the next read while the store is
	// unavailable; zero while it answers.
	unavailable time.Duration

	// For the log: when the stream opened, and the message events and
	// all events (control events included) it has written.
	opened           time.Time
	messages, events int
}

// streamPort is one port of a stream and how far the stream has got.
type streamPort struct {
	store.Credentials
	after store.EventID // the last message written, or the resume point
	left  bool          // closed or gone: no longer read
	// owed is set while a read of the port failed (busy, unavailable) and
	// is to be tried again: until one succeeds, no pushed message is
	// used, since the read may yet find the port transferred or closed.
	owed bool
	// read is set when the port is read while a ring's notices are
	// handled: the read saw everything they announce.
	read bool
}

// newStream prepares a stream of the ports, each starting after its
// resume point.
func newStream(s *Server, r *http.Request, ports []store.Credentials, resume []store.EventID) *stream {
	st := &stream{s: s, r: r, ctx: r.Context(), live: len(ports), opened: time.Now()}
	for i, c := range ports {
		st.ports = append(st.ports, &streamPort{Credentials: c, after: resume[i]})
	}
	return st
}

// run sends the first batches (one per port, in the stream's order) and
// everything that follows, until every port has left the stream (its
// channel closed, or it was transferred), the client goes, or the server
// shuts down. With Config.ParkStreams, a stream that can be parked is
// parked once the first batches are written, and run reports true: the
// stream goes on without this goroutine (see park.go), and closes itself.
func (st *stream) run(w http.ResponseWriter, first []store.Batch) (parked bool) {
	if !st.start(w) {
		return false
	}
	ended := st.deliverFirst(first)
	// Written: the batches are let go with their reservation, not kept
	// for the stream's life by the frames that passed them.
	clear(first)
	st.firstBytes.release()
	if !ended && st.park(w) {
		return true
	}
	defer st.stop()
	if ended {
		return false
	}
	st.wait()
	return false
}

// wait is the stream's loop: one select until the stream ends. Its frame
// and those below it are what an idle stream keeps on its stack.
func (st *stream) wait() {
	done := st.ctx.Done()
	for {
		var retry <-chan time.Time
		if st.retry != nil {
			retry = st.retry.C
		}
		var ended bool
		select {
		case <-st.s.shutdown:
			st.endForShutdown()
			return
		case <-done:
			return
		case <-st.keepAlive.C:
			ended = st.keepAliveTick()
		case <-st.sub.C:
			ended = st.takeNotices()
		case <-retry:
			ended = st.readAndDeliver()
		}
		if ended {
			return
		}
	}
}

// close ends the stream's subscription and uncounts it.
func (st *stream) close() {
	st.sub.Close()
	st.release()
	st.firstBytes.release()
	st.s.metrics.streamsOpen.Dec()
	st.s.logger.InfoContext(st.ctx, "stream closed",
		"ports", len(st.ports), "messages", st.messages, "events", st.events, "duration", time.Since(st.opened))
}

// start sends the stream's headers and starts its timers; it reports
// whether the stream is open. stop stops the timers.
func (st *stream) start(w http.ResponseWriter) bool {
	if st.s.canPark(st.r) {
		// A parked stream's connection is never handed back to net/http
		// for another request: the client must not reuse it (park.go).
		w.Header().Set("Connection", "close")
	}
	st.w = sse.NewWriter(w, st.s.cfg.WriteTimeout)
	if err := st.w.Start(st.s.cfg.Retry); err != nil {
		st.s.logger.DebugContext(st.ctx, "start stream", slogErr(err))
		return false
	}
	st.keepAlive = time.NewTimer(st.s.cfg.KeepAlive)
	return true
}

func (st *stream) stop() {
	st.keepAlive.Stop()
	if st.retry != nil {
		st.retry.Stop()
	}
}

// readAgainIn has the stream read again after d.
func (st *stream) readAgainIn(d time.Duration) {
	st.retryIn = d
	if st.retry == nil {
		if st.pk != nil {
			st.retry = time.AfterFunc(d, st.wakeRetry)
			return
		}
		st.retry = time.NewTimer(d)
		return
	}
	st.retry.Reset(d)
}

// keepAliveTick runs when the stream has been silent for a keep-alive
// interval. It reads before it sends the comment: the read restarts the
// channels' idle timers, so a port somebody listens on never expires, and
// it ends the stream if the channels are gone anyway (Redis key expiry
// rings no doorbell). While the store is unavailable the backoff's reads
// stand in for it, so the comment goes out on time. It reports whether the
// stream has ended.
func (st *stream) keepAliveTick() bool {
	if st.unavailable == 0 && st.readAndDeliver() {
		return true
	}
	return st.check(st.w.Comment("keep-alive")) || st.flush()
}

// deliverFirst delivers the batches read when the stream opened, one per
// port, then whatever more the ports have. It reports whether the stream
// has ended.
func (st *stream) deliverFirst(first []store.Batch) bool {
	var more []*streamPort
	for i, p := range st.ports {
		again, ended := st.deliver(p, first[i])
		if ended {
			return true
		}
		if again {
			more = append(more, p)
		}
	}
	return st.deliverFrom(more)
}

// readAndDeliver delivers what is new at any of the stream's ports. It
// reports whether the stream has ended.
func (st *stream) readAndDeliver() bool {
	return st.deliverFrom(st.ports)
}

// deliverFrom reads the ports that are still in the stream and delivers
// what is new, one batch per port in turn, until no port has more: a busy
// port cannot hold back the others. It reports whether the stream has
// ended.
func (st *stream) deliverFrom(ports []*streamPort) bool {
	for len(ports) > 0 {
		var more []*streamPort
		for _, p := range ports {
			if p.left {
				continue
			}
			rsv, err := st.s.inflight.reserve(streamBatchBytes)
			if err != nil {
				// The process has as many bytes in flight as it may:
				// this stream waits its turn rather than fail.
				p.owed = true
				st.readAgainIn(busyRetry)
				return false
			}
			p.read = true
			batch, err := st.s.store.Read(st.ctx, p.Credentials, p.after, streamRead)
			rsv.shrink(batchBytes(batch.Messages))
			if err != nil {
				rsv.release()
				if st.readFailed(p, err) {
					return true
				}
				if errors.Is(err, store.ErrUnavailable) {
					// The other ports would only fail the same way.
					return false
				}
				continue
			}
			p.owed = false
			if st.unavailable != 0 {
				st.unavailable = 0
				st.retry.Stop() // made when the store became unavailable
				st.s.logger.InfoContext(st.ctx, "stream resumes: the store answers again", "port", p.PortID)
			}
			again, ended := st.deliver(p, batch)
			rsv.release()
			if ended {
				return true
			}
			if again {
				more = append(more, p)
			}
		}
		ports = more
	}
	return false
}

// deliver writes a batch read at the port p and flushes it. An empty batch
// of a closed channel means everything has been delivered: p gets its
// `event: close` and leaves the stream. deliver reports whether p may have
// more to deliver now (the batch was full), and whether the stream has
// ended.
func (st *stream) deliver(p *streamPort, batch store.Batch) (more, ended bool) {
	if unknownResume(p.after, batch) {
		// Read again at once, from the point the store knows.
		return true, st.rewind(p, batch)
	}
	if st.skipAcked(p, batch) {
		return false, true
	}
	if len(batch.Messages) == 0 {
		if batch.State == store.StateClosed {
			return false, st.leave(p, "close", closeData{Port: p.PortID, ClosedAt: batch.ClosedAt.UTC()})
		}
		return false, false
	}
	for _, m := range batch.Messages {
		if st.writeMessage(p, m) {
			return false, true
		}
	}
	// A batch short of the limit held everything there was at the read;
	// whatever came after rings the doorbell. Only a full batch, or one
	// its bytes cut short, calls for another read now, so a ring costs
	// one read per port.
	if len(batch.Messages) == streamBatch || batch.Truncated {
		return true, st.flush()
	}
	if batch.State == store.StateClosed {
		// Nothing can follow: the close goes out in the same flush.
		return false, st.leave(p, "close", closeData{Port: p.PortID, ClosedAt: batch.ClosedAt.UTC()})
	}
	return false, st.flush()
}

// takeNotices handles a ring: the subscription's notices, in the order
// they happened. A message pushed at a port right after the stream's
// position there is written as it comes, with no read; anything else (a
// look, a message after a gap) has the port read from the store, which
// checks the stream's credentials again, before the notices after it are
// used: so a port transferred, closed or revoked leaves the stream before
// any message posted after that could reach it. A port is read at most
// once per ring. Everything written goes out in one flush. takeNotices
// reports whether the stream has ended.
func (st *stream) takeNotices() bool {
	st.notices = st.sub.Take(st.notices[:0])
	defer st.dropNotices()
	for _, p := range st.ports {
		p.read = false
	}
	wrote := false
	for _, n := range st.notices {
		if n.Port == "" {
			if st.deliverFrom(st.ports) {
				return true
			}
			continue
		}
		p := st.port(n.Port)
		if p == nil || p.left || p.read || p.owed {
			// Not ours; gone; read since the notice was given, so the
			// read saw what it announces; or a read is due anyway,
			// which the retry timer makes.
			continue
		}
		if n.Pushed && n.Message.ID.Compare(p.after) <= 0 {
			continue // delivered already
		}
		if n.Pushed && n.Prev == p.after {
			if st.writeMessage(p, n.Message) {
				return true
			}
			wrote = true
			continue
		}
		if st.deliverFrom([]*streamPort{p}) {
			return true
		}
	}
	return wrote && st.flush()
}

// dropNotices lets the taken notices' data go, and a burst's room too,
// which would otherwise stay with the stream while it idles.
func (st *stream) dropNotices() {
	clear(st.notices)
	if cap(st.notices) > 8 {
		st.notices = nil
	}
}

// port returns the stream's port with the id, or nil.
func (st *stream) port(id string) *streamPort {
	for _, p := range st.ports {
		if p.PortID == id {
			return p
		}
	}
	return nil
}

// skipAcked tells the client, with an `event: reset`, when messages after
// p's position were acknowledged and deleted before the stream could
// deliver them, and moves the position past them: a resume never skips
// in silence. A port that started without a resume point and has
// delivered nothing yet has no position to fall behind. skipAcked
// reports whether the stream has ended.
func (st *stream) skipAcked(p *streamPort, batch store.Batch) bool {
	if p.after.IsZero() || p.after.Compare(batch.Acked) >= 0 {
		return false
	}
	reset := resetData{Port: p.PortID, LastEventID: p.after, AckedThrough: batch.Acked}
	// Every message of the batch is after Acked: the store deletes
	// through Acked in the same step as it records it.
	p.after = batch.Acked
	return st.control("reset", reset)
}

// rewind tells the client, with an `event: reset` carrying rewound_to,
// that p's position is after the newest id the store knows at the port
// (the store lost messages the client saw: a failover took them back, or
// a restart without persistence), and moves the position back to that
// id, so that the stream goes on with what the store does know instead
// of waiting for ids it may never reach. The batch, read after the lost
// position, holds nothing. rewind reports whether the stream has ended.
func (st *stream) rewind(p *streamPort, batch store.Batch) bool {
	to := batch.LastID
	reset := resetData{Port: p.PortID, LastEventID: p.after, AckedThrough: batch.Acked, RewoundTo: &to}
	p.after = to
	return st.control("reset", reset)
}

// readFailed handles a failed read of p mid-stream, and reports whether
// the stream has ended.
func (st *stream) readFailed(p *streamPort, err error) bool {
	ctx := st.ctx
	switch {
	case errors.Is(err, store.ErrTransferred):
		// The credential died: tell its holder why the port leaves.
		return st.leave(p, "transferred", transferredData{Port: p.PortID})
	case errors.Is(err, store.ErrBusy):
		// The port is being moved; the move ends one way or the other
		// within moments.
		p.owed = true
		st.readAgainIn(busyRetry)
		return false
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return true
	case errors.Is(err, store.ErrUnavailable):
		// The stream stays open, keep-alives go on, and the reads after
		// the store's return pick up from the last message written: no
		// gap and no repeat, and the client need not reconnect.
		if st.unavailable == 0 {
			st.s.logger.WarnContext(ctx, "stream waits for the store", "port", p.PortID, slogErr(err))
		}
		st.unavailable = min(max(2*st.unavailable, minUnavailableRetry), maxUnavailableRetry)
		// The read again is of every port: deliverFrom gives up on the
		// others too.
		for _, q := range st.ports {
			q.owed = true
		}
		st.readAgainIn(st.unavailable)
		return false
	case errors.Is(err, store.ErrUnauthorized):
		// The channel expired under the stream.
		st.s.logger.DebugContext(ctx, "stream read", "port", p.PortID, slogErr(err))
	default:
		st.s.logger.ErrorContext(ctx, "stream read", "port", p.PortID, slogErr(err))
	}
	// The port leaves without an event; a client that reconnects gets a
	// proper answer then.
	return st.leave(p, "", nil)
}

// leave takes p out of the stream, after sending the control event typ
// with data v unless typ is empty. It reports whether the stream has
// ended: the write failed, or p was its last port.
func (st *stream) leave(p *streamPort, typ string, v any) bool {
	p.left = true
	st.live--
	if typ != "" && st.control(typ, v) {
		return true
	}
	return st.live == 0
}

// endForShutdown sends the last frame of a stream the server ends: a
// short "retry:" hint, so that the client reconnects promptly, to another
// instance, resuming from its Last-Event-ID.
func (st *stream) endForShutdown() {
	if !st.check(st.w.Retry(shutdownRetry)) {
		st.flush()
	}
}

// writeMessage writes m, queued at p, without flushing, and moves p's
// position to it: an `event: message` whose data is m as toMessageJSON
// makes it, the same object a long poll answers, or, for a message the
// store could not decode, an `event: messageerror`, which the client can
// acknowledge away. It reports whether the stream has ended.
func (st *stream) writeMessage(p *streamPort, m store.Message) bool {
	p.after = m.ID
	if m.Undecodable != "" {
		st.s.reportUndecodable(st.ctx, p.PortID, m)
		return st.event(st.position(), "messageerror", toMessageErrorJSON(p.PortID, m))
	}
	// Encoded from the stream's own field, so that writing a message
	// allocates no copy of it.
	st.message = toMessageJSON(p.PortID, m)
	ended := st.event(st.position(), "message", &st.message)
	st.message = messageJSON{} // the data is the store's batch's, let go with it
	if ended {
		return true
	}
	st.messages++
	st.s.metrics.deliveredStream.Inc()
	return false
}

// control sends a control event (close, transferred, reset) and flushes:
// no id, so that a resuming client's Last-Event-ID stays the last
// message's. It reports whether the stream has ended.
func (st *stream) control(typ string, v any) bool {
	return st.event("", typ, v) || st.flush()
}

// event writes one event, its data v as JSON, without flushing. It
// reports whether the stream has ended.
func (st *stream) event(id, typ string, v any) bool {
	jw := getJSONWriter()
	defer jw.put()
	data, err := jw.encode(v)
	if err != nil {
		st.s.logger.ErrorContext(st.ctx, "encode event", "type", typ, "port", st.ports[0].PortID, slogErr(err))
		return true
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	if st.check(st.w.Event(sse.Event{ID: id, Type: typ, Data: data})) {
		return true
	}
	st.events++
	return false
}

// position is the id of the stream's latest message event, what a client
// resumes from: the port's last event id in a one-port stream; in a
// stream of several ports, every port's last event id (the empty string
// for a port with none yet) in ticket order, joined by ",".
func (st *stream) position() string {
	if len(st.ports) == 1 {
		return st.ports[0].after.String()
	}
	parts := make([]string, len(st.ports))
	for i, p := range st.ports {
		parts[i] = p.after.String()
	}
	return strings.Join(parts, ",")
}

// flush sends what was written and restarts the keep-alive timer, which
// only has to fire on a silent stream. It reports whether the stream has
// ended.
func (st *stream) flush() bool {
	if st.check(st.w.Flush()) {
		return true
	}
	if st.pk != nil {
		st.pk.flushed = time.Now()
	}
	st.keepAlive.Reset(st.s.cfg.KeepAlive)
	return false
}

// check reports whether err ends the stream; a failed write means the
// client is gone or too slow.
func (st *stream) check(err error) bool {
	if err != nil {
		st.s.logger.DebugContext(st.ctx, "stream write", "port", st.ports[0].PortID, slogErr(err))
		return true
	}
	return false
}

// closeData is the data of an `event: close`.
type closeData struct {
	Port     string    `json:"port"`
	ClosedAt time.Time `json:"closed_at"`
}

// resetData is the data of an `event: reset`: the messages after
// LastEventID up to and including AckedThrough were acknowledged, by
// another reader or an ack call, and deleted before this stream could
// deliver them. The stream goes on after AckedThrough.
//
// RewoundTo is set instead when LastEventID is after the newest id the
// store knows at the port (see resetJSON): the stream goes on after
// RewoundTo, and ids after it may be issued again.
type resetData struct {
	Port         string         `json:"port"`
	LastEventID  store.EventID  `json:"last_event_id"`
	AckedThrough store.EventID  `json:"acked_through"`
	RewoundTo    *store.EventID `json:"rewound_to,omitempty"`
}

// transferredData is the data of an `event: transferred`.
type transferredData struct {
	Port string `json:"port"`
}

// streamCounter counts the event streams open per port and per client
// address, and the waiting long polls per client address, and refuses one
// past either limit.
type streamCounter struct {
	perPort, perClient int

	mu       sync.Mutex
	byPort   map[string]int
	byClient map[string]int
}

func newStreamCounter(perPort, perClient int) *streamCounter {
	return &streamCounter{perPort: perPort, perClient: perClient, byPort: map[string]int{}, byClient: map[string]int{}}
}

// acquire counts a stream of the ports (each of them, once) from client,
// or returns errTooManyStreams and counts nothing. release must be called
// exactly once when the stream ends.
func (sc *streamCounter) acquire(ports []string, client string) (release func(), err error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.byClient[client] >= sc.perClient {
		return nil, errTooManyStreams
	}
	for _, p := range ports {
		if sc.byPort[p] >= sc.perPort {
			return nil, errTooManyStreams
		}
	}
	for _, p := range ports {
		sc.byPort[p]++
	}
	sc.byClient[client]++
	var once sync.Once
	return func() { once.Do(func() { sc.release(ports, client) }) }, nil
}

func (sc *streamCounter) release(ports []string, client string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	// Deleting at zero keeps the maps as small as the streams open now.
	for _, p := range ports {
		if sc.byPort[p]--; sc.byPort[p] <= 0 {
			delete(sc.byPort, p)
		}
	}
	if sc.byClient[client]--; sc.byClient[client] <= 0 {
		delete(sc.byClient, client)
	}
}

// open returns how many streams are counted in all; for tests.
func (sc *streamCounter) open() (ports, clients int) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, n := range sc.byPort {
		ports += n
	}
	for _, n := range sc.byClient {
		clients += n
	}
	return ports, clients
}
