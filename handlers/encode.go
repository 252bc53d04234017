package handlers

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/tincan-dev/tincan/store"
)

// Every JSON the package reads or writes goes through
// github.com/go-json-experiment/json, the module encoding/json/v2 came
// from: its decoder refuses what the strict rules refuse (a member given
// twice, an unknown one, a name in the wrong case, anything after the
// value), so that the package has no JSON scanner of its own, and both
// ways it is faster than encoding/json. The options below are the whole
// policy.

// encodeOptions write JSON byte for byte as encoding/json wrote every
// answer before (TestEncodeMatchesEncodingJSON holds them to it): U+2028
// and U+2029 escaped in strings, nil slices and maps as null, omitempty
// omitting only nil pointers (a reset's rewound_to may point to the zero
// id, written ""), map keys sorted, raw JSON (message data) with its
// strings as written and its names as the sender repeated them, and a
// string that is not UTF-8 written with U+FFFD for its bad bytes rather
// than refused. HTML characters are left alone: message data goes out as
// it came in, and nobody renders these answers as HTML.
var encodeOptions = json.JoinOptions(
	jsontext.EscapeForJS(true),
	jsontext.PreserveRawStrings(true),
	jsontext.AllowDuplicateNames(true),
	jsonv1.OmitEmptyWithLegacySemantics(true),
	json.FormatNilSliceAsNull(true),
	json.FormatNilMapAsNull(true),
	json.Deterministic(true),
	jsontext.AllowInvalidUTF8(true),
)

// decodeOptions decode a request body whose shape readShape has checked:
// an unknown member is refused, names match exactly (the default), and so
// is a member given twice (the default), except inside message data (see
// messageData). Bytes that are not UTF-8 are refused before (see
// decodeJSON); escaped lone surrogates ("\ud800") are let through, as
// encoding/json let them through, and become U+FFFD in a string.
var decodeOptions = json.JoinOptions(
	json.RejectUnknownMembers(true),
	jsontext.AllowInvalidUTF8(true),
)

// shapeOptions read and write the body's tokens in readShape without
// judging names (decodeOptions does, knowing which objects are message
// data) and without changing a string's or a number's text.
var shapeOptions = json.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
	jsontext.PreserveRawStrings(true),
)

// messageData is a message's data: JSON text that is the sender's own. A
// post's data may repeat a member's name, and is kept as sent, compact;
// delivered, it goes out byte for byte (encoding/json escaped U+2028 in
// its own strings but not inside raw data, and neither does this).
type messageData []byte

// dataOptions are what a message's data is read and written with, over
// the options of the body or answer around it.
var dataOptions = json.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.EscapeForJS(false),
)

// UnmarshalJSONFrom reads the data as it stands in the body, allowing
// repeated names: readShape has already checked it and made it compact.
func (d *messageData) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return json.UnmarshalDecode(dec, (*jsontext.Value)(d), dataOptions)
}

// MarshalJSONTo writes the data as stored, null when there is none. Its
// receiver is a pointer so that writing a message held by pointer copies
// nothing.
func (d *messageData) MarshalJSONTo(enc *jsontext.Encoder) error {
	switch {
	case *d == nil:
		return enc.WriteToken(jsontext.Null)
	case bytes.IndexByte(*d, 0xE2) < 0:
		// Without the first byte of U+2028 and U+2029 in UTF-8, the
		// answer's options write the data as dataOptions do, and cost
		// nothing to keep.
		return enc.WriteValue(jsontext.Value(*d))
	}
	return json.MarshalEncode(enc, (*jsontext.Value)(d), dataOptions)
}

// jsonWriter encodes answers and stream events: a buffer and an encoder
// writing into it, pooled in jsonWriters so that an idle stream keeps
// none and a busy one allocates none per message.
type jsonWriter struct {
	buf bytes.Buffer
	enc jsontext.Encoder
}

var jsonWriters = sync.Pool{New: func() any { return new(jsonWriter) }}

// maxPooledJSONBuffer bounds the buffers put back in jsonWriters: one that
// grew for a very large message is left to the collector.
const maxPooledJSONBuffer = 64 << 10

func getJSONWriter() *jsonWriter { return jsonWriters.Get().(*jsonWriter) }

// put gives jw back to jsonWriters.
func (jw *jsonWriter) put() {
	if jw.buf.Cap() <= maxPooledJSONBuffer {
		jw.buf.Reset()
		jsonWriters.Put(jw)
	}
}

