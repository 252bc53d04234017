package client_test

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	gosse "github.com/tmaxmax/go-sse"

	"github.com/tincan-dev/tincan/api/client"
	"github.com/tincan-dev/tincan/internal/apitest"
	"github.com/tincan-dev/tincan/internal/logscan"
)

// A call that gets no answer within this long fails the test rather than
// hanging it.
const callLimit = time.Minute

// The shapes the spec gives ids and tokens.
var (
	ulidShape    = regexp.MustCompile(`^[0-7][0-9A-HJKMNP-TV-Z]{25}$`)
	tokenShape   = regexp.MustCompile(`^[A-Za-z0-9_-]{22,}$`)
	eventIDShape = regexp.MustCompile(`^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})$`)
)

// TestEndToEnd drives a real tincan, on each store, over real HTTP, with
// nothing but the generated client: create a channel, post, long-poll,
// acknowledge, hand a port over inside a message, use it with the token
// the message delivered, transfer it under an Idempotency-Key, and close.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	for _, s := range apitest.Stores {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			_, c := apitest.Start(t, s.Open(t), nil)
			e := &e2e{t: t, c: c}
			e.service()
			a := e.createChannel()
			e.postAndLongPoll(a)
			e.acknowledge(a)
			e.refusals(a)
			b := e.createChannel()
			b1 := e.transferInMessage(a, b)
			b1 = e.transfer(b1)
			e.closeChannel(b, b1)
		})
	}
}

// e2e is one run of the story against one server.
type e2e struct {
	t *testing.T
	c *client.ClientWithResponses
}

func (e *e2e) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callLimit)
	e.t.Cleanup(cancel)
	return ctx
}

// service checks the routes that need no port: health, readiness and
// the API description the client was generated from.
func (e *e2e) service() {
	t := e.t
	t.Helper()
	h, err := e.c.HealthzWithResponse(e.ctx())
	mustStatus(t, "healthz", h, err, http.StatusOK)
	if h.JSON200 == nil || h.JSON200.Status != client.Ok {
		t.Errorf("healthz: %s", h.Body)
	}
	r, err := e.c.ReadyzWithResponse(e.ctx())
	mustStatus(t, "readyz", r, err, http.StatusOK)
	if r.JSON200 == nil || r.JSON200.Status != client.ReadyStatusReady {
		t.Errorf("readyz: %s", r.Body)
	}
	o, err := e.c.GetOpenAPIWithResponse(e.ctx())
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if o.StatusCode() != http.StatusOK || o.YAML200 == nil || !strings.HasPrefix(o.ContentType(), "application/yaml") {
		t.Fatalf("openapi.yaml: %d %s", o.StatusCode(), o.ContentType())
	}
	if doc := *o.YAML200; doc["openapi"] != "3.0.3" || doc["paths"] == nil {
		t.Errorf("openapi.yaml: openapi %v, paths %T", doc["openapi"], doc["paths"])
	}
}

