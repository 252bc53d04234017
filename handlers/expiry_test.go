package handlers

import (
	"net/http"
	"testing"
	"time"
)

// Contract 12: a channel idle for the TTL is gone: its ports answer like
// unknown ones. Activity (here, reading) keeps it alive.
func TestChannelExpires(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		const ttl = time.Second
		c := e.server(t, func(o *options) { o.limits.ChannelTTL = ttl })
		ch := c.createChannel()
		c.send(ch.Port1, `"kept alive"`)
		for range 4 {
			time.Sleep(ttl / 3)
			if l := c.list(ch.Port2, ""); len(l.Messages) != 1 {
				t.Fatalf("before expiry: %+v", l)
			}
		}
		time.Sleep(ttl + ttl/2)
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
// its TTL while an idle one does not.
func TestListeningKeepsChannelAlive(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		// A keep-alive read every tenth of the TTL leaves a loaded machine
		// (the race detector, other tests in parallel) ample slack.
		const ttl = 2 * time.Second
		c := e.server(t, func(o *options) {
			o.limits.ChannelTTL = ttl
			o.cfg.KeepAlive = ttl / 10
		})
		listened, idle := c.createChannel(), c.createChannel()
		s := c.open(listened.Port2, streamReq{})
		time.Sleep(2*ttl + ttl/2)
		c.do(req{method: "GET", path: "/ports/" + idle.Port2.ID, token: idle.Port2.Token}).wantProblem(t, http.StatusUnauthorized, "unauthorized")
		id := c.send(listened.Port1, `"still here"`)
		if m := s.next(); m.id != id {
			t.Fatalf("got event %q, want %q", m.id, id)
		}
	})
}
