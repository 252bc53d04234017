package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// ticket is a ticket as kept: its credentials sealed under a key only the
// ticket's secret yields (see store.SealTicket).
type ticket struct {
	sealed  []byte
	expires time.Time
}

// IssueTicket checks every credential for reading and remembers a sealed
// ticket for them. Issuing is not activity: it touches no channel.
func (s *Store) IssueTicket(ctx context.Context, ports []store.Credentials, ttl time.Duration) (store.Ticket, error) {
	if err := store.CheckTicketRequest(ports, ttl); err != nil {
		return store.Ticket{}, err
	}
	now, err := s.begin(ctx)
	if err != nil {
		return store.Ticket{}, err
	}
	defer s.mu.Unlock()
	for i, c := range ports {
		if _, err := s.authenticate(c, now, store.OpRead); err != nil {
			return store.Ticket{}, &store.TicketError{Index: i, PortID: c.PortID, Err: err}
		}
	}
	t := store.NewTicket(ports, now, ttl)
	sealed, err := store.SealTicket(t, ports)
	if err != nil {
		return store.Ticket{}, fmt.Errorf("issue ticket: %w", err)
	}
	s.tickets[store.TicketIndex(t.Ports[0], t.Secret)] = &ticket{sealed: sealed, expires: now.Add(ttl)}
	return t, nil
}

// RedeemTicket forgets the ticket's record, if it is there and live, and
// opens it.
func (s *Store) RedeemTicket(ctx context.Context, portID, secret string) ([]store.Credentials, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	index := store.TicketIndex(portID, secret)
	t := s.tickets[index]
	if t == nil || !now.Before(t.expires) {
		return nil, fmt.Errorf("port %q: %w", portID, store.ErrTicketInvalid)
	}
	delete(s.tickets, index)
	ports, err := store.OpenTicket(portID, secret, t.sealed)
	if err != nil {
		return nil, fmt.Errorf("redeem ticket for port %q: %w", portID, err)
	}
	return ports, nil
}

// IssueMessageTicket checks the credentials for reading and the message
// for being queued, and remembers a sealed ticket for them, in the map of
// stream tickets: the two kinds' records are named by distinct derivations
// (see store.MessageTicketIndex), so neither finds the other's. Issuing is
// not activity: it touches no channel.
func (s *Store) IssueMessageTicket(ctx context.Context, c store.Credentials, id store.EventID, ttl time.Duration) (store.Ticket, error) {
	if err := store.CheckTicketTTL(ttl); err != nil {
		return store.Ticket{}, err
	}
	now, err := s.begin(ctx)
	if err != nil {
		return store.Ticket{}, err
	}
	defer s.mu.Unlock()
	p, err := s.authenticate(c, now, store.OpRead)
	if err != nil {
		return store.Ticket{}, err
	}
	if _, ok := p.queued(id); !ok {
		return store.Ticket{}, fmt.Errorf("port %s: message %q: %w", p.id, id, store.ErrMessageNotFound)
	}
	t := store.NewMessageTicket(p.id, now, ttl)
	sealed, err := store.SealMessageTicket(t, id, c)
	if err != nil {
		return store.Ticket{}, fmt.Errorf("issue message ticket: %w", err)
	}
	s.tickets[store.MessageTicketIndex(p.id, id, t.Secret)] = &ticket{sealed: sealed, expires: now.Add(ttl)}
	return t, nil
}

// RedeemMessageTicket opens the ticket's record, if it is there and live,
// and leaves it there: a message ticket is not used up.
func (s *Store) RedeemMessageTicket(ctx context.Context, portID string, id store.EventID, secret string) (store.Credentials, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return store.Credentials{}, err
	}
	defer s.mu.Unlock()
	t := s.tickets[store.MessageTicketIndex(portID, id, secret)]
	if t == nil || !now.Before(t.expires) {
		return store.Credentials{}, fmt.Errorf("port %q: message %q: %w", portID, id, store.ErrTicketInvalid)
	}
	c, err := store.OpenMessageTicket(portID, id, secret, t.sealed)
	if err != nil {
		return store.Credentials{}, fmt.Errorf("redeem message ticket for port %q: %w", portID, err)
	}
	return c, nil
}

// sweepTickets forgets expired tickets. s.mu must be held.
func (s *Store) sweepTickets(now time.Time) {
	for k, t := range s.tickets {
		if !now.Before(t.expires) {
			delete(s.tickets, k)
		}
	}
}
