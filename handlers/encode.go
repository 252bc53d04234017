package handlers

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"unicode/utf8"

	"github.com/tincan-dev/tincan/store"
)

// encode answers with v as JSON. It fails only when v cannot be encoded;
// once the status is sent there is nothing left to do about a failed write
// (the client went away), so that is not reported.
func encode[T any](w http.ResponseWriter, status int, v T) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

// writePosted answers a post: 201 and postResponse, byte for byte as
// encode writes it, but without reflection or a buffer of its own, since
// every message pays for it.
func writePosted(w http.ResponseWriter, id store.EventID) {
	var room [64]byte
	b := append(room[:0], `{"id":"`...)
	b, _ = id.AppendText(b) // never fails
	b = append(b, "\"}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b)
}

// writeJSON writes v as one line of JSON. HTML characters are left alone:
// message data goes out byte for byte as it came in, and nobody renders
// these answers as HTML.
func writeJSON(w io.Writer, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// marshal is json.Marshal without HTML escaping, ending in a newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return buf.Bytes(), nil
}

// decode reads the request body, at most limit bytes, as one JSON value of
// type T, strictly: bytes that are not UTF-8, an unknown field (also one
// that differs from a known one only in case), a field given twice, a
// wrong type, nesting deeper than maxDepth, or anything after the value is
// an invalid_request; a body over limit is payload_too_large.
func decode[T any](w http.ResponseWriter, r *http.Request, limit int64, maxDepth int) (T, error) {
	body, err := readBody(w, r, limit)
	if err != nil {
		var v T
		return v, decodeError(err)
	}
	return decodeJSON[T](body, maxDepth)
}

// decodeJSON is decode for a body already read.
func decodeJSON[T any](body []byte, maxDepth int) (T, error) {
	var v T
	// JSON is UTF-8 (RFC 8259); encoding/json would keep invalid bytes
	// inside a raw value and hand them on to the receiver.
	if !utf8.Valid(body) {
		return v, badRequest("The body must be valid UTF-8.")
	}
	if !checkDepth(body, maxDepth) {
		return v, badRequest("The body nests arrays and objects more than %d deep.", maxDepth)
	}
	if err := exactNames(body, reflect.TypeFor[T]()); err != nil {
		return v, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return v, decodeError(err)
		}
		return v, badRequest("The body holds more than one JSON value.")
	}
	return v, nil
}

// bodyHintCap bounds the buffer readBody sizes from Content-Length alone,
// before the bytes arrive: a client declaring a large body and sending it
// slowly must not make the server hold much more than it has been sent.
const bodyHintCap = 16 << 10

// readBody reads the whole request body, at most limit bytes (more is a
// *http.MaxBytesError), as io.ReadAll would, but into a buffer sized from
// Content-Length (up to bodyHintCap): io.ReadAll starts at 512 bytes, too
// many for a short message and growing by copying for a long one.
//
// A body whose Content-Length is over limit is refused before a byte of it
// is read. net/http answers a client that sent Expect: 100-continue with
// 100 Continue only when the body is first read, so such a client hears
// the refusal at once and never sends the body, and its connection is
// closed rather than kept waiting for it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		if expectsContinue(r) {
			stopReading(w, r)
		}
		return nil, &http.MaxBytesError{Limit: limit}
	}
	size := int64(512)
	if r.ContentLength >= 0 {
		// One byte more, so that the read that finds the end needs no
		// growth.
		size = min(r.ContentLength, limit, bodyHintCap) + 1
	}
	body := make([]byte, 0, size)
	rd := http.MaxBytesReader(w, r.Body, limit)
	for {
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)]
		}
		n, err := rd.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			return body, nil
		}
		if err != nil {
			return body, err
		}
	}
}

// decodeError turns what encoding/json reports into an error for the
// client, saying where the body went wrong without echoing it.
func decodeError(err error) error {
	var maxBytes *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxBytes):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errRequestTimeout
	case errors.Is(err, io.EOF):
		return badRequest("The body is empty; a JSON object is required.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("The body ends in the middle of a JSON value.")
	case errors.As(err, &syntax):
		return badRequest("The body is not valid JSON (at byte %d).", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("The body must be a JSON object.")
		}
		return badRequest("Field %q must be a JSON %s.", typ.Field, jsonKind(typ.Type))
	case errors.Is(err, store.ErrInvalid):
		return badRequest("The body holds a malformed event id.")
	}
	if field, ok := unknownField(err); ok {
		return badRequest("The body has an unknown field %s.", field)
	}
	// What is left comes from a field's own decoder (a malformed event
	// id, say) or from reading the body.
	return badRequest("The body has an invalid value.")
}

// unknownField recognises encoding/json's unknown-field error, which has
// no type of its own.
func unknownField(err error) (string, bool) {
	const prefix = "json: unknown field "
	msg := err.Error()
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):], true
	}
	return "", false
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "string"
	}
	switch t.Kind().String() {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	}
	return "value of another type"
}
