package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Ticket is a short-lived credential standing for one or more ports'
// credentials, so that a client that cannot send headers (a browser's
// EventSource, an <img>) need not put a long-lived token in a URL. A
// stream ticket (Store.IssueTicket) works once; a message ticket
// (Store.IssueMessageTicket) works for one message of one port, any
// number of times, until it expires.
type Ticket struct {
	// Secret is what the client presents: a fresh NewToken. The store
	// keeps neither it nor the credentials it stands for in usable form.
	Secret string
	// Ports are the ids of the ports the ticket stands for, in the order
	// given; the first is the one the ticket is presented for.
	Ports []string
	// ExpiresAt is when the ticket stops working.
	ExpiresAt time.Time
}

// ErrTicketInvalid: the ticket is unknown, used up, expired, or another
// port's or (a message ticket) another message's.
var ErrTicketInvalid = errors.New("invalid ticket")

// TicketError refuses one of the credentials a ticket was asked for.
type TicketError struct {
	// Index is the position of the refused entry in the list given.
	Index int
	// PortID is the refused entry's port id, as given.
	PortID string
	// Err says why: it wraps ErrUnauthorized, ErrTransferred,
	// ErrInsufficientScope or ErrBusy.
	Err error
}

func (e *TicketError) Error() string {
	return fmt.Sprintf("ticket port[%d] (port %q): %v", e.Index, e.PortID, e.Err)
}

// Unwrap returns why the entry was refused.
func (e *TicketError) Unwrap() error { return e.Err }

// Labels that keep the derivations of one ticket secret apart, and a
// stream ticket's apart from a message ticket's: a secret presented as the
// other kind names a record that does not exist.
const (
	ticketIndexLabel         = "tincan ticket: record for port\x00"
	ticketSealedLabel        = "tincan ticket: credentials key"
	messageTicketIndexLabel  = "tincan message ticket: record for port and message\x00"
	messageTicketSealedLabel = "tincan message ticket: credentials key"
)

// CheckTicketRequest refuses, with ErrInvalid, what no store issues a
// ticket for: no ports, a port listed twice, a ttl under a millisecond
// (the finest expiry Redis keeps).
func CheckTicketRequest(ports []Credentials, ttl time.Duration) error {
	if len(ports) == 0 {
		return fmt.Errorf("ticket for no port: %w", ErrInvalid)
	}
	if err := CheckTicketTTL(ttl); err != nil {
		return err
	}
	seen := make(map[string]int, len(ports))
	for i, c := range ports {
		if j, dup := seen[c.PortID]; dup {
			return fmt.Errorf("ticket ports[%d] and [%d] are both port %q: %w", j, i, c.PortID, ErrInvalid)
		}
		seen[c.PortID] = i
	}
	return nil
}

// CheckTicketTTL refuses, with ErrInvalid, a ticket lifetime under a
// millisecond (the finest expiry Redis keeps).
func CheckTicketTTL(ttl time.Duration) error {
	if ttl < time.Millisecond {
		return fmt.Errorf("ticket ttl %v: %w", ttl, ErrInvalid)
	}
	return nil
}

// NewTicket returns a ticket for ports, with a fresh secret, expiring ttl
// after now.
func NewTicket(ports []Credentials, now time.Time, ttl time.Duration) Ticket {
	ids := make([]string, len(ports))
	for i, c := range ports {
		ids[i] = c.PortID
	}
	return Ticket{Secret: NewToken(), Ports: ids, ExpiresAt: now.Add(ttl).UTC()}
}

// TicketIndex names the record of a ticket presented for the port portID:
// an HKDF derivation of the secret and the port, so that a ticket presented
// for another port names a record that does not exist, and finding it
// there uses nothing up. It is distinct from the sealing key (see
// SealTicket), so the name does not open the record.
func TicketIndex(portID, secret string) string {
	return deriveName(secret, ticketIndexLabel+portID)
}

// SealTicket encrypts the credentials a ticket stands for, for its record
// (named TicketIndex(t.Ports[0], t.Secret)). They hold working tokens,
// which the stores otherwise keep only as hashes: the record is AES-256-GCM
// under a key derived from the ticket's secret, which the store never
// keeps, with the record's name as additional data, so only the ticket's
// holder can open it and a sealed record cannot be moved to another name.
func SealTicket(t Ticket, ports []Credentials) ([]byte, error) {
	plain, err := json.Marshal(ports)
	if err != nil {
		return nil, err
	}
	return seal(t.Secret, ticketSealedLabel, plain, []byte(TicketIndex(t.Ports[0], t.Secret)))
}

// OpenTicket decrypts the record of the ticket secret presented for the
// port portID, as SealTicket made it.
func OpenTicket(portID, secret string, sealed []byte) ([]Credentials, error) {
	plain, err := unseal(secret, ticketSealedLabel, sealed, []byte(TicketIndex(portID, secret)))
	if err != nil {
		return nil, fmt.Errorf("ticket record: %w", err)
	}
	var ports []Credentials
	if err := json.Unmarshal(plain, &ports); err != nil {
		return nil, fmt.Errorf("sealed ticket record: %w", err)
	}
	return ports, nil
}

// NewMessageTicket returns a ticket for a message at the port portID, with
// a fresh secret, expiring ttl after now.
func NewMessageTicket(portID string, now time.Time, ttl time.Duration) Ticket {
	return Ticket{Secret: NewToken(), Ports: []string{portID}, ExpiresAt: now.Add(ttl).UTC()}
}

// MessageTicketIndex names the record of a message ticket presented for
// the message id at the port portID: an HKDF derivation of the secret, the
// port and the message, so that the ticket presented for any other port or
// message names a record that does not exist. It is distinct from the
// sealing key (see SealMessageTicket), so the name does not open the
// record.
func MessageTicketIndex(portID string, id EventID, secret string) string {
	return deriveName(secret, messageTicketIndexLabel+portID+"\x00"+id.String())
}

// SealMessageTicket encrypts the credentials a message ticket for the
// message id stands for, for its record (named MessageTicketIndex(
// t.Ports[0], id, t.Secret)), as SealTicket does a stream ticket's: under a
// key derived from the secret, with the record's name as additional data.
func SealMessageTicket(t Ticket, id EventID, c Credentials) ([]byte, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return seal(t.Secret, messageTicketSealedLabel, plain, []byte(MessageTicketIndex(t.Ports[0], id, t.Secret)))
}

// OpenMessageTicket decrypts the record of the message ticket secret
// presented for the message id at the port portID, as SealMessageTicket
// made it.
func OpenMessageTicket(portID string, id EventID, secret string, sealed []byte) (Credentials, error) {
	plain, err := unseal(secret, messageTicketSealedLabel, sealed, []byte(MessageTicketIndex(portID, id, secret)))
	if err != nil {
		return Credentials{}, fmt.Errorf("message ticket record: %w", err)
	}
	var c Credentials
	if err := json.Unmarshal(plain, &c); err != nil {
		return Credentials{}, fmt.Errorf("sealed message ticket record: %w", err)
	}
	return c, nil
}
