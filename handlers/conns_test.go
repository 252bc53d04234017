package handlers

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/tincan-dev/tincan/internal/connlimit"
)

// TestForwardedClientConnections checks countForwardedClient: behind a
// trusted proxy, each client it names may hold MAX_CONNECTIONS_PER_CLIENT
// requests at once, the next is 429 too_many_connections with Retry-After,
// health checks are never refused, and a request ended counts out. A
// client that connects directly is not counted here: the listener counted
// its connection.
func TestForwardedClientConnections(t *testing.T) {
	e := memoryEnv()
	conns := connlimit.New(connlimit.Limits{PerClient: 1})
	trusting := func(proxies ...string) func(*options) {
		return func(o *options) {
			o.cfg.ClientConns = conns
			for _, p := range proxies {
				o.cfg.TrustedProxies = append(o.cfg.TrustedProxies, netip.MustParsePrefix(p))
			}
		}
	}
	c := e.server(t, trusting("127.0.0.0/8"))
	ch := c.createChannel()
	// The client at 192.0.2.1 already holds its one (a stream, say).
	release, ok := conns.Acquire(netip.MustParseAddr("192.0.2.1"))
	if !ok {
		t.Fatal("the first acquire was refused")
	}
	c.describeFrom(ch.Port1, "192.0.2.1").wantProblem(t, http.StatusTooManyRequests, "too_many_connections")
	res := c.do(req{method: "GET", path: "/ports/" + ch.Port1.ID, token: ch.Port1.Token, header: map[string]string{"X-Forwarded-For": "192.0.2.1"}})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "1" {
		t.Errorf("refusal: %d, Retry-After %q", res.status, res.header.Get("Retry-After"))
	}
	c.describeFrom(ch.Port1, "192.0.2.2").want(t, http.StatusOK)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		c.do(req{method: "GET", path: path, header: map[string]string{"X-Forwarded-For": "192.0.2.1"}}).want(t, http.StatusOK)
	}
	release()
	c.describeFrom(ch.Port1, "192.0.2.1").want(t, http.StatusOK)
	if s := conns.Stats(); s.Forwarded != 0 || s.RefusedForwarded != 2 {
		t.Errorf("after the requests: %+v, want none counted and 2 refused", s)
	}

	// Without trusted proxies the peer is the client, counted at accept.
	direct := e.server(t, trusting())
	hold, _ := conns.Acquire(netip.MustParseAddr("127.0.0.1"))
	defer hold()
	direct.describeFrom(direct.createChannel().Port1, "").want(t, http.StatusOK)
}
