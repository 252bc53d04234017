// Package apitest serves a real tincan (the handlers over a real store) on
// a loopback port, for tests that talk to it as its users do: through the
// generated Go client.
package apitest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tincan-dev/tincan/api/client"
	"github.com/tincan-dev/tincan/handlers"
	"github.com/tincan-dev/tincan/internal/logscan"
	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// StoreKind is a store a real tincan runs on in these tests.
type StoreKind struct {
	Name string
	// Open makes a fresh store of the kind, closed when the test ends.
	Open func(t *testing.T) store.Store
}

// Stores are the embedded store and Redis (a private redis-server, or
// the one at REDIS_URL).
var Stores = []StoreKind{
	{"memory", func(t *testing.T) store.Store {
		st := memory.New(store.Limits{})
		t.Cleanup(func() { _ = st.Close() })
		return st
	}},
	{"redis", func(t *testing.T) store.Store {
		srv := redistest.Start(t)
		st, err := redisstore.New(context.Background(), srv.Client(t), redisstore.Options{
			Prefix: redistest.Prefix(t),
			Logger: Logger(t),
		})
		if err != nil {
			t.Fatalf("redis store: %v", err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}},
}

// Start serves tincan over st on a loopback port until the test ends,
// behind what wrap makes of it (nil: as it is), and returns its URL and a
// generated client for it.
func Start(t *testing.T, st store.Store, wrap func(http.Handler) http.Handler) (string, *client.ClientWithResponses) {
	t.Helper()
	// Streams on net/http's path (PARK_STREAMS off): the tests here cut a
	// stream by cancelling its request's context, which a parked stream no
	// longer watches. Parked streams are tested in handlers (both paths)
	// and through the service's processes (web, internal/fault), where
	// they are the default.
	srv := handlers.NewServer(Logger(t), st, handlers.Config{})
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseStreams()
		ts.Close()
	})
	api, err := client.NewClientWithResponses(ts.URL, client.WithHTTPClient(ts.Client()))
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return ts.URL, api
}

// Logger logs at debug level into a Log of t's, so that refusals reach
// the scan for secrets too.
func Logger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(NewLog(t), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Log is a test's server log: every line goes to the scan for secrets
// (the package's TestMain calls logscan.Check), warnings and errors to the
// test's log, and an error fails the test, since nothing a client does may
// provoke one.
type Log struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
	scan *logscan.Log
}

// NewLog returns a Log for t, quiet once t has ended.
func NewLog(t *testing.T) *Log {
	l := &Log{t: t, scan: logscan.New(t.Name())}
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.done = true
	})
	return l
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.scan.Write(p)
	if l.done || bytes.Contains(p, []byte("level=DEBUG")) || bytes.Contains(p, []byte("level=INFO")) {
		return len(p), nil
	}
	l.t.Logf("log: %s", bytes.TrimSpace(p))
	if bytes.Contains(p, []byte("level=ERROR")) {
		l.t.Errorf("an error was logged")
	}
	return len(p), nil
}
