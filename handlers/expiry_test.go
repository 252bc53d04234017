package handlers

import (
	"net/http"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/storetest"
)

// A channel idle for the TTL is gone: its ports answer like
// unknown ones. Activity (here, reading) keeps it alive. The store's clock
// is moved rather than waited for.
func TestChannelExpires(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		const ttl = time.Hour
		clock := storetest.NewClock()
		c := e.server(t, func(o *options) {
			o.limits.ChannelTTL = ttl
			o.now = clock.Now
		})
		ch := c.createChannel()
		c.send(ch.Port1, `"kept alive"`)
		for range 4 {
			clock.Advance(ttl / 3)
			if l := c.list(ch.Port2, ""); len(l.Messages) != 1 {
				t.Fatalf("before expiry: %+v", l)
			}
		}
		clock.Advance(ttl)
		for _, p := range []port{ch.Port1, ch.Port2} {
			c.do(req{method: "GET", path: "/ports/" + p.ID, token: p.Token}).wantProblem(t, http.StatusUnauthorized, "unauthorized")
			c.postJSON(p, `{"data":1}`).wantProblem(t, http.StatusUnauthorized, "unauthorized")
			if s := c.open(p, streamReq{}); s.status != http.StatusUnauthorized {
				t.Errorf("stream on an expired port: %d", s.status)
			}
		}
	})
}

// Listening is activity: a stream's keep-alive reads the port, which
// restarts the channel's idle timer, so a channel with a listener outlives
// its TTL while an idle one does not. The keep-alives come often on the
// wall clock; the store's clock moves half a TTL at a time, each time once
// the stream has read since the last move.
func TestListeningKeepsChannelAlive(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		const ttl = time.Hour
		clock := storetest.NewClock()
		reads := &readCounter{}
		c := e.wrap(func(st store.Store) store.Store {
			reads.Store = st
			return reads
		}).server(t, func(o *options) {
			o.limits.ChannelTTL = ttl
			o.now = clock.Now
			o.cfg.KeepAlive = 10 * time.Millisecond
		})
		listened, idle := c.createChannel(), c.createChannel()
		s := c.open(listened.Port2, streamReq{})
		for range 5 {
			// The stream reads one port, one read after another: the
			// second read to end after the move began after it.
			moved := reads.reads.Load()
			clock.Advance(ttl / 2)
			deadline := time.Now().Add(waitLimit)
			for reads.reads.Load() < moved+2 {
				if time.Now().After(deadline) {
					t.Fatalf("the stream did not read within %v", waitLimit)
				}
				time.Sleep(time.Millisecond)
			}
		}
		c.do(req{method: "GET", path: "/ports/" + idle.Port2.ID, token: idle.Port2.Token}).wantProblem(t, http.StatusUnauthorized, "unauthorized")
		id := c.send(listened.Port1, `"still here"`)
		if m := s.next(); m.id != id {
			t.Fatalf("got event %q, want %q", m.id, id)
		}
	})
}
