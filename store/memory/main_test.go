package memory_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives the tests: every
// store's janitor must be stopped by its Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
