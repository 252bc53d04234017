// Package sse writes Server-Sent Events: the text/event-stream framing of
// the HTML Living Standard, over an http.ResponseWriter. It knows nothing
// of what the events mean; replay and resumption are the caller's business.
package sse

import (
	"bytes"
	"errors"
	"strconv"
	"time"
)

// ErrInvalidField is returned for an event whose id or type holds a CR, LF
// or NUL. Such a field would end its line early and let the rest be read
// as another field (an injected "data:" or "id:"), or, for NUL in an id,
// make browsers ignore the id.
var ErrInvalidField = errors.New("sse: CR, LF or NUL in an event's id or type")

// Event is one event of a stream.
type Event struct {
	// ID becomes the "id:" field; empty means none. A client resuming
	// after a disconnect sends the last ID it saw as Last-Event-ID.
	ID string
	// Type becomes the "event:" field; empty means none, which clients
	// treat as "message".
	Type string
	// Data is the payload. It may span several lines; it is sent as one
	// "data:" line per line, which clients join back with "\n". An event
	// always carries at least one "data:" line, because EventSource drops
	// events without one.
	Data []byte
}

// appendEvent appends ev's framing to dst. It is the one place where
// events become bytes.
func appendEvent(dst []byte, ev Event) ([]byte, error) {
	if !validField(ev.ID) || !validField(ev.Type) {
		return dst, ErrInvalidField
	}
	if ev.Type != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, ev.Type...)
		dst = append(dst, '\n')
	}
	if ev.ID != "" {
		dst = append(dst, "id: "...)
		dst = append(dst, ev.ID...)
		dst = append(dst, '\n')
	}
	dst = appendLines(dst, "data: ", ev.Data)
	return append(dst, '\n'), nil
}

// appendComment appends text as comment lines, which clients ignore; they
// keep idle connections (and the proxies on their way) from timing out.
func appendComment(dst []byte, text string) []byte {
	return append(appendLines(dst, ": ", []byte(text)), '\n')
}

// appendRetry appends a "retry:" field, the reconnection delay that clients
// should use, in whole milliseconds.
func appendRetry(dst []byte, d time.Duration) []byte {
	dst = append(dst, "retry: "...)
	dst = strconv.AppendInt(dst, d.Milliseconds(), 10)
	return append(dst, '\n', '\n')
}

// appendLines appends each line of text after prefix. A line ends at CRLF,
// CR or LF, as a client's parser sees it, so no line break inside text can
// slip through unprefixed. Empty text still gives one (empty) line.
func appendLines(dst []byte, prefix string, text []byte) []byte {
	for {
		i := bytes.IndexAny(text, "\r\n")
		if i < 0 {
			dst = append(dst, prefix...)
			dst = append(dst, text...)
			return append(dst, '\n')
		}
		dst = append(dst, prefix...)
		dst = append(dst, text[:i]...)
		dst = append(dst, '\n')
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
}

func validField(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\r' || c == '\n' || c == 0 {
			return false
		}
	}
	return true
}
