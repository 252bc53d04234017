package handlers

import (
	"context"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tincan-dev/tincan/sse"
)

// A parked stream is an event stream whose connection the server has
// taken over (hijacked) once its first batches were written, so that
// while it is idle it holds no goroutine and none of net/http's
// per-connection buffers: only the stream, its subscription, its
// connection and two runtime timers. Its subscription's ring, its
// keep-alive and retry timers, the client's hang-up (seen by the poller,
// poll_linux.go) and the server's shutdown each set a flag and queue it
// for the parker's writers, a few goroutines that exist only while there
// is work; one of them runs the very steps the stream's own goroutine runs
// on the standard path (stream.wait's select), then leaves it parked
// again.
//
// Only plaintext HTTP/1.1 streams are parked (tincan behind a proxy that
// ends TLS, the common deployment): the answer is already framed chunked
// by net/http, so the parked stream goes on writing chunks itself
// (chunkWriter), and ends it with the last chunk as net/http would, then
// closes the connection, which net/http would have kept for another
// request. That is the one difference a client sees: a stream that may be
// parked is answered with Connection: close, so that the client does not
// send its next request on a connection about to close (a POST sent
// there would fail, and is not retried). TLS served by tincan and HTTP/2
// keep the standard path. A parked stream no longer watches its request's
// context (net/http ends it when the handler returns): what ended it on the
// standard path, the client's hang-up and the server's shutdown, wake the
// parked stream instead; a middleware that cancels the request's context
// to cut a stream must close its connection to cut a parked one.
//
// A hijacked connection is invisible to http.Server: Shutdown does not
// wait for it, its timeouts do not apply, ConnState does not see it. So
// CloseStreams ends parked streams as it ends the others (a "retry:" hint,
// then the end), WaitStreams is what waits for them, every write has its
// own deadline (sse.Writer's), and the connection stays counted by the
// listener (internal/connlimit counts a connection until it is closed),
// by streamCounter, by streams_open, and by the forwarded-client count
// (requestTail).

// Wake-up reasons of a parked stream, as flags.
const (
	wakeRing uint32 = 1 << iota
	wakeKeepAlive
	wakeRetry
	wakeGone
	wakeShutdown
)

// parked is a parked stream's state beside the stream's own.
type parked struct {
	flags  atomic.Uint32 // wake-up reasons not yet handled
	queued atomic.Bool   // queued or being served; set for good once ended
	conn   net.Conn
	cw     *chunkWriter
	cancel context.CancelFunc
	// pollID is the stream's key in the poller, 0 when it has none.
	pollID uint64
	// flushed is when the stream last flushed: a keep-alive timer that
	// fired as it was reset is not taken for a silent interval.
	flushed time.Time
	// gone is set once the client hung up: nothing more is written.
	gone bool
	tail *requestTail
}

// parker holds a server's parked streams and serves their wake-ups.
type parker struct {
	s          *Server
	maxWorkers int

	mu      sync.Mutex
	streams map[*stream]struct{}
	queue   []*stream
	workers int
	// waiting counts the writers waiting on more for work, at most
	// keepWorkers of them, and only while streams are parked; a writer
	// is uncounted by who wakes it.
	waiting     int
	more        *sync.Cond
	keepWorkers int
	// parking counts the streams being parked, not yet in streams.
	parking int
	poll    *poller
	// idle is closed while no stream is parked or being parked and no
	// writer runs.
	idle chan struct{}
	wg   sync.WaitGroup // writers and pollers
}

// keepWorkers writers (GOMAXPROCS) stay, waiting, between wake-ups while
// streams are parked: a writer started for every burst cost the server
// the goroutine's start and the growth of its stack each time, about 4 %
// of the api's CPU under the bench's S2 (profile); the others end when
// the queue is empty.
//
// parkWorkers bounds the parker's writers. A write waits at most
// Config.WriteTimeout for a client that does not read: enough writers
// that a few such clients cannot hold the others back, few enough that a
// broadcast to every parked stream does not start a goroutine per stream.
const parkWorkers = 64

func newParker(s *Server) *parker {
	idle := make(chan struct{})
	close(idle)
	p := &parker{s: s, maxWorkers: parkWorkers, keepWorkers: runtime.GOMAXPROCS(0), streams: map[*stream]struct{}{}, idle: idle}
	p.more = sync.NewCond(&p.mu)
	return p
}

// canPark reports whether r's stream may be parked.
func (s *Server) canPark(r *http.Request) bool {
	return s.cfg.ParkStreams && pollSupported && r.ProtoMajor == 1 && r.ProtoMinor == 1 && r.TLS == nil
}

