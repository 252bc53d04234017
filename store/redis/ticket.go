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
	bctx, cancel := s.bound(ctx, 0)
	defer cancel()
	if err := s.client.Set(bctx, s.keys.ticket(t.Ports[0], t.Secret), sealed, ttl).Err(); err != nil {
		return store.Ticket{}, fmt.Errorf("issue ticket: %w", s.wrap(bctx, err))
	}
	return t, nil
}

// RedeemTicket takes the ticket's record with GETDEL, which is atomic:
// of any number of redeemers, on any number of instances, one gets it.
func (s *Store) RedeemTicket(ctx context.Context, portID, secret string) ([]store.Credentials, error) {
	bctx, cancel := s.bound(ctx, 0)
	defer cancel()
	sealed, err := s.client.GetDel(bctx, s.keys.ticket(portID, secret)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("port %q: %w", portID, store.ErrTicketInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("redeem ticket: %w", s.wrap(bctx, err))
	}
	ports, err := store.OpenTicket(portID, secret, sealed)
	if err != nil {
		return nil, fmt.Errorf("redeem ticket for port %q: %w", portID, err)
	}
	return ports, nil
}

// checkReaders returns nil when every credential may read its port, else a
// *store.TicketError for the first that may not. The checks go in one
// pipeline; a port a move holds is settled and checked again alone, as a
// read would be, in list order, so that the first refusal is the one
// reported.
func (s *Store) checkReaders(ctx context.Context, ports []store.Credentials) error {
	calls := make([]call, 0, len(ports))
	at := make([]int, len(ports)) // index in calls, or -1 for a non-id
	for i, c := range ports {
		ck, ok := s.keys.forPort(c.PortID)
		if !ok {
			at[i] = -1
			continue
		}
		at[i] = len(calls)
		calls = append(calls, call{script: s.scripts.check, keys: ck.list(), args: []any{c.PortID, store.HashToken(c.Token)}})
	}
	replies, errs := s.pipelined(ctx, calls)
	for i, c := range ports {
		if at[i] < 0 {
			return &store.TicketError{Index: i, PortID: c.PortID, Err: fmt.Errorf("port %q: %w", c.PortID, store.ErrUnauthorized)}
		}
		if err := errs[at[i]]; err != nil {
			return fmt.Errorf("check ticket port[%d]: %w", i, err)
		}
		r, err := asReply(replies[at[i]])
		if err != nil {
			return err
		}
		if r.status() == "locked" {
			_, err = s.portScript(ctx, s.scripts.check, c)
		} else if r.status() != "ok" {
			err = statusError(c.PortID, r.status())
		}
		if err != nil {
			if isRefusal(err) {
				return &store.TicketError{Index: i, PortID: c.PortID, Err: err}
			}
			return fmt.Errorf("check ticket port[%d]: %w", i, err)
		}
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
