package handlers

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/tincan-dev/tincan/store"
)

// Bounds of GET /ports/{id}/messages.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// postResponse names the stored message.
type postResponse struct {
	ID store.EventID `json:"id"`
}

// messageJSON is a delivered message, the same object in a long poll's
// answer and in an event stream's data. Port is the receiving port, so
// that a stream serving several ports says whose message each is. A
// binary message (ContentType set) has "binary", its bytes in standard
// base64, and "content_type" in place of "data": a member of its own, so
// that bytes can never be taken for JSON data, nor JSON data for bytes.
type messageJSON struct {
	ID          store.EventID
	Port        string
	Data        messageData
	ContentType string
	Bytes       []byte
	Ports       []store.PortCredentials
	Source      string
	SentAt      time.Time
	Origin      string
}

// MarshalJSONTo writes m: the one place a delivered message's members are
// named, for long polls and streams alike. The encoder quotes, escapes and
// checks every token; listing them here rather than in struct tags spares
// each message the marshaler's reflection, which made writing a stream's
// message event a fifth slower (BenchmarkEncodeMessageEvent).
func (m *messageJSON) MarshalJSONTo(enc *jsontext.Encoder) error {
	// As encoding/json refused (see time.Time.MarshalJSON).
	if y := m.SentAt.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("sent_at: year %d outside of range [0,9999]", y)
	}
	var err error
	write := func(tokens ...jsontext.Token) {
		for _, t := range tokens {
			if err == nil {
				err = enc.WriteToken(t)
			}
		}
	}
	var room [64]byte
	id, _ := m.ID.AppendText(room[:0])
	write(jsontext.BeginObject, jsontext.String("id"), jsontext.String(string(id)),
		jsontext.String("port"), jsontext.String(m.Port))
	if m.ContentType != "" {
		write(jsontext.String("binary"), jsontext.String(base64.StdEncoding.EncodeToString(m.Bytes)),
			jsontext.String("content_type"), jsontext.String(m.ContentType))
	} else {
		write(jsontext.String("data"))
		if err == nil {
			err = m.Data.MarshalJSONTo(enc)
		}
	}
	write(jsontext.String("ports"), jsontext.BeginArray)
	for _, p := range m.Ports {
		write(jsontext.BeginObject, jsontext.String("id"), jsontext.String(p.ID), jsontext.String("token"), jsontext.String(p.Token), jsontext.EndObject)
	}
	sent := m.SentAt.AppendFormat(room[:0], time.RFC3339Nano)
	write(jsontext.EndArray, jsontext.String("source"), jsontext.String(m.Source),
		jsontext.String("sent_at"), jsontext.String(string(sent)),
		jsontext.String("origin"), jsontext.String(m.Origin), jsontext.EndObject)
	return err
}

// messageErrorJSON stands for a stored message that could not be decoded
// (see store.Message.Undecodable): the data of an `event: messageerror`,
// and an entry of a long poll's message_errors. Error is a short reason
// for people, not a code.
type messageErrorJSON struct {
	ID    store.EventID `json:"id"`
	Port  string        `json:"port"`
	Error string        `json:"error"`
}

// toMessageErrorJSON is the undecodable m, queued at portID, as clients
// see it.
func toMessageErrorJSON(portID string, m store.Message) messageErrorJSON {
	return messageErrorJSON{ID: m.ID, Port: portID, Error: m.Undecodable}
}

// reportUndecodable tells the operator, in the log and the metrics, about
// a stored message that could not be decoded: it is delivered as an
// error, and its content is lost to the receiver.
func (s *Server) reportUndecodable(ctx context.Context, portID string, m store.Message) {
	s.metrics.undecodable.Inc()
	s.logger.WarnContext(ctx, "undecodable message", "port", portID, "id", m.ID.String(), "reason", m.Undecodable)
}

