package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tincan-dev/tincan/store"
)

// Defaults of the stream tickets.
const (
	// DefaultTicketTTL is how long a stream ticket stays usable.
	DefaultTicketTTL = time.Minute
	// DefaultMaxTicketPorts bounds the ports one ticket (and so one event
	// stream) may serve, the path's port included.
	DefaultMaxTicketPorts = 16
)

// ticketParam is the query parameter of GET /ports/{id}/events that
// carries a stream ticket.
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
