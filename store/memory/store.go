// Package memory is the embedded Store: every channel lives in the memory of
// one process, behind one mutex. Holding that one lock for the whole of each
// operation is what makes every change atomic, a transfer list that moves
// ports of several channels included, so there is no in-transit state and
// ErrBusy never happens here. A broadcast is the one operation that lets
// the lock go before it ends: it is one post per member, atomic each, as
// on Redis, made a batch of members at a time, so that a broadcast to
// thousands of members does not stop the store for everyone else. Nothing
// survives a restart.
package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/internal/notify"
)

var _ store.Store = (*Store)(nil)

// errStoreClosed is what every method returns once Close was called: the
// engine is gone, which to a caller looks like an unreachable one.
var errStoreClosed = fmt.Errorf("memory store closed: %w", store.ErrUnavailable)

// Store is the in-memory implementation of store.Store. The zero value is
// not usable; call New.
type Store struct {
	limits store.Limits
	hub    *notify.Hub
	now    func() time.Time // the store's clock; see WithClock

	stop      chan struct{} // closed by Close: the janitor returns
	done      chan struct{} // closed by the janitor when it has returned
	closeOnce sync.Once

	mu       sync.Mutex
	closed   bool
	channels map[string]*channel // by tag (store.TagLength prefix of every id)
	ports    map[string]*port    // by port id
	records  map[string]*record  // answers remembered for idempotency keys
	tickets  map[string]*ticket  // by store.TicketIndex
	// collections are the port collections, by id.
	collections map[string]*collection

	// betweenBatches, when set (by tests), runs between two batches of a
	// broadcast, with the lock let go.
	betweenBatches func()
}

// Option changes how New makes a Store.
type Option func(*Store)

// WithClock has the store read the time from now instead of time.Now. Every
// time the store keeps or compares (a channel's and a collection's idle
// timer, an idempotency key's window, a ticket's expiry, message ids and
// timestamps) then follows now, so that a test can move it rather than
// sleep. The janitor still wakes on the wall clock, but every lookup checks
// expiry itself, so what callers see follows now exactly. now must be safe
// for concurrent use and should not go back. A nil now is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns an empty Store enforcing limits (zero fields take their
// defaults). It starts one goroutine that forgets expired channels; Close
// stops it.
func New(limits store.Limits, opts ...Option) *Store {
	s := &Store{
		limits:   limits.WithDefaults(),
		hub:      notify.New(),
		now:      time.Now,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		channels: make(map[string]*channel),
		ports:    make(map[string]*port),
		records:  make(map[string]*record),
		tickets:  make(map[string]*ticket),

		collections: make(map[string]*collection),
	}
	for _, o := range opts {
		o(s)
	}
	go s.janitor(sweepInterval(s.limits.ChannelTTL))
	return s
}

// Subscribe returns one doorbell for all of portIDs, in place at once. It
// rings from the goroutine that made the change, without blocking it.
func (s *Store) Subscribe(ctx context.Context, portIDs ...string) (*store.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, errStoreClosed
	}
	return s.hub.Subscribe(portIDs...), nil
}

// Ready reports nil while the store is open: there is nothing to reach.
func (s *Store) Ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errStoreClosed
	}
	return nil
}

// Close stops the janitor and drops every channel. Later calls of any
// method return an error wrapping store.ErrUnavailable. Closing twice is
// harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		s.mu.Lock()
		s.closed = true
		s.channels = nil
		s.ports = nil
		s.records = nil
		s.tickets = nil
		s.collections = nil
		s.mu.Unlock()
	})
	return nil
}

// begin checks ctx and takes the lock; the caller must defer s.mu.Unlock
// when err is nil. It returns the time the operation happens at.
func (s *Store) begin(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return time.Time{}, errStoreClosed
	}
	return s.now(), nil
}