// listResponse is a long poll's answer.
type listResponse struct {
	Messages []messageJSON `json:"messages"`
	// MessageErrors stand for the messages in the same range that could
	// not be decoded, oldest first; Next is past them too.
	MessageErrors []messageErrorJSON `json:"message_errors"`
	// Next is the `after` to ask with next time.
	Next  store.EventID `json:"next"`
	State store.State   `json:"state"`
	// Reset is set when `after` was before the port's acknowledged-through
	// id: the messages between were acknowledged and deleted, and the
	// answer goes on after them; or when `after` is unknown to the store
	// (after its newest id, RewoundTo): Next is then RewoundTo.
	Reset *resetJSON `json:"reset,omitempty"`
}

// resetJSON says which messages a reader missed because they were
// acknowledged (by another reader or an ack call) before it read them:
// those after LastEventID up to and including AckedThrough.
//
// RewoundTo is set, to the newest id the store knows at the port, when
// LastEventID is after it: the store lost what the reader saw after
// RewoundTo (a Redis failover or restart took it back), ids after
// RewoundTo may be issued again, to other messages, and the reader must
// drop its own dedupe mark and go on after RewoundTo.
type resetJSON struct {
	LastEventID  store.EventID  `json:"last_event_id"`
	AckedThrough store.EventID  `json:"acked_through"`
	RewoundTo    *store.EventID `json:"rewound_to,omitempty"`
}

// listReset is the reset to report to a reader that asked for what
// follows after, or nil when it missed nothing: a reader without a
// position (the zero id) starts at the oldest unacknowledged message.
func listReset(after store.EventID, batch store.Batch) *resetJSON {
	switch {
	case after.IsZero():
		return nil
	case unknownResume(after, batch):
		to := batch.LastID
		return &resetJSON{LastEventID: after, AckedThrough: batch.Acked, RewoundTo: &to}
	case after.Compare(batch.Acked) < 0:
		return &resetJSON{LastEventID: after, AckedThrough: batch.Acked}
	}
	return nil
}

// unknownResume reports whether after, a reader's resume point, is after
// the newest id the store knows at the port: well-formed, but lost with
// what the store lost (see store.Batch.LastID). The reader is answered
// with a reset that rewinds it to LastID, never with a refusal it would
// retry forever.
func unknownResume(after store.EventID, batch store.Batch) bool {
	return after.Compare(batch.LastID) > 0
}

// handleMessagePost is port.postMessage(data, transfer): the message is
// queued at the peer, and answered once it is stored. With an
// Idempotency-Key, a retry of the same post gets the first answer again
// and stores nothing (see postFingerprint for what "the same" means).
func (s *Server) handleMessagePost(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	key, idempotent, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	origin, err := requestOrigin(r)
	if err != nil {
		return err
	}
	rsv, err := s.reserveBody(r)
	if err != nil {
		return err
	}
	defer rsv.release()
	msg, body, err := s.readMessage(w, r, idempotent)
	if err != nil {
		return err
	}
	msg.Origin = origin
	if !idempotent {
		id, err := s.store.Post(r.Context(), c, msg)
		if err != nil {
			return err
		}
		s.metrics.countPost(msg)
		return encode(w, http.StatusCreated, postResponse{ID: id})
	}
	once := store.Idempotency{Key: key, Fingerprint: postFingerprint(c.PortID, r.Header.Get("Content-Type"), body)}
	id, replayed, err := s.store.PostOnce(r.Context(), c, msg, once)
	if err != nil {
		return err
	}
	if !replayed {
		s.metrics.countPost(msg)
	}
	markReplayed(w, replayed)
	return encode(w, http.StatusCreated, postResponse{ID: id})
}

// requestOrigin is the origin a post claims, its Origin header, "" when
// it has none. A browser sets the header itself, truthfully; any other
// client may write what it likes, so the origin is a claim, like the
// header is to any server. One that is not a serialized origin or "null"
// (see store.ValidOrigin), or several headers, make the request invalid.
func requestOrigin(r *http.Request) (string, error) {
	vals := r.Header.Values("Origin")
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", badRequest("The request has more than one Origin header.")
	case vals[0] == "" || !store.ValidOrigin(vals[0]):
		return "", badRequest(`The Origin header must be a serialized origin (scheme://host or scheme://host:port, in lower case, without a path) or "null", at most %d bytes.`, store.MaxOriginLen)
	}
	return vals[0], nil
}

