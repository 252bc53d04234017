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
	mu    sync.Mutex
	subs  map[string]map[chan struct{}]struct{}
	watch func(port string, watched bool)
}

// New returns an empty Hub.
func New() *Hub {
	return &Hub{subs: make(map[string]map[chan struct{}]struct{})}
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
		set := h.subs[port]
		if set == nil {
			set = make(map[chan struct{}]struct{})
			h.subs[port] = set
			if h.watch != nil {
				h.watch(port, true)
			}
		}
		set[c] = struct{}{}
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
	set := h.subs[port]
	if _, ok := set[c]; !ok {
		return
	}
	delete(set, c)
	if len(set) == 0 {
		delete(h.subs, port)
		if h.watch != nil {
			h.watch(port, false)
		}
	}
}

// Notify rings every doorbell of port. It never blocks.
func (h *Hub) Notify(port string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs[port] {
		ring(c)
	}
}

// NotifyAll rings every doorbell. A store calls it when it may have missed
// notifications (its listener reconnected, say), so that every waiter
// looks again.
func (h *Hub) NotifyAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for c := range set {
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
	for _, set := range h.subs {
		n += len(set)
	}
	return n
}

func ring(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default: // already ringing
	}
}
