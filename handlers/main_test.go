package handlers

import (
	"os"
	"testing"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// TestMain stops the Redis topologies the tests shared.
func TestMain(m *testing.M) {
	code := m.Run()
	redistest.StopShared()
	os.Exit(code)
}