// listQuery is what GET /ports/{id}/messages asks for.
type listQuery struct {
	after store.EventID
	limit int
	wait  time.Duration
}

// parseListQuery reads after, limit and wait; wait is whole seconds,
// clamped to maxWait.
func parseListQuery(q url.Values, maxWait time.Duration) (listQuery, error) {
	lq := listQuery{limit: defaultListLimit}
	var err error
	if lq.after, err = store.ParseEventID(q.Get("after")); err != nil {
		return lq, badRequest("Query parameter after is not an event id.")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			return lq, badRequest("Query parameter limit must be an integer from 1 to %d.", maxListLimit)
		}
		lq.limit = n
	}
	if v := q.Get("wait"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return lq, badRequest("Query parameter wait must be a whole number of seconds, 0 or more.")
		}
		// Compared in seconds, so that a huge n cannot overflow.
		if time.Duration(n) > maxWait/time.Second {
			lq.wait = maxWait
		} else {
			lq.wait = time.Duration(n) * time.Second
		}
	}
	return lq, nil
}

// handleMessageList answers the messages queued at a port after `after`,
// without acknowledging them. With wait, and nothing to answer yet, it
// waits for a message, the channel's close, or the end of the wait. The
// answer holds at most LongPollMaxBytes as written (see cutToBudget), but
// always the first message: `next` says where to go on.
func (s *Server) handleMessageList(w http.ResponseWriter, r *http.Request) error {
	c, err := credentials(r)
	if err != nil {
		return err
	}
	q, err := parseListQuery(r.URL.Query(), s.cfg.LongPollMaxWait)
	if err != nil {
		return err
	}
	batch, rsv, err := s.poll(r, c, q)
	defer rsv.release()
	if err != nil {
		return err
	}
	res := listResponse{Messages: make([]messageJSON, 0, len(batch.Messages)), Next: q.after, State: batch.State}
	switch res.Reset = listReset(q.after, batch); {
	case res.Reset == nil:
	case res.Reset.RewoundTo != nil:
		// Nothing after `after` exists; what follows RewoundTo does.
		res.Next = *res.Reset.RewoundTo
	default:
		// Asking again from `after` would only report the same gap.
		res.Next = batch.Acked
	}
	res.MessageErrors = []messageErrorJSON{}
	msgs, err := cutToBudget(c.PortID, res, batch.Messages, s.cfg.LongPollMaxBytes)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Undecodable != "" {
			s.reportUndecodable(r.Context(), c.PortID, m)
			res.MessageErrors = append(res.MessageErrors, toMessageErrorJSON(c.PortID, m))
			continue
		}
		res.Messages = append(res.Messages, toMessageJSON(c.PortID, m))
	}
	s.metrics.deliveredRead.Add(float64(len(res.Messages)))
	if n := len(msgs); n > 0 {
		res.Next = msgs[n-1].ID
	}
	return encode(w, http.StatusOK, res)
}

// cutToBudget returns the first of msgs, received at portID, that an answer
// like res (its messages and message errors still empty) holds within
// budget bytes as encode writes it, and always the first. Each message is
// measured by encoding it with null for its data (or no bytes), plus its
// data's length (or its bytes' in base64): data is stored compact (see
// readShape), which encode writes as it is, so the sum is what the answer
// holds (at most; exactly, for compact data), without a second pass over
// the data. The rest of the answer is measured with the longest `next`
// there can be.
func cutToBudget(portID string, res listResponse, msgs []store.Message, budget int64) ([]store.Message, error) {
	if len(msgs) == 0 {
		return msgs, nil
	}
	res.Next = store.EventID{Ms: math.MaxUint64, Seq: math.MaxUint64}
	jw := getJSONWriter()
	defer jw.put()
	b, err := jw.encode(&res)
	if err != nil {
		return nil, err
	}
	size := int64(len(b))
	for i, m := range msgs {
		var v any = toMessageErrorJSON(portID, m)
		switch {
		case m.Undecodable != "":
		case m.Binary():
			mj := toMessageJSON(portID, m)
			mj.Bytes = nil // written as ""
			v = &mj
			size += int64(base64.StdEncoding.EncodedLen(len(m.Bytes)))
		default:
			mj := toMessageJSON(portID, m)
			mj.Data = nil // written as null
			v = &mj
			size += int64(len(m.Data) - len("null"))
		}
		if b, err = jw.encode(v); err != nil {
			return nil, err
		}
		// Each value ends with a newline; in the answer a comma separates
		// it from the one before, in the same byte.
		size += int64(len(b))
		if i > 0 && size > budget {
			return msgs[:i], nil
		}
	}
	return msgs, nil
}

