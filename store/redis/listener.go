package redis

import (
	"context"
	"errors"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// defaultListenerPing is how long the listener lets its connection stay
// silent before pinging it. A ping unanswered for as long again means the
// connection died without being closed (a peer that vanished, a NAT that
// forgot it), which no read would ever report: the listener subscribes
// on a new connection.
const defaultListenerPing = 15 * time.Second

// listen is the store's one pub/sub reader. Every notice names a port whose
// doorbells it rings. Every subscription confirmation, the first and each
// one after a reconnection, rings every doorbell: notices published while
// the connection was down are lost, so every waiter looks again.
func (s *Store) listen(ctx context.Context) {
	defer s.wg.Done()
	ps := s.currentPubSub()
	backoff := 50 * time.Millisecond
	pinged := false
	for {
		m, err := ps.ReceiveTimeout(ctx, s.listenerPing)
		if ctx.Err() != nil {
			return
		}
		var netErr net.Error
		switch {
		case err != nil && errors.As(err, &netErr) && netErr.Timeout():
			if pinged {
				s.log.Warn("redis store: pub/sub connection silent; subscribing again")
				ps = s.resubscribe(ctx)
				pinged = false
			} else {
				// An error here shows in the next receive.
				_ = ps.Ping(ctx)
				pinged = true
			}
			continue
		case err != nil:
			// go-redis reconnects and resubscribes on the next receive.
			s.log.Debug("redis store: pub/sub receive", "err", err)
			if sleep(ctx, backoff) != nil {
				return
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		pinged = false
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

func (s *Store) currentPubSub() *goredis.PubSub {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pubsub
}

// resubscribe replaces the pub/sub connection, unless the store is closing
// (Close cancels ctx before it takes the lock, so it always closes the
// last connection made).
func (s *Store) resubscribe(ctx context.Context) *goredis.PubSub {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
		return s.pubsub
	}
	old := s.pubsub
	s.pubsub = s.client.Subscribe(ctx, s.keys.notify())
	_ = old.Close()
	return s.pubsub
}
