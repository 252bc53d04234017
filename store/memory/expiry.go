package memory

import (
	"time"
)

// expired reports whether ch has been idle for the channel TTL. Checking
// it on every lookup makes expiry exact; the janitor only frees memory.
func (s *Store) expired(ch *channel, now time.Time) bool {
	return now.Sub(ch.touched) >= s.limits.ChannelTTL
}

// sweepInterval is how often the janitor looks for expired channels: often
// enough that memory is freed within about a quarter of the TTL, never
// busier than every 10ms nor lazier than once a minute.
func sweepInterval(ttl time.Duration) time.Duration {
	return min(max(ttl/4, 10*time.Millisecond), time.Minute)
}

// janitor forgets expired channels, collections, idempotency records and
// tickets until Close.
func (s *Store) janitor(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sweep()
		}
	}
}

// sweep drops every expired channel and rings its ports, so that readers
// still waiting on them look again and find them gone. It walks every
// channel under the lock; a sweep over a million channels takes tens of
// milliseconds once a minute, which is cheaper than keeping an index.
func (s *Store) sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	now := s.now()
	s.sweepTickets(now)
	for k, r := range s.records {
		if !now.Before(r.expires) {
			delete(s.records, k)
		}
	}
	for id, c := range s.collections {
		if s.collectionExpired(c, now) {
			delete(s.collections, id)
		}
	}
	for tag, ch := range s.channels {
		if !s.expired(ch, now) {
			continue
		}
		delete(s.channels, tag)
		for _, p := range ch.ports {
			delete(s.ports, p.id)
			s.hub.Notify(p.id)
		}
	}
}
