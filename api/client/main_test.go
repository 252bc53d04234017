package client_test

import (
	"fmt"
	"os"
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
