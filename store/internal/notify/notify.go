// Package notify keeps, for one process, the doorbells of the ports that
// somebody is waiting on, and rings them. Both stores use it: the memory
// store rings it directly, the Redis store from its one pub/sub listener.
package notify

import (
	"slices"
	"sync"

	"github.com/tincan-dev/tincan/store"
)

// Hub holds the subscriptions of one process, by port id.
type Hub struct {
	mu sync.Mutex
	// subs are the doorbells of each port with any. A slice rather than a
	// set: a port nearly always has one or two, and a slice of one costs
	// a word where a map costs a hundred bytes, for every waiting stream.
	subs  map[string][]chan struct{}
	watch func(port string, watched bool)
}

// New returns an empty Hub.
func New() *Hub {
	return &Hub{subs: make(map[string][]chan struct{})}
}

// NewWatched returns an empty Hub that tells watch when a port gets its
// first subscription (watched true) and when its last one closes (false),
// so that a store can listen for exactly the ports somebody waits on. The
// calls for one port come in order, made under the Hub's lock: watch must
// return at once and must not call the Hub.
func NewWatched(watch func(port string, watched bool)) *Hub {
	h := New()
	h.watch = watch
	return h
}

// Subscribe returns one doorbell for all of ports: it rings for anything
// at any of them. The one channel is registered under each port, so it
// costs no goroutine; closing the subscription unregisters it from all.
func (h *Hub) Subscribe(ports ...string) *store.Subscription {
	c := make(chan struct{}, 1)
	ports = slices.Compact(slices.Sorted(slices.Values(ports)))
	h.mu.Lock()
	for _, port := range ports {
		bells := h.subs[port]
		if len(bells) == 0 && h.watch != nil {
			h.watch(port, true)
		}
		h.subs[port] = append(bells, c)
	}
	h.mu.Unlock()
	return store.NewSubscription(c, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, port := range ports {
			h.unregister(port, c)
		}
	})
}

// unregister removes c from port's doorbells. h.mu must be held.
func (h *Hub) unregister(port string, c chan struct{}) {
	bells := h.subs[port]
	i := slices.Index(bells, c)
	if i < 0 {
		return
	}
	if len(bells) == 1 {
		delete(h.subs, port)
		if h.watch != nil {
			h.watch(port, false)
		}
		return
	}
	// Order does not matter: move the last into the gap.
	last := len(bells) - 1
	bells[i] = bells[last]
	bells[last] = nil
	h.subs[port] = bells[:last]
}

// Notify rings every doorbell of port. It never blocks.
func (h *Hub) Notify(port string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.subs[port] {
		ring(c)
	}
}

// NotifyAll rings every doorbell. A store calls it when it may have missed
// notifications (its listener reconnected, say), so that every waiter
// looks again.
func (h *Hub) NotifyAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, bells := range h.subs {
		for _, c := range bells {
			ring(c)
		}
	}
}

// Len returns how many doorbells are registered, counting a subscription
// once for each of its ports.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, bells := range h.subs {
		n += len(bells)
	}
	return n
}

func ring(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default: // already ringing
	}
}
