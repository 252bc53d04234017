package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/tincan-dev/tincan/store"
)

// Errors of the HTTP layer itself. Handlers return them (or store errors);
// writeError turns every one into a problem response.
var (
	errNotFound         = errors.New("no such route")
	errMethodNotAllowed = errors.New("method not allowed")
	errTooLarge         = errors.New("request body too large")
	errInvalidRequest   = errors.New("invalid request")
	errInvalidTransfer  = errors.New("transfer list refused")
	// errKeyRequired refuses a request that may only be made under an
	// Idempotency-Key (a transfer: its lost answer would lose the port).
	errKeyRequired = errors.New("idempotency key required")
	// errContentTypeRequired refuses a post without a Content-Type: its
	// body could be JSON, text or bytes, and guessing would store one as
	// another.
	errContentTypeRequired = errors.New("content type required")
	// errInvalidContentType refuses a binary message whose content type
	// (the Content-Type of a post, or a JSON post's content_type) is not
	// one a message may keep (store.ValidContentType).
	errInvalidContentType = errors.New("invalid content type")
	// errMessageTicketInvalid refuses a message ticket (it wraps
	// store.ErrTicketInvalid), so that the answer says which kind of
	// ticket to get again.
	errMessageTicketInvalid = errors.New("invalid message ticket")
)

// requestError is a 400 whose detail, written for the client, says what
// was wrong with the request.
type requestError struct{ detail string }

func (e *requestError) Error() string { return "invalid request: " + e.detail }

func (e *requestError) Is(target error) bool { return target == errInvalidRequest }

// badRequest returns an invalid_request error with a detail for the
// client. The detail must not quote anything internal.
func badRequest(format string, args ...any) error {
	return &requestError{detail: fmt.Sprintf(format, args...)}
}

// problemKind is one row of the error table.
type problemKind struct {
	err    error
	status int
	code   string
	title  string
	detail string
}

