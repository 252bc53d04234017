package ratelimit

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// TestMain stops the Redis Cluster the tests shared, and fails the package
// if a goroutine outlives the tests. The tests that wait (for a Cluster to
// start, a backend's pause, a limit's interval) run in parallel, eight at
// once.
func TestMain(m *testing.M) {
	redistest.Parallel(8)
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
