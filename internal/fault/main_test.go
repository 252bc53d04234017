package fault

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// apiBin is the api binary, built once for the package's tests.
var apiBin string

// TestMain builds the api binary for the tests. They mostly wait, for
// failovers, move deadlines and servers they kill and restart, each on
// servers of its own: eight run at once. TestTransferUnderPause, whose
// api answers 503 past a 300 ms REDIS_TIMEOUT, and the quick ones run
// alone, before the others.
func TestMain(m *testing.M) {
	flag.Parse()
	redistest.Parallel(8)
	dir, err := os.MkdirTemp("", "tincan-fault-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if !testing.Short() {
		if apiBin, err = Build(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			_ = os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// forms returns the short (CI) or the long (TINCAN_LONG_TESTS=1) value.
func forms[T any](short, long T) T {
	if os.Getenv("TINCAN_LONG_TESTS") == "1" {
		return long
	}
	return short
}

// needProcesses skips a test that starts processes under -short.
func needProcesses(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts api and redis-server processes")
	}
}