// poll reads once, and with q.wait keeps reading, each time the port's
// doorbell rings, until there is something to answer. It holds no store
// connection while it waits, nor any bytes in flight: each read reserves
// LongPollMaxBytes first (see inflight), and the batch answered keeps what
// it holds, for the caller to release once the answer is written. A poll
// that waits counts as one of its client's MAX_STREAMS_PER_CLIENT while it
// does: it holds a request open as a stream does, and over HTTP/2 many
// share one connection, so the bound on connections alone would not bound
// them; more is errTooManyStreams.
func (s *Server) poll(r *http.Request, c store.Credentials, q listQuery) (store.Batch, *reservation, error) {
	ctx := r.Context()
	if q.wait <= 0 {
		return s.readPolled(ctx, c, q)
	}
	// Subscribe before reading, so that a message queued between the
	// read and the wait still rings.
	sub, err := s.store.Subscribe(ctx, c.PortID)
	if err != nil {
		return store.Batch{}, nil, err
	}
	defer sub.Close()
	timer := time.NewTimer(q.wait)
	defer timer.Stop()
	var release func()
	defer func() {
		if release != nil {
			release()
		}
	}()
	for {
		batch, rsv, err := s.readPolled(ctx, c, q)
		if err != nil || len(batch.Messages) > 0 || batch.State == store.StateClosed || listReset(q.after, batch) != nil {
			return batch, rsv, err
		}
		rsv.release()
		if release == nil {
			// Counted once the read has proved the credentials good, so
			// that nobody can use up a client's count without a port.
			if release, err = s.streams.acquire(nil, s.clientAddress(r)); err != nil {
				return store.Batch{}, nil, err
			}
		}
		select {
		case <-sub.C:
		case <-timer.C:
			return batch, nil, nil
		case <-s.shutdown:
			return batch, nil, nil
		case <-ctx.Done():
			return batch, nil, ctx.Err()
		}
	}
}

// readPolled is one read of a long poll, within LongPollMaxBytes reserved
// first. The reservation is shrunk to twice what the batch holds (the
// batch, and its encoding), or given back on an error.
func (s *Server) readPolled(ctx context.Context, c store.Credentials, q listQuery) (store.Batch, *reservation, error) {
	rsv, err := s.inflight.reserve(s.cfg.LongPollMaxBytes)
	if err != nil {
		return store.Batch{}, nil, err
	}
	batch, err := s.store.Read(ctx, c, q.after, store.ReadLimit{Messages: q.limit, Bytes: s.cfg.LongPollMaxBytes})
	if err != nil {
		rsv.release()
		return batch, nil, err
	}
	rsv.shrink(2 * batchBytes(batch.Messages))
	return batch, rsv, nil
}

// toMessageJSON is m, received at the port portID, as clients see it.
func toMessageJSON(portID string, m store.Message) messageJSON {
	ports := m.Ports
	if ports == nil {
		ports = []store.PortCredentials{}
	}
	return messageJSON{ID: m.ID, Port: portID, Data: messageData(m.Data), ContentType: m.ContentType, Bytes: m.Bytes,
		Ports: ports, Source: m.Source, SentAt: m.SentAt.UTC(), Origin: m.Origin}
}