// createChannel creates a channel and checks what the answer says of it.
func (e *e2e) createChannel() client.Channel {
	t := e.t
	t.Helper()
	before := time.Now()
	res, err := e.c.CreateChannelWithResponse(e.ctx(), nil)
	mustStatus(t, "create channel", res, err, http.StatusCreated)
	ch := res.JSON201
	if ch == nil {
		t.Fatalf("create channel: 201 without a Channel: %s", res.Body)
	}
	if !ulidShape.MatchString(ch.Id) || !ulidShape.MatchString(ch.Port1.Id) || !ulidShape.MatchString(ch.Port2.Id) {
		t.Errorf("create channel: ids %q %q %q are not ULIDs", ch.Id, ch.Port1.Id, ch.Port2.Id)
	}
	if ch.Port1.Id == ch.Port2.Id || ch.Id[:20] != ch.Port1.Id[:20] || ch.Id[:20] != ch.Port2.Id[:20] {
		t.Errorf("create channel: channel %s, ports %s and %s: want two ports sharing the channel's first 20 characters", ch.Id, ch.Port1.Id, ch.Port2.Id)
	}
	if !tokenShape.MatchString(ch.Port1.Token) || !tokenShape.MatchString(ch.Port2.Token) || ch.Port1.Token == ch.Port2.Token {
		t.Errorf("create channel: tokens are not two distinct bearer secrets")
	}
	if ch.CreatedAt.Before(before.Add(-time.Minute)) || ch.CreatedAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("create channel: created_at %v, now %v", ch.CreatedAt, time.Now())
	}
	if res.Headers201 == nil || res.Headers201.IdempotentReplayed != nil {
		t.Errorf("create channel: a first creation says Idempotent-Replayed")
	}
	logscan.Secret("port token", ch.Port1.Token)
	logscan.Secret("port token", ch.Port2.Token)

	for _, p := range []struct{ self, peer client.PortCredentials }{{ch.Port1, ch.Port2}, {ch.Port2, ch.Port1}} {
		port := e.describe(p.self)
		if port.Id != p.self.Id || port.Channel != ch.Id || port.Peer != p.peer.Id || port.State != client.StateOpen ||
			port.ClosedAt != nil || port.Queued != 0 || port.Posted != 0 || port.Acknowledged != 0 ||
			port.LastEventId != "" || port.AckedEventId != "" || !port.CreatedAt.Equal(ch.CreatedAt) {
			t.Errorf("describe a new port: %+v", port)
		}
	}
	return *ch
}

// postAndLongPoll posts through port1 and reads at port2 by long poll:
// an empty poll waits out its time, one waiting when a message comes
// answers it at once.
func (e *e2e) postAndLongPoll(ch client.Channel) {
	t := e.t
	t.Helper()
	start := time.Now()
	empty := e.list(ch.Port2, &client.ListMessagesParams{Wait: ptr(1)})
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("an empty long poll with wait=1 answered after %v", waited)
	}
	if empty.Messages == nil || len(empty.Messages) != 0 || empty.Next != "" || empty.State != client.StateOpen || empty.Reset != nil {
		t.Errorf("empty long poll: %+v", empty)
	}

	// A poll that is waiting when the message is posted.
	polled := e.longPoll(ch.Port2, &client.ListMessagesParams{Wait: ptr(10)})
	time.Sleep(200 * time.Millisecond)
	// Numbers beyond float64's precision and key order must survive.
	data := json.RawMessage(`{"z":1,"big":12345678901234567890,"nested":[true,null,"x"]}`)
	sentAt := time.Now()
	first := e.post(ch.Port1, client.PostMessageRequest{Data: data})
	got, ok := <-polled
	if !ok {
		t.FailNow()
	}
	if len(got.Messages) != 1 || got.Next != first || got.State != client.StateOpen {
		t.Fatalf("long poll: %+v, want the message %s", got, first)
	}
	m := got.Messages[0]
	if m.Id != first || m.Port != ch.Port2.Id || m.Source != ch.Port1.Id || string(m.Data) != string(data) ||
		m.Ports == nil || len(m.Ports) != 0 {
		t.Errorf("delivered %+v (data %s), want id %s from %s at %s with data %s and no ports", m, m.Data, first, ch.Port1.Id, ch.Port2.Id, data)
	}
	if m.SentAt.Before(sentAt.Add(-time.Minute)) || m.SentAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("sent_at %v, posted at %v", m.SentAt, sentAt)
	}

	// A raw text body is a message too, its data the text as a JSON string.
	res, err := e.c.PostMessageWithTextBodyWithResponse(e.ctx(), ch.Port1.Id, nil, "plain words\nand a line", client.Bearer(ch.Port1.Token))
	mustStatus(t, "post text", res, err, http.StatusCreated)
	second := res.JSON201.Id
	l := e.list(ch.Port2, &client.ListMessagesParams{After: ptr(first), Wait: ptr(5)})
	if len(l.Messages) != 1 || l.Messages[0].Id != second || string(l.Messages[0].Data) != `"plain words\nand a line"` || l.Next != second {
		t.Errorf("after the first: %+v", l)
	}
	if first == second {
		t.Errorf("two messages with one event id %s", first)
	}
}

