package redis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// Post queues msg at the peer of from. Without a transfer list it is one
// round trip (post.lua); with one, see postMoving.
func (s *Store) Post(ctx context.Context, from store.Credentials, msg store.Outgoing) (store.EventID, error) {
	// Refused before any round trip: what no script may store (a content
	// type or an origin that is not one could also break the pushed
	// notice's format, see notice.go).
	if err := store.CheckOutgoing(msg); err != nil {
		return store.EventID{}, err
	}
	if len(msg.Transfer) > 0 {
		id, _, err := s.postMoving(ctx, from, msg, nil)
		return id, err
	}
	r, err := s.exec(ctx, s.channelOp(s.scripts.post, durable|settles, from.PortID, s.postArgs(from, msg, "")))[0].ok()
	if err != nil {
		return store.EventID{}, err
	}
	return store.ParseEventID(r.str(1))
}

// postArgs is post.lua's ARGV up to ARGV[13], from the sender's port id and
// token hash on to the content type, with room for the three that an
// idempotency key adds.
func (s *Store) postArgs(from store.Credentials, msg store.Outgoing, ports string) []any {
	return s.postArgsHashed(from.PortID, store.HashToken(from.Token), msg, ports)
}

// postArgsHashed is postArgs given the token's hash, which is all a
// collection keeps of its members' tokens.
// Each call gets a fresh post id, which makes a replay of the same script
// run harmless. The payload (the data, or a binary message's bytes) goes
// as it is, not copied into a string, and the numbers are boxed once, in
// New: this runs for every message.
func (s *Store) postArgsHashed(portID, tokenHash string, msg store.Outgoing, ports string) []any {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand
	payload := []byte(msg.Data)
	if msg.Binary() {
		payload = msg.Bytes
	}
	argv := make([]any, 0, 16)
	return append(argv, portID, tokenHash, payload, s.postLimits.maxQueue,
		s.postLimits.ttlMs, s.keys.notify(store.Tag(portID)), ports,
		s.postLimits.decisionTTLMs, base64.RawURLEncoding.EncodeToString(b[:]), msg.Origin, s.pushArg(),
		s.postLimits.maxQueueBytes, msg.ContentType)
}

// pushArg is post.lua's ARGV[11]: "1" when its notice may carry the
// message itself, "0" in WAIT mode, where a message is handed out only by
// a read fenced with WAIT (see durability.go), never before its write is
// confirmed.
func (s *Store) pushArg() any {
	if s.waits() {
		return "0"
	}
	return "1"
}

// postLimits are the numbers every post passes to post.lua, as the
// interface values go-redis takes, so that they are not boxed again for
// each message.
type postLimits struct {
	maxQueue, ttlMs, decisionTTLMs, maxQueueBytes any
}

func newPostLimits(l store.Limits) postLimits {
	return postLimits{
		maxQueue:      l.MaxQueue,
		maxQueueBytes: l.MaxQueueBytes,
		ttlMs:         l.ChannelTTL.Milliseconds(),
		decisionTTLMs: decisionTTL.Milliseconds(),
	}
}

// Read returns the messages after `after` (the zero EventID: from the
// oldest unacknowledged) that limit allows, oldest first, with the port's
// state, its acknowledged-through id and LastID (the newest id ever queued
// at it). read.lua applies the bytes bound as it reads.
func (s *Store) Read(ctx context.Context, port store.Credentials, after store.EventID, limit store.ReadLimit) (store.Batch, error) {
	if limit.Messages < 1 {
		return store.Batch{}, fmt.Errorf("read limit %d: %w", limit.Messages, store.ErrInvalid)
	}
	if limit.Bytes <= 0 {
		limit.Bytes = store.DefaultReadBytes
	}
	start := "-"
	if !after.IsZero() {
		start = after.Next().String()
		if after.Next().IsZero() { // after is the largest id: nothing follows
			start = "+"
		}
	}
	// durable: in WAIT mode a read is fenced, as a write is (durability.go),
	// so that it never hands out what a failover could take back.
	r, err := s.exec(ctx, s.portOp(s.scripts.read, durable|settles, port, start, limit.Messages, s.ttlMs(), limit.Bytes))[0].ok()
	if err != nil {
		return store.Batch{}, err
	}
	b := store.Batch{State: store.State(r.str(1)), ClosedAt: msTime(r.str(2)), Truncated: r.str(6) == "1"}
	if b.Acked, err = store.ParseEventID(r.str(4)); err != nil {
		return store.Batch{}, fmt.Errorf("port %s: acked: %w", port.PortID, err)
	}
	if b.LastID, err = store.ParseEventID(r.str(5)); err != nil {
		return store.Batch{}, fmt.Errorf("port %s: last: %w", port.PortID, err)
	}
	entries, _ := r[3].([]any)
	for _, e := range entries {
		m, ok := parseEntry(e)
		if !ok {
			// Without an id the entry cannot even be skipped: it is the
			// reply, not the data, that is broken.
			return store.Batch{}, fmt.Errorf("port %s: malformed stream entry %v", port.PortID, e)
		}
		b.Messages = append(b.Messages, m)
	}
	return b, nil
}

