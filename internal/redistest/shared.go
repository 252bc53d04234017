package redistest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// Topologies take seconds to start, so a package's tests share one of
// each, started by the first test that asks and stopped by StopShared,
// which the package's TestMain calls after m.Run. Tests keep apart with
// their own key prefixes (Prefix).
var shared struct {
	mu       sync.Mutex
	tb       *sharedTB
	cluster  *Cluster
	sentinel *Sentinel
}

// SharedCluster returns the test binary's Cluster, starting it on first
// use.
func SharedCluster(tb testing.TB) *Cluster {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cluster == nil {
		shared.cluster = startShared(tb, StartCluster)
	}
	return shared.cluster
}

// SharedSentinel returns the test binary's Sentinel set, starting it on
// first use. A test that fails its primary over must start its own.
func SharedSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.sentinel == nil {
		shared.sentinel = startShared(tb, StartSentinel)
	}
	return shared.sentinel
}

// StopShared stops whatever SharedCluster and SharedSentinel started.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.tb != nil {
		shared.tb.cleanup()
	}
	shared.cluster, shared.sentinel = nil, nil
}

// startShared runs start with a testing.TB that lives until StopShared,
// and reports its failure to tb.
func startShared[T any](tb testing.TB, start func(testing.TB) T) (v T) {
	tb.Helper()
	if shared.tb == nil {
		shared.tb = &sharedTB{}
	}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(sharedFailure)
			if !ok {
				panic(r)
			}
			shared.tb.cleanup()
			tb.Fatal(string(f))
		}
	}()
	return start(shared.tb)
}

// sharedFailure is how sharedTB's Fatal stops start.
type sharedFailure string

// sharedTB implements the few testing.TB methods this package's starters
// call. The embedded interface is nil: it only supplies the private method.
type sharedTB struct {
	testing.TB
	cleanups []func()
}

func (*sharedTB) Helper()                      {}
func (*sharedTB) Name() string                 { return "shared" }
func (tb *sharedTB) Cleanup(f func())          { tb.cleanups = append(tb.cleanups, f) }
func (*sharedTB) Fatal(args ...any)            { panic(sharedFailure(fmt.Sprint(args...))) }
func (*sharedTB) Fatalf(f string, args ...any) { panic(sharedFailure(fmt.Sprintf(f, args...))) }
func (*sharedTB) Logf(f string, args ...any)   { fmt.Fprintf(os.Stderr, f+"\n", args...) }

func (tb *sharedTB) TempDir() string {
	dir, err := os.MkdirTemp("", "tincan-redistest-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func (tb *sharedTB) cleanup() {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
	tb.cleanups = nil
}
