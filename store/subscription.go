package store

import "sync"

// MaxNotices bounds a Subscription's queue of notices. When a reader falls
// this far behind, the queue is emptied and replaced by one look at every
// port: nothing is lost, since every message is in the store.
const MaxNotices = 64

// Notice is one thing a Subscription heard, in the order it happened.
// Either a look (Pushed false): something changed at Port (at every port
// of the subscription when Port is empty) and the reader must read it from
// the store; or a pushed message (Pushed true): Message was queued at Port
// right after Prev (the zero id when it is the port's first), so a reader
// whose position at Port is Prev may deliver it without reading.
type Notice struct {
	Port    string
	Pushed  bool
	Prev    EventID
	Message Message
}

// Subscription is a doorbell for one or more ports: C receives a value
// whenever something happened at any of them since the last receive, and
// Take returns what it was, in order. Wake-ups coalesce, so a slow reader
// sees one ring for many notices and never blocks the ringer.
type Subscription struct {
	// C rings. It is never closed.
	C <-chan struct{}

	c      chan struct{}
	mu     sync.Mutex
	queue  []Notice
	ring   func()
	once   sync.Once
	cancel func()
}

// NewSubscription returns a Subscription that calls cancel, once, when it
// is closed. It is for Store implementations, which Add its notices.
func NewSubscription(cancel func()) *Subscription {
	c := make(chan struct{}, 1)
	return &Subscription{C: c, c: c, cancel: cancel}
}

// Add queues n and rings. A queue already holding MaxNotices is replaced
// by a single look at every port first. Add never blocks on the reader.
func (s *Subscription) Add(n Notice) {
	s.mu.Lock()
	if len(s.queue) >= MaxNotices {
		clear(s.queue) // drop the messages' data now
		s.queue = append(s.queue[:0], Notice{})
	}
	s.queue = append(s.queue, n)
	ring := s.ring
	s.mu.Unlock()
	select {
	case s.c <- struct{}{}:
	default: // already ringing
	}
	if ring != nil {
		ring()
	}
}

// OnRing has f called, on the ringer's goroutine, after every ring from
// now on, beside C: a reader with no goroutine of its own waiting on C
// (a parked event stream) is woken by it. f must not block. A ring
// before OnRing is seen on C only, so the caller checks C after it.
func (s *Subscription) OnRing(f func()) {
	s.mu.Lock()
	s.ring = f
	s.mu.Unlock()
}

// Take appends the queued notices to buf, oldest first, empties the
// queue, and returns buf.
func (s *Subscription) Take(buf []Notice) []Notice {
	s.mu.Lock()
	defer s.mu.Unlock()
	buf = append(buf, s.queue...)
	clear(s.queue)
	s.queue = s.queue[:0]
	if cap(s.queue) > 8 {
		// A burst's room would stay with the stream while it idles.
		s.queue = nil
	}
	return buf
}

// Close stops the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.once.Do(s.cancel)
}
