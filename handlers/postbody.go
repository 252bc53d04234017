package handlers

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"

	"github.com/tincan-dev/tincan/store"
)

// postRequest is the JSON body of a post: postMessage(data, transfer), or,
// for bytes with ports (an ArrayBuffer and a MessagePort in one message),
// postMessage(bytes, transfer) with the bytes in base64.
type postRequest struct {
	// Data is a JSON message's data; JSON null is a value like any other.
	Data messageData `json:"data"`
	// Binary is a binary message's bytes, in standard base64 with padding
	// (RFC 4648, section 4), instead of Data.
	Binary *string `json:"binary"`
	// ContentType is Binary's media type; application/octet-stream when
	// left out.
	ContentType *string         `json:"content_type"`
	Transfer    []transferEntry `json:"transfer"`
}

// transferEntry lists a port to hand over with a message, with the
// sender's token for it.
type transferEntry struct {
	Port  string `json:"port"`
	Token string `json:"token"`
}

// bodyKind is what a post's body is, by its Content-Type (see postKind).
type bodyKind int

const (
	// jsonBody is a postRequest.
	jsonBody bodyKind = iota
	// textBody is UTF-8 text: the data is a JSON string.
	textBody
	// binaryBody is bytes, kept as they are with the Content-Type.
	binaryBody
)

// postKind is the one rule of what a post's or a broadcast's body is, by
// its Content-Type: a JSON media type (application/json, or any
// */*+json) is a postRequest; text/* and application/x-www-form-urlencoded
// (what curl -d sends) are text; any other type is bytes. A body without
// a Content-Type is refused (errContentTypeRequired) rather than guessed
// at, so that JSON is never kept as text, nor text as bytes, by a client
// that forgot the header.
func postKind(contentType string) (bodyKind, error) {
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.ToLower(strings.TrimSpace(mediaType))
	switch {
	case mediaType == "":
		return 0, errContentTypeRequired
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		return jsonBody, nil
	case strings.HasPrefix(mediaType, "text/") || mediaType == "application/x-www-form-urlencoded":
		return textBody, nil
	}
	return binaryBody, nil
}

// Room in a JSON post around a binary message's base64 (see maxPostBody):
// the members' names and punctuation, a content type (escaped, at worst),
// and each entry of a full transfer list.
const (
	postEnvelopeRoom  = 4 << 10
	transferEntryRoom = 256
)

// maxPostBody is the largest body a post of kind may have. Text and bytes
// are the message itself, bounded by MaxMessageSize. A JSON post has room
// for the base64 of a binary message of MaxMessageSize bytes and a full
// transfer list beside it, so that bytes sent with ports may be as large
// as bytes sent alone; the message it holds is bounded by MaxMessageSize
// once decoded (see jsonMessage).
func (s *Server) maxPostBody(kind bodyKind) int64 {
	if kind != jsonBody {
		return s.cfg.MaxMessageSize
	}
	return int64(base64.StdEncoding.EncodedLen(int(s.cfg.MaxMessageSize))) + postEnvelopeRoom + int64(s.cfg.MaxTransfer)*transferEntryRoom
}

// readMessage reads a post's or a broadcast's body and makes it a message
// (see outgoing), returning the body as sent too, read once, for an
// idempotency key's fingerprint. The Content-Type is judged first, before
// a byte is read. A body that cannot be read (cut short, too slow, too
// large) is reported by readError, but a JSON body under no key (keyed
// false) by decodeError, which says "ends in the middle of a JSON value"
// for one cut short.
func (s *Server) readMessage(w http.ResponseWriter, r *http.Request, keyed bool) (store.Outgoing, []byte, error) {
	contentType := r.Header.Get("Content-Type")
	kind, err := postKind(contentType)
	if err != nil {
		return store.Outgoing{}, nil, err
	}
	body, err := readBody(w, r, s.maxPostBody(kind))
	switch {
	case err == nil:
	case kind == jsonBody && !keyed:
		return store.Outgoing{}, nil, decodeError(err)
	default:
		return store.Outgoing{}, nil, readError(err)
	}
	msg, err := s.outgoing(kind, contentType, body)
	return msg, body, err
}

