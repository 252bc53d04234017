package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
)

// IssueTicket checks every credential for reading, one check.lua per port
// in one pipeline (the ports may live in different Cluster slots), and
// keeps the sealed ticket under one key that expires with it.
func (s *Store) IssueTicket(ctx context.Context, ports []store.Credentials, ttl time.Duration) (store.Ticket, error) {
	if err := store.CheckTicketRequest(ports, ttl); err != nil {
		return store.Ticket{}, err
	}
	if err := s.checkReaders(ctx, ports); err != nil {
		return store.Ticket{}, err
	}
	t := store.NewTicket(ports, time.Now(), ttl)
	sealed, err := store.SealTicket(t, ports)
	if err != nil {
		return store.Ticket{}, fmt.Errorf("issue ticket: %w", err)
	}
	key := s.keys.ticket(t.Ports[0], t.Secret)
	if err := s.exec(ctx, command("set", key, sealed, "px", ttl.Milliseconds()))[0].err; err != nil {
		return store.Ticket{}, fmt.Errorf("issue ticket: %w", err)
	}
	return t, nil
}

// RedeemTicket takes the ticket's record with GETDEL, which is atomic:
// of any number of redeemers, on any number of instances, one gets it.
func (s *Store) RedeemTicket(ctx context.Context, portID, secret string) ([]store.Credentials, error) {
	sealed, err := s.exec(ctx, command("getdel", s.keys.ticket(portID, secret)))[0].text()
	if errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("port %q: %w", portID, store.ErrTicketInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("redeem ticket: %w", err)
	}
	ports, err := store.OpenTicket(portID, secret, []byte(sealed))
	if err != nil {
		return nil, fmt.Errorf("redeem ticket for port %q: %w", portID, err)
	}
	return ports, nil
}

// IssueMessageTicket checks the credentials for reading and the message
// for being queued (message.lua, checking only: issuing is not activity),
// then keeps the sealed ticket under one key that expires with it.
func (s *Store) IssueMessageTicket(ctx context.Context, c store.Credentials, id store.EventID, ttl time.Duration) (store.Ticket, error) {
	if err := store.CheckTicketTTL(ttl); err != nil {
		return store.Ticket{}, err
	}
	if id.IsZero() {
		return store.Ticket{}, fmt.Errorf("port %s: message %q: %w", c.PortID, id, store.ErrMessageNotFound)
	}
	r, err := s.exec(ctx, s.portOp(s.scripts.message, settles, c, id.String(), ""))[0].ok()
	if err != nil {
		return store.Ticket{}, err
	}
	if r.str(1) != "1" {
		return store.Ticket{}, fmt.Errorf("port %s: message %q: %w", c.PortID, id, store.ErrMessageNotFound)
	}
	t := store.NewMessageTicket(c.PortID, time.Now(), ttl)
	sealed, err := store.SealMessageTicket(t, id, c)
	if err != nil {
		return store.Ticket{}, fmt.Errorf("issue message ticket: %w", err)
	}
	key := s.keys.messageTicket(c.PortID, id, t.Secret)
	if err := s.exec(ctx, command("set", key, sealed, "px", ttl.Milliseconds()))[0].err; err != nil {
		return store.Ticket{}, fmt.Errorf("issue message ticket: %w", err)
	}
	return t, nil
}

// RedeemMessageTicket reads the ticket's record with GET, leaving it in
// place: a message ticket is not used up, and Redis forgets it when it
// expires.
func (s *Store) RedeemMessageTicket(ctx context.Context, portID string, id store.EventID, secret string) (store.Credentials, error) {
	sealed, err := s.exec(ctx, command("get", s.keys.messageTicket(portID, id, secret)))[0].text()
	if errors.Is(err, goredis.Nil) {
		return store.Credentials{}, fmt.Errorf("port %q: message %q: %w", portID, id, store.ErrTicketInvalid)
	}
	if err != nil {
		return store.Credentials{}, fmt.Errorf("redeem message ticket: %w", err)
	}
	c, err := store.OpenMessageTicket(portID, id, secret, []byte(sealed))
	if err != nil {
		return store.Credentials{}, fmt.Errorf("redeem message ticket for port %q: %w", portID, err)
	}
	return c, nil
}

// checkReaders returns nil when every credential may read its port, else a
// *store.TicketError for the first that may not. The checks go in one
// pipeline; a port a move holds is settled and checked again, as a read
// would be.
func (s *Store) checkReaders(ctx context.Context, ports []store.Credentials) error {
	checks := make([]op, len(ports))
	for i, c := range ports {
		checks[i] = s.portOp(s.scripts.check, settles, c)
	}
	for i, r := range s.exec(ctx, checks...) {
		_, err := r.ok()
		if err == nil {
			continue
		}
		if isRefusal(err) {
			return &store.TicketError{Index: i, PortID: ports[i].PortID, Err: err}
		}
		return fmt.Errorf("check ticket port[%d]: %w", i, err)
	}
	return nil
}

// isRefusal reports whether err refuses a credential, as opposed to
// failing to check it.
func isRefusal(err error) bool {
	for _, e := range []error{store.ErrUnauthorized, store.ErrTransferred, store.ErrInsufficientScope, store.ErrBusy} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