// problemKinds is the one mapping from errors to HTTP answers. The first
// row whose err matches (errors.Is) wins, so more specific rows come first;
// an error that matches none is an internal error.
var problemKinds = []problemKind{
	{errInvalidRequest, http.StatusBadRequest, "invalid_request", "Invalid request", "The request is malformed."},
	{errKeyRequired, http.StatusBadRequest, "idempotency_key_required", "Idempotency key required", "This request must carry an Idempotency-Key header: a fresh random key (a UUID, say), sent again unchanged with every retry of the request, so that a retry whose first answer was lost gets that answer instead of a refusal."},
	{store.ErrInvalid, http.StatusBadRequest, "invalid_request", "Invalid request", "An event id in the request is malformed or after the newest message at the port."},
	{errCreateUnauthorized, http.StatusUnauthorized, "unauthorized", "Unauthorized", "Creating a channel needs valid credentials: an API key or a JWT in the Authorization header (Bearer)."},
	{errQueryToken, http.StatusUnauthorized, "unauthorized", "Unauthorized", "This server does not accept tokens in the URL (access_token); send the token in the Authorization header (Bearer)."},
	{errMessageTicketInvalid, http.StatusUnauthorized, "invalid_ticket", "Invalid ticket", "The message ticket is unknown, expired, or for another port or message; get a new one (POST /ports/{id}/messages/{message_id}/tickets)."},
	{store.ErrTicketInvalid, http.StatusUnauthorized, "invalid_ticket", "Invalid ticket", "The ticket is unknown, used, expired or for another port; get a new one (POST /ports/{id}/tickets)."},
	{errCollectionUnauthorized, http.StatusUnauthorized, "unauthorized", "Unauthorized", "A valid bearer token for this collection is required."},
	{store.ErrUnauthorized, http.StatusUnauthorized, "unauthorized", "Unauthorized", "A valid bearer token for this port is required."},
	{store.ErrTransferred, http.StatusForbidden, "port_transferred", "Port transferred", "The port has been transferred; this token no longer works."},
	{store.ErrInsufficientScope, http.StatusForbidden, "insufficient_scope", "Insufficient scope", "This token's scope does not allow this operation on the port."},
	{errNotFound, http.StatusNotFound, "not_found", "Not found", "There is no such resource."},
	{store.ErrTokenNotFound, http.StatusNotFound, "not_found", "Not found", "The port has no scoped token with this id."},
	{store.ErrMemberNotFound, http.StatusNotFound, "not_found", "Not found", "The port is not a member of this collection."},
	{store.ErrMessageNotFound, http.StatusNotFound, "message_not_found", "Message not found", "No message with this id is queued at the port: it was acknowledged (and so deleted), or never there."},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed", "The resource does not support this method."},
	{store.ErrBusy, http.StatusConflict, "port_busy", "Port busy", "The port is being moved; retry shortly."},
	{store.ErrTooManyMembers, http.StatusConflict, "too_many_members", "Too many members", "The collection has as many members as it may (MAX_COLLECTION_MEMBERS); remove one first."},
	{store.ErrTooManyTokens, http.StatusConflict, "too_many_tokens", "Too many tokens", "The port has as many scoped tokens as it may; revoke one first."},
	{store.ErrInFlight, http.StatusConflict, "idempotency_in_flight", "Request in flight", "A request with this Idempotency-Key is still being carried out; retry shortly for its answer."},
	{store.ErrClosed, http.StatusGone, "port_closed", "Port closed", "The port's channel is closed."},
	{errPreconditionFailed, http.StatusPreconditionFailed, "precondition_failed", "Precondition failed", "The message's body is not the one named by If-Match."},
	{errRequestTimeout, http.StatusRequestTimeout, "request_timeout", "Request timeout", "The request body did not arrive in time."},
	{errTooLarge, http.StatusRequestEntityTooLarge, "payload_too_large", "Payload too large", "The request body is larger than the server accepts."},
	{store.ErrBroadcastTooLarge, http.StatusRequestEntityTooLarge, "broadcast_too_large", "Broadcast too large", "The collection's members times the message's bytes are more than one broadcast may store (MAX_BROADCAST_BYTES); nothing was stored. Send a smaller message, or broadcast to fewer members."},
	{errContentTypeRequired, http.StatusUnsupportedMediaType, "content_type_required", "Content-Type required", "A post must say what its body is with a Content-Type header: application/json for a JSON post object, text/plain for text, or the media type of bytes (application/octet-stream when no other fits); nothing was stored."},
	{errInvalidContentType, http.StatusUnsupportedMediaType, "invalid_content_type", "Invalid content type", "The content type of a binary message must be a media type (type/subtype, with parameters or not) of at most 255 printable ASCII characters; nothing was stored."},
	{errRangeNotSatisfiable, http.StatusRequestedRangeNotSatisfiable, "range_not_satisfiable", "Range not satisfiable", "The Range asked for is malformed or starts past the end of the message's body; Content-Range gives the body's length."},
	{errInvalidTransfer, http.StatusUnprocessableEntity, "invalid_transfer", "Invalid transfer", "A port in the transfer list cannot be transferred."},
	{errInvalidMember, http.StatusUnprocessableEntity, "invalid_member", "Invalid member", "The port cannot be added: the token given with it does not allow posting through it, or its channel is closed."},
	{store.ErrKeyReused, http.StatusUnprocessableEntity, "idempotency_key_reused", "Idempotency key reused", "This Idempotency-Key was already used for a different request."},
	{errMessageUndecodable, http.StatusUnprocessableEntity, "message_undecodable", "Message undecodable", "The message is queued but could not be decoded (it is corrupt, or was written by a newer version of the service), so it has no body to answer; streams and long polls deliver it as a message error. Acknowledge it to delete it."},
	{errTooManyStreams, http.StatusTooManyRequests, "too_many_streams", "Too many streams", "Too many event streams are open on this port, or event streams and waiting long polls from this address; close one or retry later."},
	{errTooManyConnections, http.StatusTooManyRequests, "too_many_connections", "Too many connections", "Too many connections or requests are open at once from this address (MAX_CONNECTIONS_PER_CLIENT); close one or retry after Retry-After seconds."},
	{errRateLimited, http.StatusTooManyRequests, "rate_limited", "Rate limited", "Too many requests from this address or with this credential; retry after Retry-After seconds."},
	{store.ErrQueueBytesFull, http.StatusTooManyRequests, "queue_full", "Queue full", "The receiving port's queue has no room for this message's bytes (MAX_QUEUE_BYTES); retry once it has been read and acknowledged."},
	{store.ErrQueueFull, http.StatusTooManyRequests, "queue_full", "Queue full", "The receiving port's queue is full; retry once it has been read."},
	{errServerBusy, http.StatusServiceUnavailable, "server_busy", "Server busy", "The server is handling as many bytes of messages at once as it may (MAX_INFLIGHT_BYTES); nothing was done. Retry after Retry-After seconds."},
	{store.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "Service unavailable", "The store could not be reached or did not answer in time, so whether the request took effect is unknown. Retry shortly, with the same Idempotency-Key."},
}

// problemTypeBase starts every problem's type: a reference, relative to
// the server, to the section of the error documentation (GET
// /docs/errors) that explains the code.
const problemTypeBase = "/docs/errors#"

// internalError answers everything the table does not know.
var internalError = problemKind{nil, http.StatusInternalServerError, "internal_error", "Internal error", "Something went wrong on our side."}

