package main

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// TestMain fails the run if a goroutine (a worker's, a client's stream or
// long poll, a server's) outlives the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	redistest.StopShared()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// serverLog is a test server's log: warnings and errors go to the test's
// log, and an error fails the test, since nothing a worker or client does
// may provoke one.
type serverLog struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func newServerLog(t *testing.T) *serverLog {
	l := &serverLog{t: t}
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.done = true
	})
	return l
}

func (l *serverLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done || bytes.Contains(p, []byte("level=DEBUG")) || bytes.Contains(p, []byte("level=INFO")) {
		return len(p), nil
	}
	l.t.Logf("log: %s", bytes.TrimSpace(p))
	if bytes.Contains(p, []byte("level=ERROR")) {
		l.t.Errorf("an error was logged")
	}
	return len(p), nil
}
