package handlers

import (
	"net/http"
	"testing"
	"time"
)

// Contract 12: a channel idle for the TTL is gone: its ports answer like
// unknown ones. Activity (here, reading) keeps it alive.
func TestChannelExpires(t *testing.T) {
	forEachStore(t, func(t *testing.T, e env) {
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
