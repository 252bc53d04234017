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
// No port id or origin (see store.ValidOrigin) holds a NUL, and JSON holds
// none unescaped.
const pushedPrefix = "m\x00"

// originMark starts the fields after the port in a notice with an origin.
const originMark = "o\x00"

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
	m := store.Message{ID: id, SentAt: msTime(f[2]), Source: f[3], Data: json.RawMessage(f[n-1])}
	if withOrigin {
		m.Origin = f[4]
	}
	return store.Notice{Port: port, Pushed: true, Prev: prev, Message: m}
}
