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

func TestLogBufferWritesWithinItsBound(t *testing.T) {
	w := &writes{}
	logger, _ := newLogger(Config{LogLevel: slog.LevelInfo, LogFormat: "json"}, w)
	logger.Info(handlers.RequestLogMessage)
	deadline := time.Now().Add(10 * logFlushAfter)
	for len(w.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(logFlushAfter / 10)
	}
	if got := w.all(); len(got) != 1 || !strings.Contains(got[0], `"msg":"request"`) {
		t.Fatalf("got %q, want the line written by itself within %v", got, 10*logFlushAfter)
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
