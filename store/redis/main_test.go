package redis_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// shared is the redis-server most tests of the package use, each with its
// own key prefix. Tests that restart a server start their own.
var shared *redistest.Server

// TestMain starts the shared server and fails the package if a goroutine
// outlives the tests: every Store's listener and sweeper must stop at Close.
// The tests mostly wait, for servers, replicas, failovers and TTLs: eight
// of them run at once.
func TestMain(m *testing.M) {
	redistest.Parallel(8)
	// go-redis logs every failed dial; tests that stop servers make many.
	goredis.SetLogger(quietLogger{})
	tb := &mainTB{}
	shared = redistest.Start(tb)
	code := m.Run()
	redistest.StopShared()
	tb.cleanup()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// mainTB lets redistest.Start run in TestMain, which has no testing.TB: it
// implements the few methods Start and Restart call. The embedded
// interface is nil and only there to satisfy testing.TB's private method.
type mainTB struct {
	testing.TB
	cleanups []func()
}

func (*mainTB) Helper()                         {}
func (*mainTB) Name() string                    { return "TestMain" }
func (tb *mainTB) Cleanup(f func())             { tb.cleanups = append(tb.cleanups, f) }
func (tb *mainTB) Fatal(args ...any)            { tb.fail(fmt.Sprint(args...)) }
func (tb *mainTB) Fatalf(f string, args ...any) { tb.fail(fmt.Sprintf(f, args...)) }
func (tb *mainTB) Errorf(f string, args ...any) { tb.fail(fmt.Sprintf(f, args...)) }
func (tb *mainTB) Logf(f string, args ...any)   { fmt.Fprintf(os.Stderr, f+"\n", args...) }

func (tb *mainTB) TempDir() string {
	dir, err := os.MkdirTemp("", "tincan-redis-test-")
	if err != nil {
		tb.fail(err.Error())
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func (tb *mainTB) fail(msg string) {
	fmt.Fprintln(os.Stderr, "TestMain:", msg)
	tb.cleanup()
	os.Exit(1)
}

func (tb *mainTB) cleanup() {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
	tb.cleanups = nil
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// privateServer starts a server the test may stop, restart or pause; a
// shared server at REDIS_URL is not one, so such tests skip there.
func privateServer(t *testing.T) *redistest.Server {
	t.Helper()
	if os.Getenv("REDIS_URL") != "" {
		t.Skip("stops or pauses its server; not done to the one at REDIS_URL")
	}
	return redistest.Start(t)
}
