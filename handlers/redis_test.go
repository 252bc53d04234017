package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// The HTTP layer is tested on the embedded store (onMemory): whichever
// store answers, the handlers do the same, and the store suite
// (store/storetest) holds every Redis topology to the embedded store's
// rules. The tests here are the exceptions, about what only a Redis store
// does as seen over HTTP: messages pushed to waiting streams, within one
// instance and across instances, stored entries it cannot decode (on a
// stream, a long poll, a message's raw body), and binary messages, whose
// bytes a Redis store keeps apart from JSON (see testBinaryRoundTrip).
// They run on a single redis-server.

// TestRedis runs the HTTP tests that need a Redis store, in parallel, on
// one redis-server, each store with a key prefix of its own.
func TestRedis(t *testing.T) {
	t.Parallel()
	r := redisServer{srv: redistest.Start(t)}
	tests := []envTest{
		{"StreamMessageError", testStreamMessageError},
		{"LongPollMessageError", testLongPollMessageError},
		{"OriginDelivered", testOriginDelivered},
		{"RawBodyUndecodable", testRawBodyUndecodable},
		{"BinaryRoundTrip", testBinaryRoundTrip},
		{"BinaryCarriesPort", testBinaryCarriesPort},
		{"BinaryBroadcast", testBinaryBroadcast},
	}
	for _, tc := range pushTests {
		tests = append(tests, envTest{"Pushed" + tc.name, tc.run})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, r.env())
		})
	}
	t.Run("PushedAcrossInstances", func(t *testing.T) {
		t.Parallel()
		testPushedAcrossInstances(t, r)
	})
}

// redisServer opens Redis stores on one redis-server.
type redisServer struct {
	srv *redistest.Server
}

// env opens stores with key prefixes of their own.
func (r redisServer) env() env {
	return env{newStore: func(t *testing.T, limits store.Limits, now func() time.Time) store.Store {
		if now != nil {
			t.Fatal("a Redis store keeps Redis's time: it takes no clock")
		}
		return r.store(t, limits, redistest.Prefix(t))
	}}
}