// acknowledge acknowledges port2's messages one at a time and checks the
// counts describe gives.
func (e *e2e) acknowledge(ch client.Channel) {
	t := e.t
	t.Helper()
	all := e.list(ch.Port2, nil)
	if len(all.Messages) != 2 {
		t.Fatalf("before acknowledging: %d messages, want 2", len(all.Messages))
	}
	first, second := all.Messages[0].Id, all.Messages[1].Id
	e.ack(ch.Port2, first)
	if p := e.describe(ch.Port2); p.Queued != 1 || p.Posted != 2 || p.Acknowledged != 1 || p.AckedEventId != first || p.LastEventId != second {
		t.Errorf("after acknowledging the first: %+v", p)
	}
	if l := e.list(ch.Port2, nil); len(l.Messages) != 1 || l.Messages[0].Id != second {
		t.Errorf("after acknowledging the first, the queue is %+v", l)
	}
	// Again is a no-op; then the rest, through the list's next.
	e.ack(ch.Port2, first)
	e.ack(ch.Port2, all.Next)
	if p := e.describe(ch.Port2); p.Queued != 0 || p.Posted != 2 || p.Acknowledged != 2 || p.AckedEventId != second {
		t.Errorf("after acknowledging all: %+v", p)
	}
	// Reading from before the acknowledged ones says they went.
	l := e.list(ch.Port2, &client.ListMessagesParams{After: ptr(first)})
	if len(l.Messages) != 0 || l.Reset == nil || l.Reset.LastEventId != first || l.Reset.AckedThrough != second || l.Next != second {
		t.Errorf("list after %s once %s is acknowledged: %+v", first, second, l)
	}
	// The port's peer has had nothing posted to it.
	if p := e.describe(ch.Port1); p.Queued != 0 || p.Posted != 0 {
		t.Errorf("port1 after posting from it: %+v", p)
	}
}

// refusals checks that refusals come back as problems the client decodes,
// with their stable codes, and change nothing.
func (e *e2e) refusals(ch client.Channel) {
	t := e.t
	t.Helper()
	// A wrong token.
	res, err := e.c.DescribePortWithResponse(e.ctx(), ch.Port1.Id, client.Bearer(ch.Port2.Token))
	mustStatus(t, "describe with the peer's token", res, err, http.StatusUnauthorized)
	wantProblem(t, "describe with the peer's token", res, res.ApplicationproblemJSON401, client.ProblemCodeUnauthorized)
	if res.Headers401 == nil || res.Headers401.WWWAuthenticate != `Bearer realm="tincan"` {
		t.Errorf("401 without its WWW-Authenticate: %+v", res.Headers401)
	}
	// No token.
	lres, err := e.c.ListMessagesWithResponse(e.ctx(), ch.Port2.Id, nil)
	mustStatus(t, "list without a token", lres, err, http.StatusUnauthorized)
	wantProblem(t, "list without a token", lres, lres.ApplicationproblemJSON401, client.ProblemCodeUnauthorized)
	// A malformed event id.
	ares, err := e.c.AckMessagesWithResponse(e.ctx(), ch.Port2.Id, client.AckRequest{Through: "not-an-id"}, client.Bearer(ch.Port2.Token))
	mustStatus(t, "ack a malformed id", ares, err, http.StatusBadRequest)
	wantProblem(t, "ack a malformed id", ares, ares.ApplicationproblemJSON400, client.ProblemCodeInvalidRequest)
	// A transfer list naming the sender's peer: 422 with the refused
	// entry, and no message stored.
	pres, err := e.c.PostMessageWithResponse(e.ctx(), ch.Port1.Id, nil, client.PostMessageRequest{
		Data:     json.RawMessage(`"take my peer"`),
		Transfer: []client.TransferEntry{{Port: ch.Port2.Id, Token: ch.Port2.Token}},
	}, client.Bearer(ch.Port1.Token))
	mustStatus(t, "transfer the peer", pres, err, http.StatusUnprocessableEntity)
	if pres.ApplicationproblemJSON422 == nil {
		t.Fatalf("transfer the peer: 422 is not a problem: %s", pres.Body)
	}
	// One Problem type for every code; invalid_transfer always names the
	// refused entry.
	p := pres.ApplicationproblemJSON422
	if p.Code != client.ProblemCodeInvalidTransfer || p.Status != http.StatusUnprocessableEntity || p.Type != "/docs/errors#invalid_transfer" ||
		p.TransferIndex == nil || *p.TransferIndex != 0 || p.Port == nil || *p.Port != ch.Port2.Id ||
		p.Reason == nil || *p.Reason != client.TransferRefusalPeer || p.Detail == "" || p.Title == "" {
		t.Errorf("transfer the peer: %+v", p)
	}
	if d := e.describe(ch.Port2); d.Posted != 2 || d.Queued != 0 {
		t.Errorf("a refused post stored a message: %+v", d)
	}
	// Retrying a post under one Idempotency-Key stores it once.
	key := "e2e-" + ch.Id
	var ids []string
	for i := range 2 {
		res, err := e.c.PostMessageWithResponse(e.ctx(), ch.Port1.Id, &client.PostMessageParams{IdempotencyKey: &key},
			client.PostMessageRequest{Data: json.RawMessage(`"once"`)}, client.Bearer(ch.Port1.Token))
		mustStatus(t, "idempotent post", res, err, http.StatusCreated)
		replayed := res.Headers201 != nil && res.Headers201.IdempotentReplayed != nil && *res.Headers201.IdempotentReplayed == "true"
		if replayed != (i == 1) {
			t.Errorf("idempotent post %d: replayed %v", i+1, replayed)
		}
		ids = append(ids, res.JSON201.Id)
	}
	if ids[0] != ids[1] {
		t.Errorf("a retry under the same Idempotency-Key got id %s, then %s", ids[0], ids[1])
	}
	l := e.list(ch.Port2, nil)
	if len(l.Messages) != 1 || l.Messages[0].Id != ids[0] {
		t.Fatalf("after the retried post: %+v", l)
	}
	e.ack(ch.Port2, l.Next)
}