// park takes the stream's connection over and parks it, once its first
// batches are written. It reports false, and leaves the stream as it was,
// when the stream is not to be parked or its connection cannot be taken
// over.
func (st *stream) park(w http.ResponseWriter) bool {
	r := st.r
	if !st.s.canPark(r) || r.Context().Err() != nil {
		return false
	}
	rw, _ := r.Context().Value(requestIDKey{}).(*recordingWriter)
	p := st.s.parker
	// Counted from before the hijack: once it is done, http.Server's
	// Shutdown no longer waits for this handler, and WaitStreams must.
	p.begin()
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		p.abandon()
		return false
	}
	// Hijack flushed what was written; the reader's buffer holds nothing
	// of this stream's (a client sends nothing after the request), and no
	// other request is read on this connection: both buffers are let go.
	_ = brw
	pk := &parked{conn: conn, cw: &chunkWriter{conn: conn}, flushed: time.Now()}
	// Held as queued until it is all in place: a wake-up meanwhile (a
	// ring, the poller, a shutdown) only sets its flag, and the stream is
	// served once this goroutine lets go of it, below.
	pk.queued.Store(true)
	// The request's context holds the request, its writer and net/http's
	// connection with its buffers: the parked stream keeps a context of
	// its own, with the request's id for the log.
	ctx := context.Background()
	if rw != nil {
		pk.tail = &requestTail{}
		rw.tail = pk.tail
		ctx = context.WithValue(ctx, requestIDKey{}, &recordingWriter{id: rw.id})
	}
	st.ctx, pk.cancel = context.WithCancel(ctx)
	st.r = nil
	st.w = sse.NewWriter(pk.cw, st.s.cfg.WriteTimeout)
	st.pk = pk

	p.add(st)
	// The timers wake the stream rather than fill a channel nobody
	// watches.
	st.keepAlive.Stop()
	st.keepAlive = time.AfterFunc(st.s.cfg.KeepAlive, st.wakeKeepAlive)
	if st.retry != nil {
		st.retry.Stop()
		st.retry = nil
		// A read is owed while a retry is due (see readAgainIn's
		// callers): read again after the same delay, on the parked
		// stream's timer.
		for _, q := range st.ports {
			if q.owed && !q.left {
				st.readAgainIn(st.retryIn)
				break
			}
		}
	}
	st.sub.OnRing(st.wakeRing)
	// A ring or a shutdown before the hooks above were in place is seen
	// now.
	select {
	case <-st.sub.C:
		pk.flags.Or(wakeRing)
	default:
	}
	select {
	case <-st.s.shutdown:
		pk.flags.Or(wakeShutdown)
	default:
	}
	p.letGo(st)
	return true
}

// letGo ends the hold park keeps on a stream it parks: it is served now
// if it was woken meanwhile.
func (p *parker) letGo(st *stream) {
	st.pk.queued.Store(false)
	if st.pk.flags.Load() != 0 && st.pk.queued.CompareAndSwap(false, true) {
		p.enqueue(st)
	}
}

func (st *stream) wakeRing()      { st.s.parker.wake(st, wakeRing) }
func (st *stream) wakeKeepAlive() { st.s.parker.wake(st, wakeKeepAlive) }
func (st *stream) wakeRetry()     { st.s.parker.wake(st, wakeRetry) }

// gone is the poller's report that st's client hung up: what the request's
// context ending is on the standard path.
func (st *stream) gone() {
	st.pk.cancel()
	st.s.parker.wake(st, wakeGone)
}

// begin counts a stream about to be parked; add or abandon ends that.
func (p *parker) begin() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isIdle() {
		p.idle = make(chan struct{})
	}
	p.parking++
}

// abandon uncounts a stream that could not be parked after all.
func (p *parker) abandon() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.parking--
	p.checkIdle()
}

// add registers st, and its connection with the poller.
func (p *parker) add(st *stream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.parking--
	p.streams[st] = struct{}{}
	if p.poll == nil {
		p.poll = startPoller(&p.wg)
	}
	st.pk.pollID = p.poll.add(st)
}

// remove unregisters st, which has ended.
func (p *parker) remove(st *stream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.streams, st)
	if len(p.streams) == 0 {
		p.waiting = 0
		p.more.Broadcast() // the waiting writers end
	}
	if p.poll != nil {
		p.poll.remove(st.pk.pollID)
		if len(p.streams) == 0 {
			// Started again by the next stream parked: an idle
			// server, and a test's, keeps no poller.
			p.poll.stop()
			p.poll = nil
		}
	}
	p.checkIdle()
}

func (p *parker) isIdle() bool {
	return len(p.streams) == 0 && p.workers == 0 && p.parking == 0
}

// checkIdle closes idle if the parker is.
func (p *parker) checkIdle() {
	if p.isIdle() {
		select {
		case <-p.idle:
		default:
			close(p.idle)
		}
	}
}

