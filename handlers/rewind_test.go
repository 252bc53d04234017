package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// Resume points the store does not know (issue 12, point 5): after a
// Redis failover rolled back the newest messages, or a restart without
// persistence lost them, a reader comes back with the id of a message the
// store no longer has. The store's newest id (Batch.LastID) is then before
// the reader's resume point. The memory store loses nothing, so these
// tests present a resume point the store never issued, which is exactly
// what such a reader looks like to it.

// unknownAfter returns a well-formed event id an hour after id: one the
// store has not issued, and that ids issued now stay before.
func unknownAfter(t *testing.T, id string) string {
	t.Helper()
	eid, err := store.ParseEventID(id)
	if err != nil {
		t.Fatal(err)
	}
	return store.EventID{Ms: eid.Ms + uint64(time.Hour/time.Millisecond)}.String()
}

// before reports whether the event id a sorts before b.
func before(t *testing.T, a, b string) bool {
	t.Helper()
	ea, err1 := store.ParseEventID(a)
	eb, err2 := store.ParseEventID(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("event ids %q, %q: %v, %v", a, b, err1, err2)
	}
	return ea.Compare(eb) < 0
}

// wantRewound fails unless r is the reset of a resume point lost after
// `to`.
func wantRewound(t *testing.T, r resetJSONOf, portID, lost, acked, to string) {
	t.Helper()
	if r.Port != portID || r.LastEventID != lost || r.AckedThrough != acked || r.RewoundTo == nil || *r.RewoundTo != to {
		t.Errorf("reset %+v (rewound_to %v), want port %q last_event_id %s acked_through %q rewound_to %q",
			r, orNil(r.RewoundTo), portID, lost, acked, to)
	}
}

// orNil is *s, or nil, for a message.
func orNil(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// A stream resuming after the newest id the store knows is not refused:
// it acknowledges only through that id, starts with a reset that says
// where it rewound to, and goes on after it, delivering a message posted
// afterwards although its id is before the lost resume point.
func TestStreamUnknownResume(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		var newest string
		for i := range 3 {
			newest = c.send(ch.Port1, strconv.Itoa(i))
		}
		for _, how := range []string{"header", "query"} {
			lost := unknownAfter(t, newest)
			sr := streamReq{lastEventID: lost}
			if how == "query" {
				sr = streamReq{query: "last_event_id=" + lost}
			}
			s := c.open(ch.Port2, sr)
			if s.status != http.StatusOK {
				t.Fatalf("%s: resume after the newest id: status %d, want 200", how, s.status)
			}
			wantRewound(t, s.nextReset(), ch.Port2.ID, lost, newest, newest)
			// Acknowledged through what the store knows, not beyond.
			if info := c.describe(ch.Port2); info.AckedEventID != newest || info.LastEventID != newest || info.Queued != 0 {
				t.Errorf("%s: after the resume: %+v, want acked and last %s, nothing queued", how, info, newest)
			}
			id := c.send(ch.Port1, `"after the rollback"`)
			if !before(t, id, lost) {
				t.Fatalf("%s: the new id %s is not before the lost resume point %s", how, id, lost)
			}
			if m := s.nextMessage(); m.ID != id {
				t.Fatalf("%s: after the reset: %s, want %s", how, m.ID, id)
			}
			s.close()
			newest = id
		}

		// A port that never had a message rewinds to the start: nothing
		// is acknowledged, and rewound_to is empty.
		empty := c.createChannel()
		s := c.open(empty.Port2, streamReq{lastEventID: "5-0"})
		wantRewound(t, s.nextReset(), empty.Port2.ID, "5-0", "", "")
		id := c.send(empty.Port1, `"first"`)
		if m := s.nextMessage(); m.ID != id {
			t.Fatalf("empty port, after the reset: %s, want %s", m.ID, id)
		}
		s.close()

		// A closed port does not answer 204 to a lost resume point, which
		// would stop the client without telling it: the reset comes
		// first, then the close.
		c.closePort(ch.Port1).want(t, http.StatusNoContent)
		lost := unknownAfter(t, newest)
		s = c.open(ch.Port2, streamReq{lastEventID: lost})
		if s.status != http.StatusOK {
			t.Fatalf("closed port, lost resume point: status %d, want 200", s.status)
		}
		wantRewound(t, s.nextReset(), ch.Port2.ID, lost, newest, newest)
		if ev := s.next(); ev.typ != "close" || ev.hasID {
			t.Fatalf("closed port after the reset: %+v, want event: close", ev)
		}
		s.wantEnd()
	})
}

