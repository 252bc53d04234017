package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// resetJSONOf is the data of an `event: reset`, and a long poll's reset.
type resetJSONOf struct {
	Port         string  `json:"port"`
	LastEventID  string  `json:"last_event_id"`
	AckedThrough string  `json:"acked_through"`
	RewoundTo    *string `json:"rewound_to"`
}

// countedPort is GET /ports/{id}'s answer, counters included.
type countedPort struct {
	Queued       int    `json:"queued"`
	AckedEventID string `json:"acked_event_id"`
	Posted       int64  `json:"posted"`
	Acknowledged int64  `json:"acknowledged"`
}

// resetList is a long poll's answer with its reset.
type resetList struct {
	Messages []message    `json:"messages"`
	Next     string       `json:"next"`
	Reset    *resetJSONOf `json:"reset"`
}

func (c *client) counts(p port) countedPort {
	c.t.Helper()
	res := c.do(req{method: "GET", path: "/ports/" + p.ID, token: p.Token}).want(c.t, http.StatusOK)
	return decodeBody[countedPort](c.t, res)
}

func (c *client) listReset(p port, query string) resetList {
	c.t.Helper()
	res := c.do(req{method: "GET", path: "/ports/" + p.ID + "/messages?" + query, token: p.Token}).want(c.t, http.StatusOK)
	return decodeBody[resetList](c.t, res)
}

// nextReset returns the next event, which must be a reset without an id
// whose data matches the spec's ResetEvent.
func (s *sseStream) nextReset() resetJSONOf {
	s.t.Helper()
	ev := s.next()
	if ev.typ != "reset" || ev.hasID {
		s.t.Fatalf("got %+v, want a reset event without an id", ev)
	}
	checkEventData(s.t, "ResetEvent", ev.data)
	var r resetJSONOf
	if err := json.Unmarshal([]byte(ev.data), &r); err != nil {
		s.t.Fatalf("reset data %q: %v", ev.data, err)
	}
	return r
}

// checkEventData fails the test unless data is valid JSON for the named
// schema of api/openapi.yaml (closed, as validateAgainstSpec closes them).
func checkEventData(t *testing.T, schema, data string) {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	ref := c.doc.Components.Schemas[schema]
	if ref == nil {
		t.Fatalf("no schema %s in api/openapi.yaml", schema)
	}
	var v any
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		t.Fatalf("%s data %q: %v", schema, data, err)
	}
	if err := ref.Value.VisitJSON(v); err != nil {
		t.Errorf("%s data %s does not match the spec: %v", schema, data, err)
	}
}

// Point 4 of issue 3: two readers of one port. When one acknowledges past
// where the other resumes, the other is told with `event: reset` (no id)
// and goes on after the acknowledged messages; a resume at or after the
// acknowledged id, or without a resume point, gets no reset.
func TestStreamResetOnAckedResume(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		var ids []string
		for i := range 5 {
			ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
		}

		// Reader A handles messages 1 to 3 and acknowledges them.
		a := c.open(ch.Port2, streamReq{})
		for i := range 3 {
			if m := a.nextMessage(); m.ID != ids[i] {
				t.Fatalf("reader A, message %d: %s, want %s", i, m.ID, ids[i])
			}
		}
		c.ack(ch.Port2, ids[2]).want(t, http.StatusNoContent)
		a.close()

		// Reader B last saw message 1.
		b := c.open(ch.Port2, streamReq{lastEventID: ids[0]})
		r := b.nextReset()
		if r != (resetJSONOf{Port: ch.Port2.ID, LastEventID: ids[0], AckedThrough: ids[2]}) {
			t.Errorf("reset %+v, want port %s last_event_id %s acked_through %s", r, ch.Port2.ID, ids[0], ids[2])
		}
		for i := 3; i < 5; i++ {
			if m := b.nextMessage(); m.ID != ids[i] {
				t.Fatalf("reader B after the reset: %s, want %s", m.ID, ids[i])
			}
		}
		b.wantQuiet(50 * time.Millisecond)
		b.close()
		// B's resume acknowledged nothing more: it was behind.
		info := c.counts(ch.Port2)
		if info.AckedEventID != ids[2] || info.Queued != 2 || info.Posted != 5 || info.Acknowledged != 3 {
			t.Errorf("after B: %+v, want acked %s, queued 2, posted 5, acknowledged 3", info, ids[2])
		}

		// Without a resume point, or resuming at the acknowledged id, no
		// reset: nothing between was missed.
		for _, sr := range []streamReq{{}, {lastEventID: ids[2]}} {
			s := c.open(ch.Port2, sr)
			if m := s.nextMessage(); m.ID != ids[3] {
				t.Errorf("resume %q: first message %s, want %s", sr.lastEventID, m.ID, ids[3])
			}
			s.close()
		}
		// After it, neither; the resume acknowledges through it.
		s := c.open(ch.Port2, streamReq{lastEventID: ids[3]})
		if m := s.nextMessage(); m.ID != ids[4] {
			t.Errorf("resume after the acked id: first message %s, want %s", m.ID, ids[4])
		}
		s.close()
		info = c.counts(ch.Port2)
		if info.AckedEventID != ids[3] || info.Queued != 1 || info.Posted != 5 || info.Acknowledged != 4 {
			t.Errorf("at the end: %+v, want acked %s, queued 1, posted 5, acknowledged 4", info, ids[3])
		}
		if info := c.counts(ch.Port1); info.Posted != 0 || info.Acknowledged != 0 || info.Queued != 0 {
			t.Errorf("sender's side: %+v, want nothing counted", info)
		}
	})
}