// wake sets the reason f on st and queues it, unless it is queued already.
func (p *parker) wake(st *stream, f uint32) {
	st.pk.flags.Or(f)
	if st.pk.queued.CompareAndSwap(false, true) {
		p.enqueue(st)
	}
}

// enqueue queues st, which its caller marked queued, for a writer.
func (p *parker) enqueue(st *stream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue = append(p.queue, st)
	if p.waiting > 0 {
		// One waiting writer each, so that a write held up by a slow
		// client does not hold up the next stream.
		p.waiting--
		p.more.Signal()
		return
	}
	if p.workers < p.maxWorkers {
		p.workers++
		p.wg.Add(1)
		go p.work()
	}
}

// work serves queued streams until none is left, then waits for more
// while it is one of the first keepWorkers to wait and streams are parked.
func (p *parker) work() {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && p.waiting < p.keepWorkers && len(p.streams) > 0 {
			p.waiting++
			p.more.Wait()
		}
		if len(p.queue) == 0 {
			p.workers--
			p.queue = nil // a burst's room
			p.checkIdle()
			p.mu.Unlock()
			return
		}
		st := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.mu.Unlock()
		p.serve(st)
	}
}

// serve runs st's steps for its wake-ups, until none is left or it ends.
func (p *parker) serve(st *stream) {
	for {
		f := st.pk.flags.Swap(0)
		if f == 0 {
			st.pk.queued.Store(false)
			// A wake-up between the swap and the store found st still
			// queued: serve it now unless another writer took it.
			if st.pk.flags.Load() == 0 || !st.pk.queued.CompareAndSwap(false, true) {
				return
			}
			continue
		}
		if st.step(f) {
			p.end(st)
			return // queued stays set: an ended stream is never queued again
		}
	}
}

// step handles the wake-ups f, as stream.wait's select does on the
// standard path. It reports whether the stream has ended.
func (st *stream) step(f uint32) bool {
	switch {
	case f&wakeShutdown != 0:
		if st.ctx.Err() == nil {
			st.endForShutdown()
		}
		return true
	case f&wakeGone != 0:
		return true
	}
	if f&wakeKeepAlive != 0 && time.Since(st.pk.flushed) >= st.s.cfg.KeepAlive && st.keepAliveTick() {
		return true
	}
	if f&wakeRing != 0 {
		select {
		case <-st.sub.C:
		default:
		}
		if st.takeNotices() {
			return true
		}
	}
	return f&wakeRetry != 0 && st.readAndDeliver()
}

// end closes a parked stream that has ended: its last chunk (unless the
// client is gone), its connection, its count, the request's tail.
func (p *parker) end(st *stream) {
	st.stop()
	pk := st.pk
	p.remove(st)
	if st.ctx.Err() == nil {
		// The end of the chunked body, as net/http writes it when a
		// handler returns.
		_ = pk.conn.SetWriteDeadline(time.Now().Add(st.s.cfg.WriteTimeout))
		_, _ = pk.conn.Write([]byte("0\r\n\r\n"))
	}
	if cw, ok := pk.conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = pk.conn.Close()
	st.close()
	pk.cancel()
	pk.tail.end(pk.cw.written)
}

// closeAll wakes every parked stream to end for the server's shutdown.
func (p *parker) closeAll() {
	p.mu.Lock()
	streams := make([]*stream, 0, len(p.streams))
	for st := range p.streams {
		streams = append(streams, st)
	}
	p.mu.Unlock()
	for _, st := range streams {
		p.wake(st, wakeShutdown)
	}
}

// cutAll ends every parked stream's writes at once: one waiting on a
// client that does not read fails, and so does every later one. The
// connection is closed by the stream's end, after the poller let go of
// its descriptor.
func (p *parker) cutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for st := range p.streams {
		st.pk.cancel()
		_ = st.pk.conn.SetDeadline(time.Unix(1, 0))
	}
}

// WaitStreams waits until no event stream is parked: call it after
// CloseStreams and http.Server.Shutdown, which does not see the
// connections parked streams took over. If ctx ends first, it cuts the
// parked streams' connections, waits for them to end, and returns ctx's
// error.
func (s *Server) WaitStreams(ctx context.Context) error {
	p := s.parker
	var err error
	for {
		p.mu.Lock()
		idle := p.idle
		done := p.isIdle()
		p.mu.Unlock()
		if done {
			break
		}
		select {
		case <-idle:
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
				p.cutAll()
				p.closeAll()
			}
			<-idle
		}
	}
	p.wg.Wait()
	return err
}

// parkedStreams returns how many streams are parked; for tests.
func (p *parker) parkedStreams() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.streams)
}