// The long-poll form: an `after` past the newest id the store knows is
// answered with a reset carrying rewound_to and next = rewound_to, and
// acknowledges nothing; asking again from next gets what follows.
func TestListUnknownAfter(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		var ids []string
		for i := range 3 {
			ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
		}
		c.ack(ch.Port2, ids[0]).want(t, http.StatusNoContent)
		lost := unknownAfter(t, ids[2])
		for _, q := range []string{"after=" + lost, "wait=1&after=" + lost} {
			l := c.listReset(ch.Port2, q)
			if l.Reset == nil {
				t.Fatalf("%s: no reset: %+v", q, l)
			}
			wantRewound(t, *l.Reset, "", lost, ids[0], ids[2])
			if len(l.Messages) != 0 || l.Next != ids[2] {
				t.Errorf("%s: messages %+v, next %q; want none, next %s", q, l.Messages, l.Next, ids[2])
			}
		}
		if info := c.describe(ch.Port2); info.AckedEventID != ids[0] || info.Queued != 2 {
			t.Errorf("a long poll acknowledged something: %+v", info)
		}
		id := c.send(ch.Port1, `"after the rollback"`)
		l := c.listReset(ch.Port2, "after="+ids[2])
		if l.Reset != nil || len(l.Messages) != 1 || l.Messages[0].ID != id || l.Next != id {
			t.Errorf("from next: %+v, want the new message %s and no reset", l, id)
		}

		empty := c.createChannel()
		l = c.listReset(empty.Port2, "after=5-0")
		if l.Reset == nil {
			t.Fatalf("empty port: no reset: %+v", l)
		}
		wantRewound(t, *l.Reset, "", "5-0", "", "")
		if l.Next != "" {
			t.Errorf("empty port: next %q, want empty", l.Next)
		}
	})
}

// forgetfulStore answers, once armed, one read as a store that lost every
// message after `to` would: what a stream open across a failover's
// rollback reads next. Every notice is a look, so that the stream reads.
type forgetfulStore struct {
	*gatedStore
	mu     sync.Mutex
	forget *store.EventID
}

func (f *forgetfulStore) arm(to store.EventID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forget = &to
}

func (f *forgetfulStore) Read(ctx context.Context, c store.Credentials, after store.EventID, limit store.ReadLimit) (store.Batch, error) {
	b, err := f.gatedStore.Read(ctx, c, after, limit)
	f.mu.Lock()
	to := f.forget
	f.forget = nil
	f.mu.Unlock()
	if err != nil || to == nil {
		return b, err
	}
	b.LastID = *to
	b.Messages = slices.DeleteFunc(b.Messages, func(m store.Message) bool { return m.ID.Compare(*to) > 0 })
	return b, nil
}