// gatedStore holds every Read while closed, so that a test can change the
// port under a stream before the stream reads again.
type gatedStore struct {
	store.Store
	mu       sync.Mutex
	inFlight int
	gate     chan struct{} // nil while open
}

func (g *gatedStore) Read(ctx context.Context, c store.Credentials, after store.EventID, limit store.ReadLimit) (store.Batch, error) {
	g.mu.Lock()
	g.inFlight++
	gate := g.gate
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return store.Batch{}, ctx.Err()
		}
	}
	return g.Store.Read(ctx, c, after, limit)
}

// Subscribe turns every notice into a look, never a pushed message, so
// that everything the stream delivers goes through Read and its gate.
func (g *gatedStore) Subscribe(ctx context.Context, ports ...string) (*store.Subscription, error) {
	inner, err := g.Store.Subscribe(ctx, ports...)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	outer := store.NewSubscription(func() {
		close(done)
		wg.Wait()
		inner.Close()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-inner.C:
				for _, n := range inner.Take(nil) {
					outer.Add(store.Notice{Port: n.Port})
				}
			}
		}
	}()
	return outer, nil
}

// hold closes the gate once no read is under way, so that every read
// from now on sees what happens before release.
func (g *gatedStore) hold(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		g.mu.Lock()
		if g.inFlight == 0 {
			g.gate = make(chan struct{})
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("reads still under way after %v", waitLimit)
		}
		time.Sleep(time.Millisecond)
	}
}

func (g *gatedStore) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
}

// Point 4 of issue 3: messages acknowledged by someone else after an open
// stream's last delivered message, before the stream could send them,
// are reported with `event: reset` too, and the stream goes on.
func TestStreamResetMidStream(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		g := &gatedStore{Store: e.open(t, store.Limits{})}
		srv := NewServer(slog.New(slog.NewTextHandler(newTestLog(t), &slog.HandlerOptions{Level: slog.LevelWarn})), g, Config{KeepAlive: time.Minute})
		ts := httptest.NewServer(srv)
		t.Cleanup(func() {
			g.release()
			srv.CloseStreams()
			ts.Close()
		})
		c := &client{t: t, url: ts.URL, hc: ts.Client(), srv: srv, store: g}
		ch := c.createChannel()

		s := c.open(ch.Port2, streamReq{})
		first := c.send(ch.Port1, `1`)
		if m := s.nextMessage(); m.ID != first {
			t.Fatalf("first message %s, want %s", m.ID, first)
		}
		g.hold(t)
		c.send(ch.Port1, `2`)
		third := c.send(ch.Port1, `3`)
		c.ack(ch.Port2, third).want(t, http.StatusNoContent)
		g.release()

		r := s.nextReset()
		if r != (resetJSONOf{Port: ch.Port2.ID, LastEventID: first, AckedThrough: third}) {
			t.Errorf("reset %+v, want last_event_id %s acked_through %s", r, first, third)
		}
		fourth := c.send(ch.Port1, `4`)
		if m := s.nextMessage(); m.ID != fourth {
			t.Errorf("after the reset: %s, want %s", m.ID, fourth)
		}
		s.wantQuiet(50 * time.Millisecond)
	})
}

// Point 4 of issue 3: a long poll whose `after` is before the acknowledged
// id says so in `reset` and answers what follows the acknowledged
// messages; `next` moves past them even when nothing follows.
func TestListResetOnAckedAfter(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		var ids []string
		for i := range 5 {
			ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
		}
		c.ack(ch.Port2, ids[2]).want(t, http.StatusNoContent)

		l := c.listReset(ch.Port2, "after="+ids[0])
		if l.Reset == nil || l.Reset.LastEventID != ids[0] || l.Reset.AckedThrough != ids[2] || l.Reset.Port != "" {
			t.Errorf("reset %+v, want last_event_id %s acked_through %s", l.Reset, ids[0], ids[2])
		}
		if len(l.Messages) != 2 || l.Messages[0].ID != ids[3] || l.Messages[1].ID != ids[4] || l.Next != ids[4] {
			t.Errorf("messages %+v next %s, want %s and %s, next %s", l.Messages, l.Next, ids[3], ids[4], ids[4])
		}
		for _, q := range []string{"", "after=" + ids[2], "after=" + ids[3]} {
			if l := c.listReset(ch.Port2, q); l.Reset != nil {
				t.Errorf("%q: reset %+v, want none", q, l.Reset)
			}
		}

		// Everything acknowledged: an old `after` does not wait, and next
		// is past the acknowledged messages.
		c.ack(ch.Port2, ids[4]).want(t, http.StatusNoContent)
		start := time.Now()
		l = c.listReset(ch.Port2, "wait=30&after="+ids[1])
		if time.Since(start) >= answeredAtOnce {
			t.Errorf("a long poll with a reset to report waited %v", time.Since(start))
		}
		if l.Reset == nil || l.Reset.LastEventID != ids[1] || l.Reset.AckedThrough != ids[4] || len(l.Messages) != 0 || l.Next != ids[4] {
			t.Errorf("all acked: %+v, want reset %s..%s, no messages, next %s", l, ids[1], ids[4], ids[4])
		}
		if info := c.counts(ch.Port2); info.Posted != 5 || info.Acknowledged != 5 || info.Queued != 0 {
			t.Errorf("counts %+v, want posted 5 acknowledged 5 queued 0", info)
		}
	})
}
