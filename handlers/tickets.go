package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tincan-dev/tincan/store"
)

// Defaults of the tickets.
const (
	// DefaultTicketTTL is how long a stream ticket, or a message ticket,
	// stays usable.
	DefaultTicketTTL = time.Minute
	// DefaultMaxTicketPorts bounds the ports one ticket (and so one event
	// stream) may serve, the path's port included.
	DefaultMaxTicketPorts = 16
)

// ticketParam is the query parameter that carries a ticket: a stream
// ticket on GET /ports/{id}/events, a message ticket on the raw body of a
// message.
const ticketParam = "ticket"

// ticketRequest asks for a ticket covering more ports than the path's:
// the same entries as a transfer list.
type ticketRequest struct {
	Ports []transferEntry `json:"ports"`
}

// ticketJSON is a freshly issued ticket. EventsURL is the path (with the
// ticket) that opens the stream, ready for `new EventSource`.
type ticketJSON struct {
	Ticket    string    `json:"ticket"`
	Ports     []string  `json:"ports"`
	ExpiresAt time.Time `json:"expires_at"`
	EventsURL string    `json:"events_url"`
}

// handleTicketIssue gives the holder of a port a short-lived, single-use
// ticket that opens the port's event stream (with the ports listed in the
// body as well) without putting a token in the URL: a browser's
// EventSource cannot send an Authorization header.
func (s *Server) handleTicketIssue(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	req, err := s.readTicketRequest(w, r)
	if err != nil {
		return err
	}
	if n := 1 + len(req.Ports); n > s.cfg.MaxTicketPorts {
		return badRequest("A ticket may serve at most %d ports, the path's port included; this asks for %d.", s.cfg.MaxTicketPorts, n)
	}
	ports := []store.Credentials{c}
	seen := map[string]bool{c.PortID: true}
	for i, e := range req.Ports {
		if seen[e.Port] {
			return badRequest(`Entry %d of "ports" names a port the ticket has already (the path's port is always in it).`, i)
		}
		seen[e.Port] = true
		ports = append(ports, store.Credentials{PortID: e.Port, Token: e.Token})
	}
	t, err := s.store.IssueTicket(r.Context(), ports, s.cfg.TicketTTL)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return encode(w, http.StatusCreated, ticketJSON{
		Ticket:    t.Secret,
		Ports:     t.Ports,
		ExpiresAt: t.ExpiresAt.UTC(),
		EventsURL: "/ports/" + c.PortID + "/events?" + ticketParam + "=" + url.QueryEscape(t.Secret),
	})
}

// readTicketRequest reads the optional body of a ticket request: nothing
// at all (or only white space) asks for the path's port alone.
func (s *Server) readTicketRequest(w http.ResponseWriter, r *http.Request) (ticketRequest, error) {
	// Room for the most entries allowed, each a port id and a long token
	// with their quoting, and some white space.
	limit := int64(s.cfg.MaxTicketPorts)*256 + 1024
	body, err := readBody(w, r, limit)
	if err != nil {
		return ticketRequest{}, readError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return ticketRequest{}, nil
	}
	return decodeJSON[ticketRequest](body, s.cfg.MaxJSONDepth)
}

// streamCredentials returns the ports an event stream serves: the path's
// port with the caller's token, or, with ?ticket=, the ports the ticket
// stands for, in its order. The ticket is used up here. A ticket is a
// credential of its own: with a token as well, the request is refused, so
// that it is never unclear which one was used.
func (s *Server) streamCredentials(r *http.Request) ([]store.Credentials, error) {
	q := r.URL.Query()
	if !q.Has(ticketParam) {
		c, err := credentials(r)
		if err != nil {
			return nil, err
		}
		return []store.Credentials{c}, nil
	}
	if r.Header.Get("Authorization") != "" || q.Has(accessTokenParam) {
		return nil, badRequest("Give a ticket or a token (Authorization or access_token), not both.")
	}
	portID, ticket := chi.URLParam(r, "id"), q.Get(ticketParam)
	if ticket == "" || !store.ValidID(portID) {
		return nil, fmt.Errorf("ticket for port %q: %w", portID, store.ErrTicketInvalid)
	}
	return s.store.RedeemTicket(r.Context(), portID, ticket)
}

// messageTicketRequest is the body of a message ticket request: it may be
// left out, or be an object with no member, so that a ticket's lifetime,
// say, could be asked for later.
type messageTicketRequest struct{}

// messageTicketJSON is a freshly issued message ticket. URL is the path
// (with the ticket) of the message's raw body, ready for an <img src>.
type messageTicketJSON struct {
	Ticket    string    `json:"ticket"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// handleMessageTicketIssue gives the holder of a port a short-lived ticket
// to one message queued there: it opens the message's raw body
// (handleMessageBody) any number of times until it expires, for a client
// that cannot send an Authorization header (an <img>, a <video>, a
// download link) and must not put the port's token in a URL.
func (s *Server) handleMessageTicketIssue(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r, 1024)
	if err != nil {
		return readError(err)
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if _, err := decodeJSON[messageTicketRequest](body, s.cfg.MaxJSONDepth); err != nil {
			return err
		}
	}
	id := messageID(r)
	t, err := s.store.IssueMessageTicket(r.Context(), c, id, s.cfg.TicketTTL)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return encode(w, http.StatusCreated, messageTicketJSON{
		Ticket:    t.Secret,
		URL:       messageBodyPath(c.PortID, id) + "?" + ticketParam + "=" + url.QueryEscape(t.Secret),
		ExpiresAt: t.ExpiresAt.UTC(),
	})
}

// messageBodyPath is the path of the raw body of the message id at the
// port portID.
func messageBodyPath(portID string, id store.EventID) string {
	return "/ports/" + portID + "/messages/" + id.String() + "/body"
}

// messageID is the message id of the path. A malformed one is the zero
// EventID, which names no message: the store answers it as it does an
// unknown one (store.ErrMessageNotFound, or store.ErrTicketInvalid for a
// ticket), after it has checked the credentials, so that the answer to a
// wrong token never depends on the id.
func messageID(r *http.Request) store.EventID {
	id, err := store.ParseEventID(chi.URLParam(r, "message_id"))
	if err != nil {
		return store.EventID{}
	}
	return id
}

// messageCredentials returns the credentials and the message id of a
// request for a message's raw body: the path's port with the caller's
// token, or, with ?ticket=, the credentials the message ticket stands for,
// if it was issued for this port and this message. The ticket is not used
// up. As on the event stream, a ticket with a token as well is refused.
func (s *Server) messageCredentials(r *http.Request) (store.Credentials, store.EventID, error) {
	id := messageID(r)
	q := r.URL.Query()
	if !q.Has(ticketParam) {
		c, err := credentials(r)
		return c, id, err
	}
	if r.Header.Get("Authorization") != "" || q.Has(accessTokenParam) {
		return store.Credentials{}, id, badRequest("Give a ticket or a token (Authorization or access_token), not both.")
	}
	portID, ticket := chi.URLParam(r, "id"), q.Get(ticketParam)
	if ticket == "" || !store.ValidID(portID) {
		return store.Credentials{}, id, fmt.Errorf("message ticket for port %q: %w: %w", portID, errMessageTicketInvalid, store.ErrTicketInvalid)
	}
	c, err := s.store.RedeemMessageTicket(r.Context(), portID, id, ticket)
	if errors.Is(err, store.ErrTicketInvalid) {
		err = fmt.Errorf("%w: %w", errMessageTicketInvalid, err)
	}
	return c, id, err
}