// Message returns the message id queued at the port (message.lua), as
// Read would return it: durable, so that in WAIT mode it hands out only
// what the replicas hold, as a read does.
func (s *Store) Message(ctx context.Context, port store.Credentials, id store.EventID) (store.Message, error) {
	if id.IsZero() {
		return store.Message{}, fmt.Errorf("port %s: message %q: %w", port.PortID, id, store.ErrMessageNotFound)
	}
	r, err := s.exec(ctx, s.portOp(s.scripts.message, durable|settles, port, id.String(), s.ttlMs()))[0].ok()
	if err != nil {
		return store.Message{}, err
	}
	entries, _ := r[1].([]any)
	if len(entries) == 0 {
		return store.Message{}, fmt.Errorf("port %s: message %q: %w", port.PortID, id, store.ErrMessageNotFound)
	}
	m, ok := parseEntry(entries[0])
	if !ok || m.ID != id {
		return store.Message{}, fmt.Errorf("port %s: malformed stream entry %v", port.PortID, entries[0])
	}
	return m, nil
}

// parseEntry turns a stream entry as XRANGE returns it into a Message. An
// entry whose fields do not decode (written by a newer schema, or
// corrupted) is still a message, with its id and Undecodable saying what
// is wrong, so that one bad entry holds up neither the read nor the
// entries after it. It reports false only for a reply that is not an
// entry at all, which Redis never gives.
func parseEntry(e any) (store.Message, bool) {
	pair, ok := e.([]any)
	if !ok || len(pair) != 2 {
		return store.Message{}, false
	}
	idStr, _ := pair[0].(string)
	id, err := store.ParseEventID(idStr)
	if err != nil || id.IsZero() {
		return store.Message{}, false
	}
	m := store.Message{ID: id}
	if reason := readEntry(pair[1]).decode(&m); reason != "" {
		return store.Message{ID: id, Source: m.Source, SentAt: m.SentAt, Undecodable: reason}, true
	}
	return m, true
}

// entry is a stream entry's fields, as post.lua writes them (see
// migrations/0001_initial.lua, and 0004_binary.lua for b and c).
type entry struct {
	data, bytes, ctype, source, sent, ports, origin string
	hasData, hasBytes, hasCtype, hasSent, odd       bool
}

func readEntry(v any) entry {
	fields, _ := v.([]any)
	f := entry{odd: len(fields)%2 != 0}
	for i := 0; i+1 < len(fields); i += 2 {
		k, _ := fields[i].(string)
		v, _ := fields[i+1].(string)
		switch k {
		case "d":
			f.data, f.hasData = v, true
		case "b":
			f.bytes, f.hasBytes = v, true
		case "c":
			f.ctype, f.hasCtype = v, true
		case "s":
			f.source = v
		case "t":
			f.sent, f.hasSent = v, true
		case "p":
			f.ports = v
		case "o":
			f.origin = v
		}
	}
	return f
}

// decode fills m from the fields, or says why they do not decode; m then
// keeps its source and, if it decoded, its sent time.
func (f entry) decode(m *store.Message) (reason string) {
	m.Source, m.Origin = f.source, f.origin
	if f.hasSent {
		ms, err := strconv.ParseInt(f.sent, 10, 64)
		if err != nil || ms < 0 {
			return "sent time is not a time"
		}
		m.SentAt = time.UnixMilli(ms).UTC()
	}
	switch {
	case f.odd:
		return "fields are not pairs"
	case f.hasData && (f.hasBytes || f.hasCtype):
		return "both data and bytes"
	case f.hasBytes && !f.hasCtype:
		return "bytes without a content type"
	case f.hasCtype && !f.hasBytes:
		return "content type without bytes"
	case !f.hasData && !f.hasBytes:
		return "no data"
	case f.hasData && !json.Valid([]byte(f.data)):
		return "data is not JSON"
	case f.hasBytes && !store.ValidContentType(f.ctype):
		return "content type is not a content type"
	case m.Source == "":
		return "no source"
	case !f.hasSent:
		return "no sent time"
	case !store.ValidOrigin(m.Origin):
		return "origin is not an origin"
	}
	if f.hasBytes {
		m.ContentType, m.Bytes = f.ctype, []byte(f.bytes)
	} else {
		m.Data = json.RawMessage(f.data)
	}
	if f.ports == "" {
		return ""
	}
	if err := json.Unmarshal([]byte(f.ports), &m.Ports); err != nil {
		return "transferred ports do not parse"
	}
	for _, p := range m.Ports {
		if p.ID == "" || p.Token == "" {
			return "transferred ports do not parse"
		}
	}
	return ""
}

// Ack deletes the port's messages up to and including through.
func (s *Store) Ack(ctx context.Context, port store.Credentials, through store.EventID) error {
	next := ""
	if !through.IsZero() {
		next = through.Next().String()
	}
	_, err := s.exec(ctx, s.portOp(s.scripts.ack, settles, port, through.String(), next, s.ttlMs()))[0].ok()
	return err
}
