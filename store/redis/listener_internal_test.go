package redis

import (
	"testing"
	"time"
)

// TestListenerDownClearsWithoutWaiters: the listener has seen subscribing
// fail, and every waiter has gone (wait turns them away at once while
// down). The server answers: the manager's next pass, which the next
// Subscribe's watch starts, must clear down by itself, since no
// subscription is left whose confirmation would.
func TestListenerDownClearsWithoutWaiters(t *testing.T) {
	t.Parallel()
	s, _ := newInternalStore(t)
	l := s.listener
	l.mu.Lock()
	l.down = true
	l.mu.Unlock()
	l.wake() // what a Subscribe's watch does

	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		down := l.down
		l.mu.Unlock()
		if !down {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the listener still takes subscribing for failing 10 s after a pass with the server up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
