package redis

import (
	"encoding/json"
	"strings"

	"github.com/tincan-dev/tincan/store"
)

// A notice is what the scripts publish on a channel's shard channel (see
// lib.lua's notify and post.lua). Its plain form is a port id: look at
// that port. A message without ports is pushed whole instead, so that a
// reader waiting at its position need not read it back:
//
//	"m" NUL port NUL prev id NUL id NUL sent at (unix ms) NUL source NUL data
//
// prev id is the port's last id before the message ("" for none), data
// the stored JSON. A message with an origin has the mark "o" before prev
// id and its origin before data:
//
//	"m" NUL port NUL "o" NUL prev id NUL id NUL sent at NUL source NUL origin NUL data
//
// A binary message has the mark "b" and its content type right after the
// port, and its bytes, as they are, in place of data:
//
//	"m" NUL port NUL "b" NUL content type NUL ["o" NUL] prev id NUL ... NUL bytes
//
// No port id, content type (see store.ValidContentType) or origin (see
// store.ValidOrigin) holds a NUL, and JSON holds none unescaped; the data
// or bytes come last, so they may hold anything. A reader from before a
// mark finds it where the previous id should be, which it cannot parse
// ("o" and "b" are no event ids), so it reads the port instead of
// delivering the message without what the mark says.
const pushedPrefix = "m\x00"

// The marks that start the fields after the port: originMark in a notice
// with an origin, binaryMark (before the origin mark) in one of a binary
// message.
const (
	originMark = "o\x00"
	binaryMark = "b\x00"
)

// parseNotice turns a notice's payload into what the hub hands readers.
// A pushed message that does not parse becomes a look at its port (or,
// if even that is unreadable, at nothing).
func parseNotice(payload string) store.Notice {
	rest, pushed := strings.CutPrefix(payload, pushedPrefix)
	if !pushed {
		return store.Notice{Port: payload}
	}
	port, fields, ok := strings.Cut(rest, "\x00")
	look := store.Notice{Port: port}
	if !ok {
		return look
	}
	var ctype string
	fields, binary := strings.CutPrefix(fields, binaryMark)
	if binary {
		if ctype, fields, ok = strings.Cut(fields, "\x00"); !ok || !store.ValidContentType(ctype) {
			return look
		}
	}
	fields, withOrigin := strings.CutPrefix(fields, originMark)
	n := 5
	if withOrigin {
		n = 6
	}
	f := strings.SplitN(fields, "\x00", n)
	if len(f) != n {
		return look
	}
	prev, err := store.ParseEventID(f[0])
	if err != nil {
		return look
	}
	id, err := store.ParseEventID(f[1])
	if err != nil || id.IsZero() {
		return look
	}
	m := store.Message{ID: id, SentAt: msTime(f[2]), Source: f[3]}
	if binary {
		m.ContentType, m.Bytes = ctype, []byte(f[n-1])
	} else {
		m.Data = json.RawMessage(f[n-1])
	}
	if withOrigin {
		m.Origin = f[4]
	}
	return store.Notice{Port: port, Pushed: true, Prev: prev, Message: m}
}
