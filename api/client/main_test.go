package client_test

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/tincan-dev/tincan/internal/logscan"
	"github.com/tincan-dev/tincan/internal/redistest"
)

// TestMain fails the run if a goroutine (a server's, a store's, a long
// poll's) outlives the tests, or if a server logged a secret.
func TestMain(m *testing.M) {
	code := m.Run()
	redistest.StopShared()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
		if err := logscan.Check(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// serverLog is a test server's log: every line goes to the scan for
// secrets, warnings and errors to the test's log, and an error fails the
// test, since nothing the client does may provoke one.
type serverLog struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
	scan *logscan.Log
}

func newServerLog(t *testing.T) *serverLog {
	l := &serverLog{t: t, scan: logscan.New(t.Name())}
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
	_, _ = l.scan.Write(p)
	if l.done || bytes.Contains(p, []byte("level=DEBUG")) || bytes.Contains(p, []byte("level=INFO")) {
		return len(p), nil
	}
	l.t.Logf("server: %s", bytes.TrimSpace(p))
	if bytes.Contains(p, []byte("level=ERROR")) {
		l.t.Errorf("the server logged an error")
	}
	return len(p), nil
}