// outgoing makes a post's or a broadcast's body, of kind (see postKind), a
// message: it is the one place that says what such a body may hold.
func (s *Server) outgoing(kind bodyKind, contentType string, body []byte) (store.Outgoing, error) {
	switch kind {
	case jsonBody:
		return s.jsonMessage(body)
	case textBody:
		return textMessage(body)
	}
	ct, err := binaryContentType(contentType)
	if err != nil {
		return store.Outgoing{}, err
	}
	return store.Outgoing{ContentType: ct, Bytes: body}, nil
}

// jsonMessage is a JSON body's message: the postRequest it holds, decoded
// strictly (see decodeJSON), within the bounds of a message: its data, or
// its bytes, at most MaxMessageSize (the body may be larger, see
// maxPostBody).
func (s *Server) jsonMessage(body []byte) (store.Outgoing, error) {
	req, err := decodeJSON[postRequest](body, s.cfg.MaxJSONDepth)
	if err != nil {
		return store.Outgoing{}, err
	}
	if len(req.Transfer) > s.cfg.MaxTransfer {
		return store.Outgoing{}, badRequest("The transfer list holds %d ports; at most %d may go with one message.", len(req.Transfer), s.cfg.MaxTransfer)
	}
	var msg store.Outgoing
	switch {
	case req.Binary != nil && len(req.Data) > 0:
		return store.Outgoing{}, badRequest(`A message has "data" or "binary", not both.`)
	case req.Binary != nil:
		if msg, err = binaryField(*req.Binary, req.ContentType); err != nil {
			return store.Outgoing{}, err
		}
	case req.ContentType != nil:
		return store.Outgoing{}, badRequest(`Field "content_type" is the type of "binary", which is missing.`)
	case len(req.Data) == 0:
		return store.Outgoing{}, badRequest(`Field "data" is required (it may be null), or "binary" for bytes.`)
	default:
		// The data is compact (see readShape): it fits on one SSE data
		// line as it is.
		msg.Data = []byte(req.Data)
	}
	if msg.Size() > s.cfg.MaxMessageSize {
		return store.Outgoing{}, &http.MaxBytesError{Limit: s.cfg.MaxMessageSize}
	}
	for _, t := range req.Transfer {
		msg.Transfer = append(msg.Transfer, store.Credentials{PortID: t.Port, Token: t.Token})
	}
	return msg, nil
}

// binaryField is the binary message a JSON post's "binary" (standard
// base64, padded) and "content_type" (application/octet-stream when nil)
// stand for.
func binaryField(b64 string, contentType *string) (store.Outgoing, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return store.Outgoing{}, badRequest(`Field "binary" must be standard base64, with padding (RFC 4648, section 4).`)
	}
	ct := "application/octet-stream"
	if contentType != nil {
		if ct, err = binaryContentType(*contentType); err != nil {
			return store.Outgoing{}, err
		}
	}
	if b == nil {
		b = []byte{} // a binary message's bytes are never nil
	}
	return store.Outgoing{ContentType: ct, Bytes: b}, nil
}

// binaryContentType is the content type bytes are kept with: contentType
// as a media type in its canonical form (type, subtype and parameter names
// in lower case, parameters quoted only where they must be, as
// mime.FormatMediaType writes it), if it is one a message may keep
// (store.ValidContentType); else errInvalidContentType.
func binaryContentType(contentType string) (string, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("content type %q: %w: %w", contentType, errInvalidContentType, err)
	}
	ct := mime.FormatMediaType(mediaType, params)
	if !store.ValidContentType(ct) {
		return "", fmt.Errorf("content type %q: %w", contentType, errInvalidContentType)
	}
	return ct, nil
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
