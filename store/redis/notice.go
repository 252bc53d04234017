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
// the stored JSON. No port id holds a NUL, and JSON holds none unescaped.
const pushedPrefix = "m\x00"

// parseNotice turns a notice's payload into what the hub hands readers.
// A pushed message that does not parse becomes a look at its port (or,
// if even that is unreadable, at nothing).
func parseNotice(payload string) store.Notice {
	rest, pushed := strings.CutPrefix(payload, pushedPrefix)
	if !pushed {
		return store.Notice{Port: payload}
	}
	f := strings.SplitN(rest, "\x00", 6)
	if len(f) != 6 {
		port, _, _ := strings.Cut(rest, "\x00")
		return store.Notice{Port: port}
	}
	look := store.Notice{Port: f[0]}
	prev, err := store.ParseEventID(f[1])
	if err != nil {
		return look
	}
	id, err := store.ParseEventID(f[2])
	if err != nil || id.IsZero() {
		return look
	}
	return store.Notice{Port: f[0], Pushed: true, Prev: prev, Message: store.Message{
		ID:     id,
		SentAt: msTime(f[3]),
		Source: f[4],
		Data:   json.RawMessage(f[5]),
	}}
}