// store opens a store on its own connections under prefix, as an instance
// of a deployment does; instances that share a prefix share their data.
func (r redisServer) store(t *testing.T, limits store.Limits, prefix string) store.Store {
	t.Helper()
	st, err := redisstore.New(context.Background(), r.srv.Client(t), redisstore.Options{
		Prefix: prefix,
		Limits: limits,
		Logger: slog.New(slog.NewTextHandler(newTestLog(t), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatalf("redis store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// testPushedAcrossInstances: two API servers over one Redis, as two
// instances of a deployment. A stream open on one gets what is posted
// through the other, in order, once each and nearly all of it pushed
// rather than read back; a long poll waiting on one is woken by a post
// through the other; and a close through the other ends the stream.
func testPushedAcrossInstances(t *testing.T, r redisServer) {
	const n = 100
	prefix := redistest.Prefix(t)
	a := serverOver(t, r.store(t, store.Limits{}, prefix))
	counted := &readCounter{Store: r.store(t, store.Limits{}, prefix)}
	b := serverOver(t, counted)

	ch := a.createChannel()
	s := b.open(ch.Port2, streamReq{})
	first := a.send(ch.Port1, `"first"`)
	if m := s.nextMessage(); m.ID != first {
		t.Fatalf("first message %s, want %s", m.ID, first)
	}
	before := counted.reads.Load()
	for i := range n {
		a.send(ch.Port1, strconv.Itoa(i))
	}
	wantInOrder(s, n)
	if reads := counted.reads.Load() - before; reads > n/10 {
		t.Errorf("%d reads for %d messages pushed from another instance, want at most %d", reads, n, n/10)
	}

	polled := b.pollAsync(ch.Port1, "wait=30")
	waitOpenCounts(t, b, 1, 2) // the stream, and the poll that waits
	id := a.send(ch.Port2, `"reply"`)
	if l := <-polled; len(l.Messages) != 1 || l.Messages[0].ID != id {
		t.Errorf("the long poll on the other instance: %+v, want %s", l, id)
	}

	a.closePort(ch.Port1).want(t, http.StatusNoContent)
	s.wantClose(ch.Port2)
}

// corruptEntries are stream entries that a Redis store cannot decode,
// written straight into Redis, with the reason each is delivered with.
var corruptEntries = []struct {
	name   string
	fields []string
	reason string
}{
	{"data not JSON", []string{"d", "{oops", "s", "01KAK9Q01VBCAB18KVMXVCJ4NX", "t", "1763731800456"}, "data is not JSON"},
	{"no data field", []string{"s", "01KAK9Q01VBCAB18KVMXVCJ4NX", "t", "1763731800456"}, "no data"},
	{"ports that do not parse", []string{"d", "1", "s", "01KAK9Q01VBCAB18KVMXVCJ4NX", "t", "1763731800456", "p", "not a list"}, "transferred ports do not parse"},
	{"a newer schema", []string{"v", "9", "body", "\x00\x01"}, "no data"},
	// Binary entries (bytes in b, their content type in c) gone wrong.
	{"bytes without a content type", []string{"b", "\x00\xff", "s", "01KAK9Q01VBCAB18KVMXVCJ4NX", "t", "1763731800456"}, "bytes without a content type"},
	{"bytes with a content type that is none", []string{"b", "\x00", "c", "png", "s", "01KAK9Q01VBCAB18KVMXVCJ4NX", "t", "1763731800456"}, "content type is not a content type"},
	{"both data and bytes", []string{"d", "1", "b", "\x00", "c", "image/png", "s", "01KAK9Q01VBCAB18KVMXVCJ4NX", "t", "1763731800456"}, "both data and bytes"},
}

// redisOf returns the test server's Redis store: the embedded store never
// holds what it cannot decode.
func redisOf(t *testing.T, c *client) *redisstore.Store {
	t.Helper()
	rs, ok := c.store.(*redisstore.Store)
	if !ok {
		t.Fatalf("the store is a %T: only a Redis store can hold an undecodable message", c.store)
	}
	return rs
}

// appendCorrupt writes one of corruptEntries as the next message at p.
func appendCorrupt(t *testing.T, c *client, p port, i int) string {
	t.Helper()
	id, err := redisstore.AppendRawEntry(t.Context(), redisOf(t, c), p.ID, corruptEntries[i].fields...)
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// wantMessageError fails the test unless ev is the messageerror event of
// the message id at p, for the reason.
func wantMessageError(t *testing.T, ev sseEvent, p port, id, reason string) {
	t.Helper()
	validateEventData(t, "MessageErrorEvent", ev.data)
	me := decodeEvent[messageError](t, ev, "messageerror")
	if ev.id != id || me.ID != id || me.Port != p.ID || me.Error != reason {
		t.Errorf("messageerror (id: %s) %+v, want id %s port %s error %q", ev.id, me, id, p.ID, reason)
	}
}

// wantData fails the test unless ev is the message event id with data.
func wantData(t *testing.T, ev sseEvent, id, data string) {
	t.Helper()
	validateEventData(t, "MessageEvent", ev.data)
	m := decodeEvent[message](t, ev, "message")
	if ev.id != id || m.ID != id || string(m.Data) != data {
		t.Errorf("message (id: %s) %+v, want id %s data %s", ev.id, m, id, data)
	}
}

// A stream meets undecodable messages, stored before it opened and while
// it is open: each comes as an `event: messageerror` with its id in its
// place, and the messages after it still arrive, in order. Resuming
// from a messageerror's id acknowledges through it.
func testStreamMessageError(t *testing.T, e env) {
	c := e.server(t)
	ch := c.createChannel()
	type item struct{ id, data, reason string }
	var items []item
	good := func(data string) {
		items = append(items, item{id: c.send(ch.Port1, data), data: data})
	}
	good(`"first"`)
	for i, ce := range corruptEntries {
		items = append(items, item{id: appendCorrupt(t, c, ch.Port2, i), reason: ce.reason})
		good(`{"after":` + string(rune('0'+i)) + `}`)
	}

	s := c.open(ch.Port2, streamReq{})
	check := func(it item, ev sseEvent) {
		t.Helper()
		if it.reason != "" {
			wantMessageError(t, ev, ch.Port2, it.id, it.reason)
		} else {
			wantData(t, ev, it.id, it.data)
		}
	}
	for _, it := range items {
		check(it, s.next())
	}

	// While the stream is open: a corrupt entry, then messages, some
	// pushed whole right after it.
	live := []item{{id: appendCorrupt(t, c, ch.Port2, 0), reason: corruptEntries[0].reason}}
	for _, d := range []string{`"live 1"`, `"live 2"`} {
		live = append(live, item{id: c.send(ch.Port1, d), data: d})
	}
	live = append(live, item{id: appendCorrupt(t, c, ch.Port2, 3), reason: corruptEntries[3].reason})
	live = append(live, item{id: c.send(ch.Port1, `"live 3"`), data: `"live 3"`})
	for _, it := range live {
		check(it, s.next())
	}
	s.close()

	// Resume from the second corrupt entry's id: it and everything
	// before it are acknowledged.
	through := items[3]
	if through.reason == "" {
		t.Fatal("test layout: items[3] should be a corrupt entry")
	}
	s = c.open(ch.Port2, streamReq{lastEventID: through.id})
	all := append(items[4:], live...)
	for _, it := range all {
		check(it, s.next())
	}
	if info := c.describe(ch.Port2); info.AckedEventID != through.id || info.Queued != len(all) {
		t.Errorf("after resuming from %s: acked %q queued %d, want %d queued", through.id, info.AckedEventID, info.Queued, len(all))
	}
	s.close()

	// And an explicit ack through the last corrupt entry.
	last := live[3]
	c.ack(ch.Port2, last.id).want(t, http.StatusNoContent)
	s = c.open(ch.Port2, streamReq{})
	check(live[4], s.next())
	s.wantQuiet(100 * time.Millisecond)
}

// A long poll answers undecodable messages in message_errors, in order,
// with next past them; acknowledging next deletes them with the rest, and
// a long poll that waits is woken by one.
func testLongPollMessageError(t *testing.T, e env) {
	c := e.server(t)
	ch := c.createChannel()
	g1 := c.send(ch.Port1, `"one"`)
	b1 := appendCorrupt(t, c, ch.Port2, 0)
	b2 := appendCorrupt(t, c, ch.Port2, 2)
	g2 := c.send(ch.Port1, `"two"`)

	l := c.list(ch.Port2, "")
	if len(l.Messages) != 2 || l.Messages[0].ID != g1 || l.Messages[1].ID != g2 {
		t.Fatalf("messages %+v, want %s and %s", l.Messages, g1, g2)
	}
	want := []messageError{{b1, ch.Port2.ID, corruptEntries[0].reason}, {b2, ch.Port2.ID, corruptEntries[2].reason}}
	if len(l.MessageErrors) != 2 || l.MessageErrors[0] != want[0] || l.MessageErrors[1] != want[1] {
		t.Errorf("message_errors %+v, want %+v", l.MessageErrors, want)
	}
	if l.Next != g2 {
		t.Errorf("next %q, want %q", l.Next, g2)
	}
	if got := c.scrape().value("tincan_messages_undecodable_total"); got != 2 {
		t.Errorf("undecodable messages counted %v, want 2", got)
	}

	// A batch that ends on an undecodable message: next is past it.
	l = c.list(ch.Port2, "limit=2")
	if len(l.Messages) != 1 || len(l.MessageErrors) != 1 || l.Next != b1 {
		t.Errorf("limit 2: %+v, want one message, one error, next %s", l, b1)
	}
	l = c.list(ch.Port2, "limit=1&after="+g1)
	if len(l.Messages) != 0 || len(l.MessageErrors) != 1 || l.MessageErrors[0].ID != b1 || l.Next != b1 {
		t.Errorf("after %s, limit 1: %+v, want only the error %s", g1, l, b1)
	}
	c.ack(ch.Port2, l.Next).want(t, http.StatusNoContent)
	l = c.list(ch.Port2, "")
	if len(l.MessageErrors) != 1 || l.MessageErrors[0].ID != b2 || len(l.Messages) != 1 || l.Messages[0].ID != g2 {
		t.Errorf("after acknowledging %s: %+v", b1, l)
	}
	c.ack(ch.Port2, l.Next).want(t, http.StatusNoContent)
	if info := c.describe(ch.Port2); info.Queued != 0 || info.AckedEventID != g2 {
		t.Errorf("after acknowledging everything: queued %d acked %q", info.Queued, info.AckedEventID)
	}

	// A waiting long poll is answered by an undecodable message alone.
	start := time.Now()
	polled := c.pollAsync(ch.Port2, "wait=30&after="+g2)
	waitOpenCounts(t, c, 0, 1) // the poll found nothing and waits
	b3 := appendCorrupt(t, c, ch.Port2, 1)
	l = <-polled
	if len(l.Messages) != 0 || len(l.MessageErrors) != 1 || l.MessageErrors[0].ID != b3 || l.Next != b3 {
		t.Errorf("waiting long poll: %+v, want the error %s", l, b3)
	}
	if elapsed := time.Since(start); elapsed >= answeredAtOnce {
		t.Errorf("waiting long poll took %v", elapsed)
	}
}