// encode returns v as one line of JSON, ending in a newline, in jw's
// buffer: valid until the next encode or put.
func (jw *jsonWriter) encode(v any) ([]byte, error) {
	jw.buf.Reset()
	// Writing to a bytes.Buffer, the encoder writes straight into it.
	jw.enc.Reset(&jw.buf, encodeOptions)
	var err error
	if m, ok := v.(json.MarshalerTo); ok {
		// A value that writes itself (a delivered message, see
		// messageJSON) is spared the marshaler's look-up of its type.
		err = m.MarshalJSONTo(&jw.enc)
	} else {
		err = json.MarshalEncode(&jw.enc, v)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return jw.buf.Bytes(), nil
}

// encode answers with v as one line of JSON. It fails only when v cannot
// be encoded; once the status is sent there is nothing left to do about a
// failed write (the client went away), so that is not reported.
func encode[T any](w http.ResponseWriter, status int, v T) error {
	jw := getJSONWriter()
	defer jw.put()
	b, err := jw.encode(&v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

// writeJSON writes v to w as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	jw := getJSONWriter()
	defer jw.put()
	b, err := jw.encode(v)
	if err == nil {
		_, err = w.Write(b)
	}
	return err
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

// decodeJSON is decode for a body already read. The body is walked twice:
// once for its shape (readShape), which also makes it compact, then to
// decode it, which copies message data out of the compact text as it is.
// The shape is judged first so that a body too deep is refused as such
// whatever else is wrong with it.
func decodeJSON[T any](body []byte, maxDepth int) (T, error) {
	var v T
	// JSON is UTF-8 (RFC 8259); a raw value would otherwise keep invalid
	// bytes and hand them on to the receiver.
	if !utf8.Valid(body) {
		return v, badRequest("The body must be valid UTF-8.")
	}
	sr := shapeReaders.Get().(*shapeReader)
	defer sr.put()
	compact, err := sr.readShape(body, maxDepth)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(compact, &v, decodeOptions); err != nil {
		return v, decodeError(err)
	}
	return v, nil
}

// shapeReader reads bodies' shapes (see readShape), keeping its decoder,
// encoder and buffer from one body to the next.
type shapeReader struct {
	in, out bytes.Buffer
	dec     jsontext.Decoder
	enc     jsontext.Encoder
}

var shapeReaders = sync.Pool{New: func() any { return new(shapeReader) }}

// put gives sr back to shapeReaders, holding no body.
func (sr *shapeReader) put() {
	sr.in = bytes.Buffer{}
	sr.dec.Reset(&sr.in)
	if sr.out.Cap() > maxPooledJSONBuffer {
		sr.out = bytes.Buffer{}
	}
	sr.out.Reset()
	sr.enc.Reset(&sr.out)
	shapeReaders.Put(sr)
}

// readShape reads body as JSON text and returns it without insignificant
// white space, strings and numbers as they were written, in a buffer of
// sr's, valid until sr is put back. It refuses a body that is not one
// JSON value (empty, malformed, or followed by anything but white space)
// or that nests arrays and objects deeper than maxDepth, before anything
// would recurse that deep.
func (sr *shapeReader) readShape(body []byte, maxDepth int) ([]byte, error) {
	// Read from a bytes.Buffer, the decoder reads body where it is, and
	// written to one, the encoder writes straight into it.
	sr.in = *bytes.NewBuffer(body)
	sr.dec.Reset(&sr.in, shapeOptions)
	sr.out.Grow(len(body))
	sr.enc.Reset(&sr.out, shapeOptions)
	for {
		tok, err := sr.dec.ReadToken()
		if err != nil {
			return nil, decodeError(err)
		}
		if sr.dec.StackDepth() > maxDepth {
			return nil, badRequest("The body nests arrays and objects more than %d deep.", maxDepth)
		}
		if err := sr.enc.WriteToken(tok); err != nil {
			return nil, decodeError(err)
		}
		if sr.dec.StackDepth() == 0 {
			break
		}
	}
	switch _, err := sr.dec.ReadToken(); {
	case err == io.EOF:
	case err != nil:
		return nil, decodeError(err)
	default:
		return nil, badRequest("The body holds more than one JSON value.")
	}
	// The encoder ends a top-level value with a newline.
	return bytes.TrimSuffix(sr.out.Bytes(), []byte("\n")), nil
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

// decodeError turns what reading or decoding a body reports into an error
// for the client, saying where the body went wrong without echoing it.
func decodeError(err error) error {
	var maxBytes *http.MaxBytesError
	var syntax *jsontext.SyntacticError
	var semantic *json.SemanticError
	switch {
	case errors.As(err, &maxBytes):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errRequestTimeout
	case errors.Is(err, io.EOF):
		return badRequest("The body is empty; a JSON object is required.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("The body ends in the middle of a JSON value.")
	case errors.Is(err, jsontext.ErrDuplicateName) && errors.As(err, &syntax):
		return badRequest("The body gives field %q more than once.", syntax.JSONPointer.LastToken())
	case errors.As(err, &syntax):
		// encoding/json counted the bytes read up to and including the
		// one in error.
		return badRequest("The body is not valid JSON (at byte %d).", syntax.ByteOffset+1)
	case errors.Is(err, store.ErrInvalid):
		return badRequest("The body holds a malformed event id.")
	case errors.Is(err, json.ErrUnknownName) && errors.As(err, &semantic):
		return badRequest("The body has an unknown field %q.", semantic.JSONPointer.LastToken())
	case errors.As(err, &semantic) && semantic.GoType != nil && semantic.JSONKind != 0:
		field := fieldPath(semantic.JSONPointer)
		if field == "" {
			return badRequest("The body must be a JSON object.")
		}
		return badRequest("Field %q must be a JSON %s.", field, jsonKind(semantic.GoType))
	}
	// What is left comes from a field's own decoder or from reading the
	// body.
	return badRequest("The body has an invalid value.")
}

// fieldPath names the member at p as encoding/json named it: the names of
// the struct fields on the way, joined by ".", without array indices.
// (Request bodies name no member with digits alone.)
func fieldPath(p jsontext.Pointer) string {
	var names []string
	for tok := range p.Tokens() {
		if strings.Trim(tok, "0123456789") != "" {
			names = append(names, tok)
		}
	}
	return strings.Join(names, ".")
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
