package store

import "sync"

// Subscription is a doorbell for one or more ports: C receives a value
// whenever something happened at any of them since the last receive; the
// reader then looks at each port that may have news. Wake-ups coalesce,
// so a slow reader sees one ring for many events and never blocks the
// ringer.
type Subscription struct {
	// C rings. It is never closed.
	C <-chan struct{}

	once   sync.Once
	cancel func()
}

// NewSubscription returns a Subscription ringing on c that calls cancel,
// once, when it is closed. It is for Store implementations.
func NewSubscription(c <-chan struct{}, cancel func()) *Subscription {
	return &Subscription{C: c, cancel: cancel}
}

// Close stops the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.once.Do(s.cancel)
}