// transferInMessage hands b's port1, which has a message waiting, to a's
// port2 inside a message from a's port1, and uses it with the token the
// message delivered. It returns the moved port with its new token.
func (e *e2e) transferInMessage(a, b client.Channel) client.PortCredentials {
	t := e.t
	t.Helper()
	waiting := e.post(b.Port2, client.PostMessageRequest{Data: json.RawMessage(`"for whoever holds b1"`)})
	carrier := e.post(a.Port1, client.PostMessageRequest{
		Data:     json.RawMessage(`"here is b1"`),
		Transfer: []client.TransferEntry{{Port: b.Port1.Id, Token: b.Port1.Token}},
	})

	l := e.list(a.Port2, &client.ListMessagesParams{Wait: ptr(5)})
	if len(l.Messages) != 1 || l.Messages[0].Id != carrier || string(l.Messages[0].Data) != `"here is b1"` {
		t.Fatalf("the carrying message: %+v", l)
	}
	e.ack(a.Port2, l.Next)
	ports := l.Messages[0].Ports
	if len(ports) != 1 || ports[0].Id != b.Port1.Id {
		t.Fatalf("the message carries ports %+v, want %s", ports, b.Port1.Id)
	}
	b1 := ports[0]
	logscan.Secret("port token", b1.Token)
	if !tokenShape.MatchString(b1.Token) || b1.Token == b.Port1.Token {
		t.Errorf("the delivered token is not a fresh one")
	}

	// The old token died with the move.
	res, err := e.c.DescribePortWithResponse(e.ctx(), b.Port1.Id, client.Bearer(b.Port1.Token))
	mustStatus(t, "describe with the token from before the move", res, err, http.StatusForbidden)
	wantProblem(t, "describe with the token from before the move", res, res.ApplicationproblemJSON403, client.ProblemCodePortTransferred)
	pres, err := e.c.PostMessageWithResponse(e.ctx(), b.Port1.Id, nil, client.PostMessageRequest{Data: json.RawMessage(`1`)}, client.Bearer(b.Port1.Token))
	mustStatus(t, "post with the token from before the move", pres, err, http.StatusForbidden)
	wantProblem(t, "post with the token from before the move", pres, pres.ApplicationproblemJSON403, client.ProblemCodePortTransferred)

	// The new one does everything: the port kept its queue and its peer.
	if p := e.describe(b1); p.Id != b.Port1.Id || p.Peer != b.Port2.Id || p.Channel != b.Id || p.State != client.StateOpen || p.Queued != 1 || p.LastEventId != waiting {
		t.Errorf("the moved port: %+v", p)
	}
	q := e.list(b1, nil)
	if len(q.Messages) != 1 || q.Messages[0].Id != waiting || q.Messages[0].Source != b.Port2.Id || string(q.Messages[0].Data) != `"for whoever holds b1"` {
		t.Errorf("the moved port's queue: %+v", q)
	}
	e.ack(b1, q.Next)
	reply := e.post(b1, client.PostMessageRequest{Data: json.RawMessage(`"hello from the new holder"`)})
	r := e.list(b.Port2, &client.ListMessagesParams{Wait: ptr(5)})
	if len(r.Messages) != 1 || r.Messages[0].Id != reply || r.Messages[0].Source != b.Port1.Id || string(r.Messages[0].Data) != `"hello from the new holder"` {
		t.Errorf("b2 from the new holder: %+v", r)
	}
	e.ack(b.Port2, r.Next)
	return b1
}

