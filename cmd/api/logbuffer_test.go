package main

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/handlers"
)

// writes records each Write it is given.
type writes struct {
	mu  sync.Mutex
	got []string
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, string(p))
	return len(p), nil
}

func (w *writes) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.got...)
}

func TestLogBufferBatchesRequestLines(t *testing.T) {
	w := &writes{}
	logger, flush := newLogger(Config{LogLevel: slog.LevelInfo, LogFormat: "text"}, w)
	for range 3 {
		logger.Info(handlers.RequestLogMessage, "status", 201)
	}
	if got := w.all(); len(got) != 0 {
		t.Fatalf("request lines written at once: %q", got)
	}
	flush()
	got := w.all()
	if len(got) != 1 || strings.Count(got[0], "msg=request") != 3 {
		t.Fatalf("after flush: %q, want the three lines in one write", got)
	}
}

// handTimer is a flushTimer fired by the test: armed says for how long
// it was last set, 0 once stopped.
type handTimer struct {
	f     func()
	armed time.Duration
}

func (h *handTimer) Reset(d time.Duration) bool { h.armed = d; return false }
func (h *handTimer) Stop() bool                 { h.armed = 0; return false }

func TestLogBufferWritesWithinItsBound(t *testing.T) {
	w := &writes{}
	timer := &handTimer{}
	buf := newLogBuffer(w, func(f func()) flushTimer { timer.f = f; return timer })
	logger := loggerOn(Config{LogLevel: slog.LevelInfo, LogFormat: "json"}, buf)
	logger.Info(handlers.RequestLogMessage)
	if timer.armed != logFlushAfter {
		t.Fatalf("a buffered line armed the timer for %v, want %v", timer.armed, logFlushAfter)
	}
	logger.Info(handlers.RequestLogMessage, "n", 2)
	if got := w.all(); len(got) != 0 {
		t.Fatalf("written before the timer fired: %q", got)
	}
	timer.f() // logFlushAfter has passed
	if got := w.all(); len(got) != 1 || strings.Count(got[0], `"msg":"request"`) != 2 {
		t.Fatalf("got %q, want both lines in one write when the timer fires", got)
	}
	if timer.armed != 0 {
		t.Errorf("the timer is still armed (%v) with nothing buffered", timer.armed)
	}
}

// Any other line is written at once, after the request lines before it.
func TestLogBufferKeepsOrder(t *testing.T) {
	w := &writes{}
	logger, _ := newLogger(Config{LogLevel: slog.LevelDebug, LogFormat: "text"}, w)
	logger.Info(handlers.RequestLogMessage, "n", 1)
	logger.With("part", "store").Warn("redis is slow")
	logger.Debug("request refused")
	got := w.all()
	if len(got) != 2 {
		t.Fatalf("got %q, want two writes: the request line with the warning, then the debug line", got)
	}
	if !strings.Contains(got[0], "msg=request n=1\n") || !strings.Contains(got[0], `msg="redis is slow" part=store`) || strings.Index(got[0], "n=1") > strings.Index(got[0], "redis is slow") {
		t.Errorf("first write %q, want the request line then the warning", got[0])
	}
	if !strings.Contains(got[1], `msg="request refused"`) {
		t.Errorf("second write %q, want the debug line", got[1])
	}
}

func TestLogBufferWritesWhenFull(t *testing.T) {
	w := &writes{}
	logger, _ := newLogger(Config{LogLevel: slog.LevelInfo, LogFormat: "text"}, w)
	long := strings.Repeat("x", 1000)
	for range logBufferSize/1000 + 1 {
		logger.Info(handlers.RequestLogMessage, "path", long)
	}
	got := w.all()
	if len(got) != 1 || len(got[0]) < logBufferSize {
		t.Fatalf("got %d writes, want one of at least %d bytes once the buffer filled", len(got), logBufferSize)
	}
}
