package sse

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// frames holds the buffers events are framed in, shared by all Writers:
// an idle stream keeps no buffer, and a busy one allocates none.
var frames = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledFrame bounds the buffers put back in frames: one that grew for
// a very large event is left to the collector.
const maxPooledFrame = 64 << 10

func putFrame(b *[]byte) {
	if cap(*b) <= maxPooledFrame {
		*b = (*b)[:0]
		frames.Put(b)
	}
}

// Writer writes an event stream to one response. Events are buffered by
// the ResponseWriter until Flush, so a caller that writes a batch of events
// and then flushes sends them in as few packets as the network allows.
//
// Every write and flush gets its own deadline, so a client that stops
// reading cannot hold a stream (and its goroutine) forever, while a healthy
// stream may stay open for days: a server-wide WriteTimeout would cut it.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// NewWriter returns a Writer on w. timeout bounds each write and flush;
// zero means no deadline.
func NewWriter(w http.ResponseWriter, timeout time.Duration) *Writer {
	return &Writer{w: w, rc: http.NewResponseController(w), timeout: timeout}
}

// Start sends the response headers of an event stream and a "retry:" hint
// (none when retry is zero), and flushes them at once, so the client knows
// the stream is open before the first event.
func (sw *Writer) Start(retry time.Duration) error {
	h := sw.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	// Ask nginx-like proxies not to buffer the stream.
	h.Set("X-Accel-Buffering", "no")
	sw.w.WriteHeader(http.StatusOK)
	if retry > 0 {
		if err := sw.Retry(retry); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// Event writes ev. It is sent at the next Flush.
func (sw *Writer) Event(ev Event) error {
	b := frames.Get().(*[]byte)
	defer putFrame(b)
	var err error
	if *b, err = appendEvent(*b, ev); err != nil {
		return err
	}
	return sw.write(*b)
}

// Retry writes a "retry:" hint on its own, which sets the client's
// reconnection delay from then on; a stream about to end sends one to say
// how soon to come back. It is sent at the next Flush.
func (sw *Writer) Retry(d time.Duration) error {
	b := frames.Get().(*[]byte)
	defer putFrame(b)
	*b = appendRetry(*b, d)
	return sw.write(*b)
}

// Comment writes a comment, which clients ignore; a "keep-alive" comment on
// an idle stream keeps the connection from timing out. It is sent at the
// next Flush.
func (sw *Writer) Comment(text string) error {
	b := frames.Get().(*[]byte)
	defer putFrame(b)
	*b = appendComment(*b, text)
	return sw.write(*b)
}

// Flush sends everything written so far.
func (sw *Writer) Flush() error {
	if err := sw.deadline(); err != nil {
		return err
	}
	return sw.rc.Flush()
}

func (sw *Writer) write(b []byte) error {
	if err := sw.deadline(); err != nil {
		return err
	}
	_, err := sw.w.Write(b)
	return err
}

// deadline sets the next write's deadline. ResponseWriters that cannot
// have one (a test recorder, say) are written without.
func (sw *Writer) deadline() error {
	if sw.timeout <= 0 {
		return nil
	}
	err := sw.rc.SetWriteDeadline(time.Now().Add(sw.timeout))
	if errors.Is(err, http.ErrNotSupported) {
		return nil
	}
	return err
}