// transfer moves p to a new holder under a key from NewIdempotencyKey,
// and sends it again as a client whose first answer was lost would: the
// retry under the same key gets the same new token, marked as replayed,
// while the same dead token under another key is refused. It returns p
// with its new token.
func (e *e2e) transfer(p client.PortCredentials) client.PortCredentials {
	t := e.t
	t.Helper()
	key := client.NewIdempotencyKey()
	var got []client.PortCredentials
	for i := range 2 {
		res, err := e.c.TransferPortWithResponse(e.ctx(), p.Id, &client.TransferPortParams{IdempotencyKey: key}, client.Bearer(p.Token))
		mustStatus(t, "transfer", res, err, http.StatusOK)
		replayed := res.Headers200 != nil && res.Headers200.IdempotentReplayed != nil && *res.Headers200.IdempotentReplayed == "true"
		if replayed != (i == 1) {
			t.Errorf("transfer %d under one key: replayed %v", i+1, replayed)
		}
		got = append(got, *res.JSON200)
	}
	moved := got[0]
	logscan.Secret("port token", moved.Token)
	if moved.Id != p.Id || moved.Token == p.Token || !tokenShape.MatchString(moved.Token) {
		t.Errorf("transfer: answered port %s with a token that is not a fresh one; want %s", moved.Id, p.Id)
	}
	if got[1] != moved {
		t.Errorf("the retried transfer answered another port or token than the first")
	}
	res, err := e.c.TransferPortWithResponse(e.ctx(), p.Id, &client.TransferPortParams{IdempotencyKey: client.NewIdempotencyKey()}, client.Bearer(p.Token))
	mustStatus(t, "transfer with the dead token under a new key", res, err, http.StatusForbidden)
	wantProblem(t, "transfer with the dead token under a new key", res, res.ApplicationproblemJSON403, client.ProblemCodePortTransferred)
	if d := e.describe(moved); d.Id != p.Id || d.State != client.StateOpen {
		t.Errorf("the transferred port: %+v", d)
	}
	return moved
}