// problem is an RFC 9457 problem details object.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`

	// The refused entry of a transfer list (invalid_transfer only).
	TransferIndex *int   `json:"transfer_index,omitempty"`
	Port          string `json:"port,omitempty"`
	Reason        string `json:"reason,omitempty"`
	// The refused member's problem, as the port's own routes would
	// answer it (invalid_member only; port names the member).
	MemberCode string `json:"member_code,omitempty"`
}

// classify returns the row of the error table for err.
func classify(err error) problemKind {
	var tooLarge *http.MaxBytesError
	var refused *store.TransferError
	var member *store.MemberError
	switch {
	case errors.As(err, &tooLarge):
		err = errTooLarge
	case errors.As(err, &member) && !errors.Is(err, store.ErrBusy) && !errors.Is(err, store.ErrUnavailable):
		// The member's credentials were refused, not the caller's: a
		// 401 would blame the collection's token. A busy port stays
		// port_busy, worth a retry.
		err = errInvalidMember
	case errors.As(err, &refused) && refused.Reason != store.RefusedBusy:
		// A busy port is worth a retry, so it stays port_busy (the
		// TransferError unwraps to store.ErrBusy); the other refusals
		// will not change by retrying.
		err = errInvalidTransfer
	}
	for _, k := range problemKinds {
		if errors.Is(err, k.err) {
			return k
		}
	}
	return internalError
}

// writeError answers a request with the problem for err, and logs what the
// client is not told.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away; there is nobody to answer.
		s.logger.DebugContext(r.Context(), "request canceled", "path", s.loggedPath(r), "err", err)
		return
	}
	k := classify(err)
	s.metrics.problems.WithLabelValues(k.code).Inc()
	p := problem{
		Type:   problemTypeBase + k.code,
		Title:  k.title,
		Status: k.status,
		Detail: k.detail,
		Code:   k.code,
	}
	var re *requestError
	if errors.As(err, &re) {
		p.Detail = re.detail
	}
	var refused *store.TransferError
	if errors.As(err, &refused) {
		// Busy refusals are port_busy but name the entry all the same.
		p.TransferIndex, p.Port, p.Reason = &refused.Index, refused.PortID, string(refused.Reason)
		p.Detail = fmt.Sprintf("Entry %d of the transfer list was refused: %s.", refused.Index, refused.Reason)
	}
	var member *store.MemberError
	if errors.As(err, &member) {
		p.Port = member.PortID
		if k.code == "invalid_member" {
			// The member's refusal as the problem code it would have on
			// the port's own routes.
			p.MemberCode = classify(member.Err).code
			p.Detail = fmt.Sprintf("Port %s was refused: %s", member.PortID, classify(member.Err).detail)
		}
	}
	var refusedTicket *store.TicketError
	if errors.As(err, &refusedTicket) && refusedTicket.Index > 0 {
		// Entry 0 of the store's list is the path's port; the body's
		// entries follow it.
		p.Detail = fmt.Sprintf(`Entry %d of "ports" was refused: %s`, refusedTicket.Index-1, k.detail)
	}

	switch k.status {
	case http.StatusInternalServerError:
		s.logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", s.loggedPath(r), "err", err)
	case http.StatusServiceUnavailable:
		what := "store unavailable"
		if errors.Is(err, errServerBusy) {
			what = "server busy"
		}
		s.logger.WarnContext(r.Context(), what, "method", r.Method, "path", s.loggedPath(r), "err", err)
	default:
		s.logger.DebugContext(r.Context(), "request refused", "method", r.Method, "path", s.loggedPath(r), "code", k.code, "err", err)
	}

	h := w.Header()
	switch k.status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="tincan"`)
	case http.StatusConflict, http.StatusTooManyRequests, http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
	var limited *rateLimitedError
	if errors.As(err, &limited) {
		h.Set("Retry-After", limited.retryAfterSeconds())
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(k.status)
	if err := writeJSON(w, p); err != nil {
		s.logger.DebugContext(r.Context(), "write problem", "err", err)
	}
}

// handle adapts a handler that returns an error to an http.HandlerFunc.
// Handlers return an error instead of answering it, so that every error is
// answered in one place, the same way.
func (s *Server) handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// slogErr is a log attribute for an error.
func slogErr(err error) slog.Attr { return slog.Any("err", err) }

// handleNotFound answers routes that do not exist.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	return errNotFound
}

// probeMethods are the methods whose routes a 405 lists in Allow.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// handleMethodNotAllowed answers a route that exists with a method it does
// not have, listing the methods it has in Allow. chi also calls it for a
// method it does not know (BREW) on any path; on a path no route has,
// that is a 404 like any other method's.
func (s *Server) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	found := false
	for _, m := range probeMethods {
		if s.router.Match(chi.NewRouteContext(), m, r.URL.Path) {
			w.Header().Add("Allow", m)
			found = true
		}
	}
	if !found {
		return errNotFound
	}
	return errMethodNotAllowed
}
