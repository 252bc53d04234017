package store

import (
	"encoding/json"
	"fmt"
	"mime"
	"strings"
)

// What a message may hold. A message is JSON (its Data a JSON value; text
// is a JSON string) or binary: any bytes, kept with their media type, as
// the Web API's postMessage sends an ArrayBuffer. Both kinds go through
// every path alike (posting, reading, pushing, carrying ports,
// broadcasting, idempotency keys); what differs is only what is stored.

// MaxContentTypeLength is the longest content type a binary message may
// have, in bytes. A media type with a parameter or two is far shorter; the
// bound keeps what is stored beside every message small.
const MaxContentTypeLength = 255

// Binary reports whether o is a binary message: whether it has a content
// type.
func (o Outgoing) Binary() bool { return o.ContentType != "" }

// Size is o's size for every bound in bytes (Limits.MaxQueueBytes,
// Limits.MaxBroadcastBytes, ReadLimit.Bytes, the HTTP layer's largest
// message): the bytes of a binary message, the data of a JSON one.
func (o Outgoing) Size() int64 { return payloadSize(o.ContentType, o.Data, o.Bytes) }

// Binary reports whether m is a binary message: whether it has a content
// type.
func (m Message) Binary() bool { return m.ContentType != "" }

// Size is m's size as Outgoing.Size counts it.
func (m Message) Size() int64 { return payloadSize(m.ContentType, m.Data, m.Bytes) }

func payloadSize(contentType string, data json.RawMessage, b []byte) int64 {
	if contentType != "" {
		return int64(len(b))
	}
	return int64(len(data))
}

// ValidContentType reports whether s may be a binary message's content
// type: a media type ("type/subtype", with parameters or not, as
// mime.ParseMediaType reads it) of at most MaxContentTypeLength bytes of
// printable ASCII. The content type goes back out in an HTTP header, in
// JSON and in the Redis store's notices (whose fields NUL separates), so
// it may hold no control character, and no character that a header would
// have to encode.
func ValidContentType(s string) bool {
	if s == "" || len(s) > MaxContentTypeLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	t, _, err := mime.ParseMediaType(s)
	return err == nil && strings.Contains(t, "/")
}

// CheckOutgoing refuses, with ErrInvalid, what no store keeps: a JSON
// message whose data is not JSON or that has bytes too; a binary message
// whose content type is not one (ValidContentType) or that has data too;
// an origin that is not one (ValidOrigin). Every store checks it before
// anything changes; the transfer list is the store's to check.
func CheckOutgoing(msg Outgoing) error {
	switch {
	case msg.Binary() && !ValidContentType(msg.ContentType):
		return fmt.Errorf("content type %q: %w", msg.ContentType, ErrInvalid)
	case msg.Binary() && len(msg.Data) > 0:
		return fmt.Errorf("a binary message has data too: %w", ErrInvalid)
	case !msg.Binary() && len(msg.Bytes) > 0:
		return fmt.Errorf("a message with bytes has no content type: %w", ErrInvalid)
	case !msg.Binary() && !json.Valid(msg.Data):
		return fmt.Errorf("message data is not JSON: %w", ErrInvalid)
	case !ValidOrigin(msg.Origin):
		return fmt.Errorf("origin %q: %w", msg.Origin, ErrInvalid)
	}
	return nil
}
