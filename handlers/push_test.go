package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// pushTests are about the messages a store pushes to the streams waiting
// for them (the Redis store pushes those without ports; the embedded one
// only rings): a stream uses a pushed message only where a read would have
// given it the same, and it reads otherwise. TestPushed runs them on the
// embedded store, for the streams' reads; TestRedis runs them on Redis,
// for its pushes.
var pushTests = []envTest{
	{"AfterTransfer", testPushedAfterTransfer},
	{"AfterRevoke", testPushedAfterRevoke},
	{"ThenClose", testPushedThenClose},
	{"Many", testPushedMany},
	{"Overflow", testPushedOverflow},
	{"LooksOnly", testLooksOnly},
}

func TestPushed(t *testing.T) {
	t.Parallel()
	for _, tc := range pushTests {
		t.Run(tc.name, func(t *testing.T) { onMemory(t, tc.run) })
	}
}

// serverOver starts a test server over st.
func serverOver(t *testing.T, st store.Store) *client {
	t.Helper()
	logs := newTestLog(t)
	s := NewServer(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), st, Config{KeepAlive: time.Minute})
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
	})
	return &client{t: t, url: ts.URL, hc: ts.Client(), srv: s, store: st, logs: logs}
}

// caughtUp opens p's stream and waits until it has delivered a first
// message from peer, so that the stream waits at the port's last id.
func caughtUp(c *client, p, peer port) *sseStream {
	c.t.Helper()
	s := c.open(p, streamReq{})
	first := c.send(peer, `"first"`)
	if m := s.nextMessage(); m.ID != first {
		c.t.Fatalf("first message %s, want %s", m.ID, first)
	}
	return s
}

// testPushedAfterTransfer: a message posted right after a port's transfer
// never reaches the stream of its old holder, which gets `transferred`.
func testPushedAfterTransfer(t *testing.T, e env) {
	c := e.server(t)
	for range 10 {
		ch := c.createChannel()
		s := caughtUp(c, ch.Port2, ch.Port1)
		c.transfer(ch.Port2).want(t, http.StatusOK)
		c.send(ch.Port1, `"after the transfer"`)
		if ev := s.next(); ev.typ != "transferred" {
			t.Fatalf("old holder got %+v, want event: transferred", ev)
		}
		s.wantEnd()
	}
}

// testPushedAfterRevoke: a message posted right after a listen token's
// revocation never reaches the stream opened with it, which ends as a
// read with a revoked token ends it.
func testPushedAfterRevoke(t *testing.T, e env) {
	c := e.server(t)
	for range 10 {
		ch := c.createChannel()
		m := c.mint(ch.Port2, "listen", "")
		s := caughtUp(c, port{ID: ch.Port2.ID, Token: m.Token}, ch.Port1)
		c.do(req{method: "DELETE", path: "/ports/" + ch.Port2.ID + "/tokens/" + m.ID, token: ch.Port2.Token}).want(t, http.StatusNoContent)
		c.send(ch.Port1, `"after the revocation"`)
		s.wantEnd()
	}
}

// testPushedThenClose: a message posted just before the channel closes is
// delivered, then the close.
func testPushedThenClose(t *testing.T, e env) {
	c := e.server(t)
	ch := c.createChannel()
	s := caughtUp(c, ch.Port2, ch.Port1)
	last := c.send(ch.Port1, `"last"`)
	c.closePort(ch.Port1).want(t, http.StatusNoContent)
	if m := s.nextMessage(); m.ID != last {
		t.Fatalf("got %s, want %s", m.ID, last)
	}
	s.wantClose(ch.Port2)
}

// readCounter counts Reads, from any goroutine.
type readCounter struct {
	store.Store
	reads atomic.Int64
}

func (s *readCounter) Read(ctx context.Context, c store.Credentials, after store.EventID, limit store.ReadLimit) (store.Batch, error) {
	s.reads.Add(1)
	return s.Store.Read(ctx, c, after, limit)
}

// wantInOrder reads n messages numbered 0 to n-1 from s.
func wantInOrder(s *sseStream, n int) {
	s.t.Helper()
	for i := range n {
		m := s.nextMessage()
		if string(m.Data) != strconv.Itoa(i) {
			s.t.Fatalf("message %d: data %s", i, m.Data)
		}
	}
	s.wantQuiet(50 * time.Millisecond)
}

// testPushedMany: messages posted one after another to a waiting stream
// all arrive, in order, once each; on Redis nearly none is read back from
// the store (a count of reads, not a timing).
func testPushedMany(t *testing.T, e env) {
	const n = 500
	st := &readCounter{Store: e.open(t, store.Limits{})}
	c := serverOver(t, st)
	ch := c.createChannel()
	s := caughtUp(c, ch.Port2, ch.Port1)
	before := st.reads.Load()
	done := make(chan struct{})
	go func() {
		defer close(done)
		wantInOrder(s, n)
	}()
	for i := range n {
		c.send(ch.Port1, strconv.Itoa(i))
	}
	<-done
	reads := st.reads.Load() - before
	t.Logf("%d messages, %d reads", n, reads)
	if _, isMemory := st.Store.(*memory.Store); !isMemory && reads > n/10 {
		t.Errorf("%d reads for %d pushed messages, want at most %d", reads, n, n/10)
	}
}

// pushGated holds reads like gatedStore, but its streams get pushed
// messages.
type pushGated struct{ *gatedStore }

func (g pushGated) Subscribe(ctx context.Context, ports ...string) (*store.Subscription, error) {
	return g.gatedStore.Store.Subscribe(ctx, ports...)
}

// testPushedOverflow: a stream held up (in a read here, as long as a slow
// client's write would hold it) while more than
// store.MaxNotices messages arrive gets them all, in order, once each: it
// falls back to reading them.
func testPushedOverflow(t *testing.T, e env) {
	const n = 3 * store.MaxNotices
	g := &gatedStore{Store: e.open(t, store.Limits{})}
	c := serverOver(t, pushGated{g})
	t.Cleanup(g.release)
	ch := c.createChannel()
	s := c.open(ch.Port2, streamReq{})
	other := c.mint(ch.Port2, "listen", "")
	g.hold(t)
	// Revoking a token has the stream read (on Redis; on the memory
	// store the first message does).
	c.do(req{method: "DELETE", path: "/ports/" + ch.Port2.ID + "/tokens/" + other.ID, token: ch.Port2.Token}).want(t, http.StatusNoContent)
	c.send(ch.Port1, `0`)
	deadline := time.Now().Add(waitLimit)
	for {
		g.mu.Lock()
		busy := g.inFlight > 0
		g.mu.Unlock()
		if busy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stream did not read")
		}
		time.Sleep(time.Millisecond)
	}
	for i := 1; i < n; i++ {
		c.send(ch.Port1, fmt.Sprint(i))
	}
	g.release()
	wantInOrder(s, n)
}

// testLooksOnly: a store whose notices are all looks, as a publisher from
// before pushed messages sends them, still has every message delivered.
func testLooksOnly(t *testing.T, e env) {
	const n = 100
	c := serverOver(t, &gatedStore{Store: e.open(t, store.Limits{})})
	ch := c.createChannel()
	s := c.open(ch.Port2, streamReq{})
	for i := range n {
		c.send(ch.Port1, strconv.Itoa(i))
	}
	wantInOrder(s, n)
}