// An open stream whose position the store no longer knows (the store
// lost its newest messages under it) sends the reset with rewound_to and
// goes on after rewound_to, rather than wait for ids the store may reach
// much later.
func TestStreamRewindMidStream(t *testing.T) {
	mem := memory.New(store.Limits{})
	t.Cleanup(func() { _ = mem.Close() })
	f := &forgetfulStore{gatedStore: &gatedStore{Store: mem}}
	srv := NewServer(slog.New(slog.NewTextHandler(newTestLog(t), &slog.HandlerOptions{Level: slog.LevelWarn})), f, Config{KeepAlive: time.Minute})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.CloseStreams()
		ts.Close()
	})
	c := &client{t: t, url: ts.URL, hc: ts.Client(), srv: srv, store: f}
	ch := c.createChannel()

	s := c.open(ch.Port2, streamReq{})
	first, second := c.send(ch.Port1, `1`), c.send(ch.Port1, `2`)
	for _, id := range []string{first, second} {
		if m := s.nextMessage(); m.ID != id {
			t.Fatalf("before the loss: %s, want %s", m.ID, id)
		}
	}
	to, err := store.ParseEventID(first)
	if err != nil {
		t.Fatal(err)
	}
	f.arm(to)
	third := c.send(ch.Port1, `3`)

	wantRewound(t, s.nextReset(), ch.Port2.ID, second, "", first)
	// What the store has after rewound_to comes next (here the message
	// the loss only pretended to take, as a failover's new primary may
	// hold a message under an id the stream sent before).
	for _, id := range []string{second, third} {
		if m := s.nextMessage(); m.ID != id {
			t.Fatalf("after the reset: %s, want %s", m.ID, id)
		}
	}
	s.wantQuiet(50 * time.Millisecond)
}

// lossBeforeAckStore loses, once armed, the port's messages after `to`
// up to `through` between a stream's first read and its
// acknowledgement: the read still saw them, the acknowledgement through
// them is refused as past the newest id, and reads from then on no longer
// see them (messages posted later are seen as usual). That is a failover
// completing while a stream resumes.
type lossBeforeAckStore struct {
	store.Store
	mu          sync.Mutex
	to, through store.EventID
	armed, lost bool
}

func (l *lossBeforeAckStore) Ack(ctx context.Context, c store.Credentials, through store.EventID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.armed && !l.lost && through.Compare(l.to) > 0 {
		l.lost = true
		return fmt.Errorf("ack %s after the newest id: %w", through, store.ErrInvalid)
	}
	return l.Store.Ack(ctx, c, through)
}

func (l *lossBeforeAckStore) Read(ctx context.Context, c store.Credentials, after store.EventID, limit store.ReadLimit) (store.Batch, error) {
	b, err := l.Store.Read(ctx, c, after, limit)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil || !l.lost {
		return b, err
	}
	gone := func(id store.EventID) bool { return id.Compare(l.to) > 0 && id.Compare(l.through) <= 0 }
	if gone(b.LastID) {
		b.LastID = l.to
	}
	b.Messages = slices.DeleteFunc(b.Messages, func(m store.Message) bool { return gone(m.ID) })
	return b, nil
}

// A stream resuming while the store loses its newest messages, between
// the read that shows the resume point known and the acknowledgement
// through it, is not refused: it reads again and rewinds. Seen from
// outside as a 400 to a reconnecting EventSource during a Sentinel
// failover.
func TestStreamResumeAcrossLossBeforeAck(t *testing.T) {
	mem := memory.New(store.Limits{})
	t.Cleanup(func() { _ = mem.Close() })
	l := &lossBeforeAckStore{Store: mem}
	srv := NewServer(slog.New(slog.NewTextHandler(newTestLog(t), &slog.HandlerOptions{Level: slog.LevelWarn})), l, Config{KeepAlive: time.Minute})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.CloseStreams()
		ts.Close()
	})
	c := &client{t: t, url: ts.URL, hc: ts.Client(), srv: srv, store: l}
	ch := c.createChannel()
	first, second := c.send(ch.Port1, `1`), c.send(ch.Port1, `2`)
	l.mu.Lock()
	l.to, l.through, l.armed = parseID(t, first), parseID(t, second), true
	l.mu.Unlock()

	s := c.open(ch.Port2, streamReq{lastEventID: second})
	if s.status != http.StatusOK {
		t.Fatalf("resume at %s while the store lost it: %d, want the stream", second, s.status)
	}
	wantRewound(t, s.nextReset(), ch.Port2.ID, second, first, first)
	third := c.send(ch.Port1, `3`)
	if m := s.nextMessage(); m.ID != third {
		t.Fatalf("after the rewind: %s, want %s", m.ID, third)
	}
}

func parseID(t *testing.T, s string) store.EventID {
	t.Helper()
	id, err := store.ParseEventID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
