package client_test

import (
	"testing"

	"github.com/tincan-dev/tincan/api/client"
)

// TestNewIdempotencyKey checks the keys are what the service accepts (1
// to 255 printable ASCII characters) and never repeat. TestEndToEnd sends
// them on a real tincan.
func TestNewIdempotencyKey(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		k := client.NewIdempotencyKey()
		if len(k) == 0 || len(k) > 255 {
			t.Fatalf("key %q: %d characters, want 1 to 255", k, len(k))
		}
		for _, c := range []byte(k) {
			if c < 0x21 || c > 0x7e {
				t.Fatalf("key %q: %q is not printable ASCII", k, c)
			}
		}
		if seen[k] {
			t.Fatalf("key %q came twice", k)
		}
		seen[k] = true
	}
}
