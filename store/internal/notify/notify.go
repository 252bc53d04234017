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
	subs  map[string][]*store.Subscription
	watch func(port string, watched bool)
}

// New returns an empty Hub.
func New() *Hub {
	return &Hub{subs: make(map[string][]*store.Subscription)}
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
// at any of them. The one subscription is registered under each port, so
// it costs no goroutine; closing it unregisters it from all.
func (h *Hub) Subscribe(ports ...string) *store.Subscription {
	ports = slices.Compact(slices.Sorted(slices.Values(ports)))
	var c *store.Subscription
	c = store.NewSubscription(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, port := range ports {
			h.unregister(port, c)
		}
	})
	h.mu.Lock()
	for _, port := range ports {
		bells := h.subs[port]
		if len(bells) == 0 && h.watch != nil {
			h.watch(port, true)
		}
		h.subs[port] = append(bells, c)
	}
	h.mu.Unlock()
	return c
}

// unregister removes c from port's doorbells. h.mu must be held.
func (h *Hub) unregister(port string, c *store.Subscription) {
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

// Notify tells every subscription of port to look at it. It never blocks.
func (h *Hub) Notify(port string) {
	h.Push(store.Notice{Port: port})
}

// Push gives n to every subscription of n.Port, after what they were
// given before. It never blocks.
func (h *Hub) Push(n store.Notice) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.subs[n.Port] {
		c.Add(n)
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
