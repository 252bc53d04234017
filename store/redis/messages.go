package redis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/tincan-dev/tincan/store"
)

// Post queues msg at the peer of from. Without a transfer list it is one
// round trip (post.lua); with one, see postMoving.
func (s *Store) Post(ctx context.Context, from store.Credentials, msg store.Outgoing) (store.EventID, error) {
	if !json.Valid(msg.Data) {
		return store.EventID{}, fmt.Errorf("message data is not JSON: %w", store.ErrInvalid)
	}
	if len(msg.Transfer) > 0 {
		id, _, err := s.postMoving(ctx, from, msg, nil)
		return id, err
	}
	r, err := s.portScriptArgv(ctx, s.scripts.post, from, s.postArgs(from, msg.Data, ""))
	if err != nil {
		return store.EventID{}, err
	}
	return store.ParseEventID(r.str(1))
}

// postArgs is post.lua's ARGV up to ARGV[9], from the sender's port id and
// token hash on, with room for the three that an idempotency key adds.
// Each call gets a fresh post id, which makes a replay of the same script
// run harmless. The data goes as it is, not copied into a string, and the
// numbers are boxed once, in New: this runs for every message.
func (s *Store) postArgs(from store.Credentials, data json.RawMessage, ports string) []any {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand
	argv := make([]any, 0, 12)
	return append(argv, from.PortID, store.HashToken(from.Token), []byte(data), s.postLimits.maxQueue,
		s.postLimits.ttlMs, s.keys.notify(store.Tag(from.PortID)), ports,
		s.postLimits.decisionTTLMs, base64.RawURLEncoding.EncodeToString(b[:]))
}

// postLimits are the numbers every post passes to post.lua, as the
// interface values go-redis takes, so that they are not boxed again for
// each message.
type postLimits struct {
	maxQueue, ttlMs, decisionTTLMs any
}

func newPostLimits(l store.Limits) postLimits {
	return postLimits{
		maxQueue:      l.MaxQueue,
		ttlMs:         l.ChannelTTL.Milliseconds(),
		decisionTTLMs: decisionTTL.Milliseconds(),
	}
}

// Read returns up to limit messages after `after` (the zero EventID: from
// the oldest unacknowledged), oldest first.
func (s *Store) Read(ctx context.Context, port store.Credentials, after store.EventID, limit int) (store.Batch, error) {
	if limit < 1 {
		return store.Batch{}, fmt.Errorf("read limit %d: %w", limit, store.ErrInvalid)
	}
	start := "-"
	if !after.IsZero() {
		start = after.Next().String()
		if after.Next().IsZero() { // after is the largest id: nothing follows
			start = "+"
		}
	}
	r, err := s.portScript(ctx, s.scripts.read, port, start, limit, s.ttlMs())
	if err != nil {
		return store.Batch{}, err
	}
	b := store.Batch{State: store.State(r.str(1)), ClosedAt: msTime(r.str(2))}
	if b.Acked, err = store.ParseEventID(r.str(4)); err != nil {
		return store.Batch{}, fmt.Errorf("port %s: acked: %w", port.PortID, err)
	}
	entries, _ := r[3].([]any)
	for _, e := range entries {
		m, err := parseEntry(e)
		if err != nil {
			return store.Batch{}, fmt.Errorf("port %s: %w", port.PortID, err)
		}
		b.Messages = append(b.Messages, m)
	}
	return b, nil
}

// parseEntry turns a stream entry as XRANGE returns it into a Message.
func parseEntry(e any) (store.Message, error) {
	pair, ok := e.([]any)
	if !ok || len(pair) != 2 {
		return store.Message{}, fmt.Errorf("malformed stream entry %v", e)
	}
	idStr, _ := pair[0].(string)
	id, err := store.ParseEventID(idStr)
	if err != nil {
		return store.Message{}, err
	}
	fields, _ := pair[1].([]any)
	m := store.Message{ID: id}
	for i := 0; i+1 < len(fields); i += 2 {
		k, _ := fields[i].(string)
		v, _ := fields[i+1].(string)
		switch k {
		case "d":
			m.Data = json.RawMessage(v)
		case "s":
			m.Source = v
		case "t":
			m.SentAt = msTime(v)
		case "p":
			if err := json.Unmarshal([]byte(v), &m.Ports); err != nil {
				return store.Message{}, fmt.Errorf("entry %s: ports: %w", idStr, err)
			}
		}
	}
	return m, nil
}

// Ack deletes the port's messages up to and including through.
func (s *Store) Ack(ctx context.Context, port store.Credentials, through store.EventID) error {
	next := ""
	if !through.IsZero() {
		next = through.Next().String()
	}
	_, err := s.portScript(ctx, s.scripts.ack, port, through.String(), next, s.ttlMs())
	return err
}
