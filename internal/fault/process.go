package fault

import (
	"fmt"
	"net/http"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/internal/syncbuf"
)

// startTimeout bounds how long an api process may take to answer /healthz.
const startTimeout = 15 * time.Second

// API is an api process on a fixed loopback address, which it keeps when
// it is killed and started again, so clients find it where it was.
type API struct {
	// Base is the process's base URL, http://127.0.0.1:<port>.
	Base string

	tb   testing.TB
	bin  string
	env  []string
	logs *syncbuf.Buffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartAPI starts bin with env (and nothing else of the test's
// environment) on a free loopback port, waits until it is healthy, and
// kills it at tb's end.
func StartAPI(tb testing.TB, bin string, env map[string]string) *API {
	tb.Helper()
	a := newAPI(tb, bin, env)
	a.Start()
	return a
}

// newAPI prepares an api process on a free loopback port, to be killed at
// tb's end, without starting it.
func newAPI(tb testing.TB, bin string, env map[string]string) *API {
	tb.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(tb))
	a := &API{Base: "http://" + addr, tb: tb, bin: bin, logs: &syncbuf.Buffer{}}
	a.env = []string{"ADDR=" + addr}
	for k, v := range env {
		a.env = append(a.env, k+"="+v)
	}
	tb.Cleanup(func() {
		a.Kill()
		if tb.Failed() {
			tb.Logf("logs of %s (last 8 KiB):\n%s", a.Base, tail(a.logs, 8<<10))
		}
	})
	return a
}

// Start starts the process (again) and waits until it is healthy.
func (a *API) Start() {
	a.tb.Helper()
	if exit, err := a.launch(); err != nil {
		a.tb.Fatalf("%s: %v (exit status %d)\nlogs:\n%s", a.Base, err, exit, tail(a.logs, 8<<10))
	}
}

// TryStartAPI starts bin with env as StartAPI does, but a process that
// exits before it is healthy is not a failure of the test: it returns the
// exit status and the process's output. A process that became healthy
// returns -1 and runs until tb's end.
func TryStartAPI(tb testing.TB, bin string, env map[string]string) (*API, int) {
	tb.Helper()
	a := newAPI(tb, bin, env)
	exit, err := a.launch()
	switch {
	case err == nil:
		return a, -1
	case exit < 0:
		tb.Fatalf("%s: %v\nlogs:\n%s", a.Base, err, tail(a.logs, 8<<10))
	}
	return a, exit
}

// launch starts the process and waits until it is healthy. When it is
// not, the process is gone, and exit is its exit status (-1 when it did
// not exit on its own).
func (a *API) launch() (exit int, err error) {
	cmd := exec.Command(a.bin)
	cmd.Env = a.env
	cmd.Stdout, cmd.Stderr = a.logs, a.logs
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("start %s: %v", a.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	a.mu.Lock()
	a.cmd, a.done = cmd, done
	a.mu.Unlock()
	err = waitHealthy(a.Base, done)
	if err == nil {
		return -1, nil
	}
	select {
	case <-done:
		exit = cmd.ProcessState.ExitCode()
	default:
		exit = -1
	}
	a.Kill()
	return exit, err
}

// Kill sends SIGKILL, as a crash or the OOM killer would, and waits until
// the process is gone. Killing a dead process does nothing.
func (a *API) Kill() {
	a.mu.Lock()
	cmd, done := a.cmd, a.done
	a.cmd = nil
	a.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Logs returns what the process wrote so far, across restarts.
func (a *API) Logs() string { return a.logs.String() }

// waitHealthy polls base/healthz until it answers 200, the process exits,
// or startTimeout passes.
func waitHealthy(base string, exited <-chan struct{}) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		res, err := c.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before it was healthy")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/healthz did not answer within %v: %v", startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tail is the last n bytes of a process's output, for a failure message.
func tail(logs *syncbuf.Buffer, n int) string {
	s := logs.String()
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
