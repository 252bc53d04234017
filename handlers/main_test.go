package handlers

import (
	"fmt"
	"os"
	"testing"

	"github.com/tincan-dev/tincan/internal/logscan"
)

// TestMain runs the package's tests twice: with event streams on the
// standard path, then with every stream parked (park.go), so that every
// stream behaviour is tested on both; TINCAN_TEST_PARK=0 or 1 runs one of
// the two. It fails the run if any server log of any test holds a secret.
func TestMain(m *testing.M) {
	logscan.Secret("API key", apiKey)
	mode := os.Getenv("TINCAN_TEST_PARK")
	code := 0
	if mode != "1" {
		code = m.Run()
	}
	if mode != "0" && code == 0 {
		fmt.Fprintln(os.Stderr, "handlers: the tests again, with every event stream parked (TINCAN_TEST_PARK=1 runs only these)")
		parkAll = true
		code = m.Run()
	}
	if err := logscan.Check(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}
