package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/tincan-dev/tincan/handlers"
)

// logBuffer gathers the access log's lines (one per request, see
// handlers.RequestLogMessage) on their way out, so that a busy api writes
// many of them in one write(2) instead of one each: a profile under load
// put those writes at 3 to 5 % of the server's CPU. A request line waits
// at most logFlushAfter. Every other line is written at once, after what
// the buffer holds, so that the log keeps its order and start-up lines,
// warnings and errors are never held back.
type logBuffer struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	timer flushTimer // runs Flush; armed while buf holds lines
	armed bool
}

// flushTimer is what logBuffer needs of a *time.Timer, so that a test can
// fire it by hand.
type flushTimer interface {
	Reset(d time.Duration) bool
	Stop() bool
}

// stoppedTimer is a time.AfterFunc timer that runs f, not yet armed.
func stoppedTimer(f func()) flushTimer {
	t := time.AfterFunc(time.Hour, f)
	t.Stop()
	return t
}

const (
	// logFlushAfter bounds how long a request line waits in the buffer.
	logFlushAfter = 100 * time.Millisecond
	// logBufferSize is what the buffer holds before it writes at once.
	logBufferSize = 32 << 10
)

// newLogBuffer buffers for w, with a timer that newTimer makes, not yet
// armed, to run its Flush (stoppedTimer outside tests).
func newLogBuffer(w io.Writer, newTimer func(f func()) flushTimer) *logBuffer {
	b := &logBuffer{w: w}
	b.timer = newTimer(b.Flush)
	return b
}

// Flush writes whatever is buffered.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.writeLocked(nil)
}

// writeLocked writes the buffer followed by p, in one write.
func (b *logBuffer) writeLocked(p []byte) error {
	if b.armed {
		b.timer.Stop()
		b.armed = false
	}
	if len(b.buf) == 0 {
		if len(p) == 0 {
			return nil
		}
		_, err := b.w.Write(p)
		return err
	}
	b.buf = append(b.buf, p...)
	_, err := b.w.Write(b.buf)
	if cap(b.buf) > 2*logBufferSize {
		b.buf = nil // a burst's room is not kept
	} else {
		b.buf = b.buf[:0]
	}
	return err
}

// buffered is the writer of request lines: slog's handlers write one
// record a call.
type buffered struct{ *logBuffer }

func (b buffered) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	switch {
	case len(b.buf) >= logBufferSize:
		return len(p), b.writeLocked(nil)
	case !b.armed:
		b.armed = true
		b.timer.Reset(logFlushAfter)
	}
	return len(p), nil
}

// through is the writer of every other line.
type through struct{ *logBuffer }

func (t through) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(p), t.writeLocked(p)
}

// accessSplit sends request lines to one handler, which writes to the
// buffer, and every other record to the other, which writes through it.
type accessSplit struct {
	requests, others slog.Handler
}

func (h accessSplit) Enabled(ctx context.Context, l slog.Level) bool {
	return h.others.Enabled(ctx, l)
}

func (h accessSplit) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == handlers.RequestLogMessage && r.Level == slog.LevelInfo {
		return h.requests.Handle(ctx, r)
	}
	return h.others.Handle(ctx, r)
}

func (h accessSplit) WithAttrs(attrs []slog.Attr) slog.Handler {
	return accessSplit{h.requests.WithAttrs(attrs), h.others.WithAttrs(attrs)}
}

func (h accessSplit) WithGroup(name string) slog.Handler {
	return accessSplit{h.requests.WithGroup(name), h.others.WithGroup(name)}
}