// closeChannel closes b from port2 while port1's holder (b1, the moved
// port) reads its event stream and waits in a long poll, and checks that
// b1 sees the close every way it can look.
func (e *e2e) closeChannel(b client.Channel, b1 client.PortCredentials) {
	t := e.t
	t.Helper()
	last := e.post(b.Port2, client.PostMessageRequest{Data: json.RawMessage(`"last words"`)})

	// The generated Client hands the stream back open; an independent SSE
	// parser frames it, and the generated event types decode it.
	res, err := e.c.StreamEvents(e.ctx(), b1.Id, nil, client.Bearer(b1.Token))
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	next, stop := iter.Pull2(gosse.Read(res.Body, nil))
	defer stop()
	ev := nextEvent(t, next)
	var m client.MessageEvent
	decodeEvent(t, ev, "message", &m)
	if ev.LastEventID != last || m.Id != last || m.Port != b1.Id || m.Source != b.Port2.Id || string(m.Data) != `"last words"` {
		t.Errorf("stream: message event id %q, %+v; want %s", ev.LastEventID, m, last)
	}

	polled := e.longPoll(b1, &client.ListMessagesParams{After: &last, Wait: ptr(30)})
	time.Sleep(200 * time.Millisecond)
	before := time.Now()
	cres, err := e.c.ClosePortWithResponse(e.ctx(), b.Port2.Id, client.Bearer(b.Port2.Token))
	mustStatus(t, "close", cres, err, http.StatusNoContent)

	l, ok := <-polled
	if ok && (l.State != client.StateClosed || len(l.Messages) != 0 || l.Next != last) {
		t.Errorf("the long poll at close answered %+v", l)
	}
	// At once, not after its 30 s: half of that tells the two apart on
	// any machine.
	if waited := time.Since(before); ok && waited >= 15*time.Second {
		t.Errorf("the long poll answered %v after the close", waited)
	}
	ev = nextEvent(t, next)
	var closed client.CloseEvent
	decodeEvent(t, ev, "close", &closed)
	if closed.Port != b1.Id || closed.ClosedAt.Before(before.Add(-time.Minute)) || ev.LastEventID != last {
		t.Errorf("stream: close event %+v (last event id %q)", closed, ev.LastEventID)
	}
	if ev, err, more := next(); more {
		t.Errorf("stream: after the close event, %+v %v; want its end", ev, err)
	}

	p := e.describe(b1)
	if p.State != client.StateClosed || p.ClosedAt == nil || !p.ClosedAt.Equal(closed.ClosedAt) || p.Queued != 1 {
		t.Errorf("the peer after close: %+v", p)
	}
	for _, from := range []client.PortCredentials{b1, b.Port2} {
		res, err := e.c.PostMessageWithResponse(e.ctx(), from.Id, nil, client.PostMessageRequest{Data: json.RawMessage(`"too late"`)}, client.Bearer(from.Token))
		mustStatus(t, "post after close", res, err, http.StatusGone)
		wantProblem(t, "post after close", res, res.ApplicationproblemJSON410, client.ProblemCodePortClosed)
	}
	// What was queued before the close stays readable and ackable; then a
	// stream with nothing left says so with 204, which tells an
	// EventSource to stop.
	e.ack(b1, last)
	sres, err := e.c.StreamEventsWithResponse(e.ctx(), b1.Id, nil, client.Bearer(b1.Token))
	mustStatus(t, "stream a closed port", sres, err, http.StatusNoContent)
	// Closing again is a no-op.
	cres, err = e.c.ClosePortWithResponse(e.ctx(), b1.Id, client.Bearer(b1.Token))
	mustStatus(t, "close again", cres, err, http.StatusNoContent)
}

// nextEvent answers the stream's next event, failing the test if it ends.
func nextEvent(t *testing.T, next func() (gosse.Event, error, bool)) gosse.Event {
	t.Helper()
	ev, err, ok := next()
	if !ok || err != nil {
		t.Fatalf("stream: ended (%v) before the next event", err)
	}
	return ev
}

// decodeEvent checks ev's type and decodes its data into v.
func decodeEvent(t *testing.T, ev gosse.Event, typ string, v any) {
	t.Helper()
	if ev.Type != typ {
		t.Fatalf("stream: event %q (%s), want %q", ev.Type, ev.Data, typ)
	}
	if err := json.Unmarshal([]byte(ev.Data), v); err != nil {
		t.Fatalf("stream: %s event data %s: %v", typ, ev.Data, err)
	}
}

// describe answers the port, failing the test on anything but 200.
func (e *e2e) describe(p client.PortCredentials) client.Port {
	e.t.Helper()
	res, err := e.c.DescribePortWithResponse(e.ctx(), p.Id, client.Bearer(p.Token))
	mustStatus(e.t, "describe "+p.Id, res, err, http.StatusOK)
	return *res.JSON200
}

