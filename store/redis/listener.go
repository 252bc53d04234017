package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// listen is the store's one pub/sub reader. Every notice names a port whose
// doorbells it rings. Every subscription confirmation, the first and each
// one after go-redis reconnected, rings every doorbell: notices published
// while the connection was down are lost, so every waiter looks again.
func (s *Store) listen(ctx context.Context) {
	defer s.wg.Done()
	backoff := 50 * time.Millisecond
	for {
		m, err := s.pubsub.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Debug("redis store: pub/sub receive", "err", err)
			if sleep(ctx, backoff) != nil {
				return
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := m.(type) {
		case *goredis.Message:
			s.hub.Notify(m.Payload)
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				s.hub.NotifyAll()
			}
		}
	}
}
