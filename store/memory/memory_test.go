package memory_test

import (
	"testing"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
	"github.com/tincan-dev/tincan/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, limits store.Limits) store.Store {
		s := memory.New(limits)
		t.Cleanup(func() { s.Close() })
		return s
	})
}
