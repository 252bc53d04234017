package handlers

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"

	"github.com/tincan-dev/tincan/store"
)

// postRequest is the JSON body of a post: postMessage(data, transfer).
type postRequest struct {
	// Data is required; JSON null is a value like any other.
	Data     messageData     `json:"data"`
	Transfer []transferEntry `json:"transfer"`
}

// transferEntry lists a port to hand over with a message, with the
// sender's token for it.
type transferEntry struct {
	Port  string `json:"port"`
	Token string `json:"token"`
}

// readMessage reads a post's or a broadcast's body and makes it a message
// (see outgoing), returning the body as sent too, read once, for an
// idempotency key's fingerprint. A body that cannot be read (cut short, too
// slow, too large) is reported by readError, but a JSON body under no key
// (keyed false) by decodeError, which says "ends in the middle of a JSON
// value" for one cut short.
func (s *Server) readMessage(w http.ResponseWriter, r *http.Request, keyed bool) (store.Outgoing, []byte, error) {
	contentType := r.Header.Get("Content-Type")
	body, err := readBody(w, r, s.cfg.MaxMessageSize)
	switch {
	case err == nil:
	case isJSON(contentType) && !keyed:
		return store.Outgoing{}, nil, decodeError(err)
	default:
		return store.Outgoing{}, nil, readError(err)
	}
	msg, err := s.outgoing(contentType, body)
	return msg, body, err
}

// outgoing makes a post's or a broadcast's body a message: it is the one
// place that says what such a body may be, by its Content-Type. With
// application/json it is a postRequest; with any other type, or none, the
// body is text, the data a JSON string, so that `curl -d hello` posts
// "hello".
func (s *Server) outgoing(contentType string, body []byte) (store.Outgoing, error) {
	switch {
	case isJSON(contentType):
		return s.jsonMessage(body)
	default:
		return textMessage(body)
	}
}

// jsonMessage is a JSON body's message: the postRequest it holds, decoded
// strictly (see decodeJSON), within the bounds of a message.
func (s *Server) jsonMessage(body []byte) (store.Outgoing, error) {
	req, err := decodeJSON[postRequest](body, s.cfg.MaxJSONDepth)
	if err != nil {
		return store.Outgoing{}, err
	}
	if len(req.Transfer) > s.cfg.MaxTransfer {
		return store.Outgoing{}, badRequest("The transfer list holds %d ports; at most %d may go with one message.", len(req.Transfer), s.cfg.MaxTransfer)
	}
	if len(req.Data) == 0 {
		return store.Outgoing{}, badRequest(`Field "data" is required (it may be null).`)
	}
	// The data is compact (see readShape): it fits on one SSE data line
	// as it is.
	msg := store.Outgoing{Data: []byte(req.Data)}
	for _, t := range req.Transfer {
		msg.Transfer = append(msg.Transfer, store.Credentials{PortID: t.Port, Token: t.Token})
	}
	return msg, nil
}

// textMessage is a text body's message: the text, which must be UTF-8, as
// a JSON string.
func textMessage(body []byte) (store.Outgoing, error) {
	if !utf8.Valid(body) {
		return store.Outgoing{}, badRequest("A text body must be valid UTF-8.")
	}
	data, err := json.Marshal(string(body), encodeOptions)
	if err != nil {
		return store.Outgoing{}, err
	}
	return store.Outgoing{Data: data}, nil
}

// isJSON reports whether a Content-Type is application/json, with or
// without parameters.
func isJSON(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), "application/json")
}

// readError tells a body over the limit from a body that could not be read.
func readError(err error) error {
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return err
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errRequestTimeout
	}
	return badRequest("The body could not be read.")
}
