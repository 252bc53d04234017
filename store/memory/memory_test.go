package memory_test

import (
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
	"github.com/tincan-dev/tincan/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunClocked(t, func(t *testing.T, limits store.Limits, now func() time.Time) store.Store {
		s := memory.New(limits, memory.WithClock(now))
		t.Cleanup(func() { s.Close() })
		return s
	})
}