// post posts m through p, under a fresh Idempotency-Key as a client
// should, and answers its event id.
func (e *e2e) post(p client.PortCredentials, m client.PostMessageRequest) string {
	e.t.Helper()
	params := &client.PostMessageParams{IdempotencyKey: ptr(client.NewIdempotencyKey())}
	res, err := e.c.PostMessageWithResponse(e.ctx(), p.Id, params, m, client.Bearer(p.Token))
	mustStatus(e.t, "post through "+p.Id, res, err, http.StatusCreated)
	if !eventIDShape.MatchString(res.JSON201.Id) {
		e.t.Errorf("post: event id %q", res.JSON201.Id)
	}
	return res.JSON201.Id
}

// list reads p's queue.
func (e *e2e) list(p client.PortCredentials, params *client.ListMessagesParams) client.MessageList {
	e.t.Helper()
	res, err := e.c.ListMessagesWithResponse(e.ctx(), p.Id, params, client.Bearer(p.Token))
	mustStatus(e.t, "list "+p.Id, res, err, http.StatusOK)
	return *res.JSON200
}

// ack acknowledges p's messages through id.
func (e *e2e) ack(p client.PortCredentials, id string) {
	e.t.Helper()
	res, err := e.c.AckMessagesWithResponse(e.ctx(), p.Id, client.AckRequest{Through: id}, client.Bearer(p.Token))
	mustStatus(e.t, "ack "+id+" at "+p.Id, res, err, http.StatusNoContent)
}

// response is what every generated response has.
type response interface {
	StatusCode() int
	GetBody() []byte
	ContentType() string
}

// mustStatus fails the test unless the call got an answer with status
// want, and, for a success with a body, a JSON one.
func mustStatus(t *testing.T, what string, res response, err error, want int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.StatusCode() != want {
		t.Fatalf("%s: status %d, want %d: %s", what, res.StatusCode(), want, res.GetBody())
	}
	if want == http.StatusNoContent && len(res.GetBody()) != 0 {
		t.Errorf("%s: 204 with a body: %s", what, res.GetBody())
	}
	if want < 300 && want != http.StatusNoContent && !strings.HasPrefix(res.ContentType(), "application/json") {
		t.Errorf("%s: Content-Type %q", what, res.ContentType())
	}
	if want >= 400 && !strings.HasPrefix(res.ContentType(), "application/problem+json") {
		t.Errorf("%s: Content-Type %q, want application/problem+json", what, res.ContentType())
	}
}

// wantProblem checks a decoded problem against its code.
func wantProblem(t *testing.T, what string, res response, p *client.Problem, code client.ProblemCode) {
	t.Helper()
	if p == nil {
		t.Fatalf("%s: no problem decoded from %s", what, res.GetBody())
	}
	if p.Code != code || !p.Code.Valid() || p.Status != res.StatusCode() || p.Type != "/docs/errors#"+string(code) || p.Title == "" || p.Detail == "" {
		t.Errorf("%s: problem %+v, want code %s", what, p, code)
	}
}

// longPoll starts a long poll of p's queue and answers a channel that
// gets its batch, or is closed if the poll failed (the test is failed
// then). The call's context bounds it: the channel is always answered.
func (e *e2e) longPoll(p client.PortCredentials, params *client.ListMessagesParams) <-chan client.MessageList {
	t := e.t
	ctx := e.ctx()
	polled := make(chan client.MessageList, 1)
	go func() {
		defer close(polled)
		res, err := e.c.ListMessagesWithResponse(ctx, p.Id, params, client.Bearer(p.Token))
		switch {
		case err != nil:
			t.Errorf("long poll at %s: %v", p.Id, err)
		case res.StatusCode() != http.StatusOK || res.JSON200 == nil:
			t.Errorf("long poll at %s: status %d: %s", p.Id, res.StatusCode(), res.Body)
		default:
			polled <- *res.JSON200
		}
	}()
	return polled
}

func ptr[T any](v T) *T { return &v }
