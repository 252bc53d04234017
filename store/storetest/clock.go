package storetest

import (
	"sync"
	"testing"
	"time"
)

// Clock is a clock that stands still until it is moved. A store that can
// read its time from a function (see RunClocked) is given one for the
// cases about expiry, which then move it instead of sleeping. It is safe
// for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock that reads what the wall clock reads now, and
// keeps reading it until Advance.
func NewClock() *Clock {
	return &Clock{now: time.Now()}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock d forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// timeline is how time passes for one store in a case about expiry: by
// moving the store's clock when it reads one, on the wall clock otherwise
// (Redis enforces its TTLs itself).
type timeline struct {
	clock *Clock // nil: the store keeps the wall clock's time
}

// pass lets d go by.
func (tl timeline) pass(d time.Duration) {
	if tl.clock == nil {
		time.Sleep(d)
		return
	}
	tl.clock.Advance(d)
}

// passUntil lets time go by until at, a time the store gave.
func (tl timeline) passUntil(at time.Time) {
	if tl.clock == nil {
		time.Sleep(time.Until(at))
		return
	}
	tl.clock.Advance(at.Sub(tl.clock.Now()))
}

// expires fails the test unless gone reports true once the store has had
// its chance to forget something. A store on a clock has forgotten it
// already: expiry there is exact. On the wall clock gone is polled for up
// to grace, for an engine that expires keys in the background.
func (tl timeline) expires(t *testing.T, grace time.Duration, what string, gone func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(grace)
	for {
		ok, err := gone()
		switch {
		case err != nil:
			t.Fatalf("%s: %v", what, err)
		case ok:
			return
		case tl.clock != nil:
			t.Fatalf("%s: still there once its time was up", what)
		case time.Now().After(deadline):
			t.Fatalf("%s: still there %v after its time was up", what, grace)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
