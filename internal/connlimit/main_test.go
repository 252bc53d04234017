package connlimit

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives the tests: every
// server, acceptor and connection a test starts must be ended by it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
