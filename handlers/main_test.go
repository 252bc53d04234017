package handlers

import (
	"fmt"
	"os"
	"testing"

	"github.com/tincan-dev/tincan/internal/logscan"
)

// TestMain fails the run if any server log of any test holds a secret.
func TestMain(m *testing.M) {
	logscan.Secret("API key", apiKey)
	code := m.Run()
	if err := logscan.Check(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}
