package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/ratelimit"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// limiterKind makes a rate limiting backend for a test.
type limiterKind struct {
	name    string
	backend func(t *testing.T) ratelimit.Backend
}

// limiterKinds are the backends the end-to-end rate limit tests run on.
var limiterKinds = []limiterKind{
	{"memory", func(*testing.T) ratelimit.Backend { return ratelimit.NewMemory() }},
	{"redis", func(t *testing.T) ratelimit.Backend {
		return ratelimit.NewRedis(redistest.Start(t).Client(t), redistest.Prefix(t), 0)
	}},
}

// forEachLimiter runs fn as a parallel subtest for every limiter backend,
// on servers over the memory store, in parallel with the package's other
// such tests.
func forEachLimiter(t *testing.T, fn func(t *testing.T, e env, backend ratelimit.Backend)) {
	t.Helper()
	t.Parallel()
	for _, k := range limiterKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			fn(t, memoryEnv(), k.backend(t))
		})
	}
}

// limited configures a test server with a Limiter on backend, and trusts
// the loopback proxies that the tests' X-Forwarded-For headers come from.
func limited(backend ratelimit.Backend, limits ratelimit.Limits, trusted ...string) func(*options) {
	return func(o *options) {
		o.cfg.RateLimiter = ratelimit.New(backend, limits, slog.New(slog.DiscardHandler))
		for _, p := range trusted {
			o.cfg.TrustedProxies = append(o.cfg.TrustedProxies, netip.MustParsePrefix(p))
		}
	}
}

// perMinute is a limit of one request a minute after a burst: within a
// test, nothing is refilled.
func perMinute(burst int) ratelimit.Limit {
	return ratelimit.Limit{Rate: 1, Burst: burst, Period: time.Minute}
}

// describeFrom describes p as the client at the forwarded address from
// (none if empty).
func (c *client) describeFrom(p port, from string) response {
	c.t.Helper()
	r := req{method: "GET", path: "/ports/" + p.ID, token: p.Token}
	if from != "" {
		r.header = map[string]string{"X-Forwarded-For": from}
	}
	return c.do(r)
}

// wantRateLimited fails unless res is 429 rate_limited with a Retry-After
// of whole seconds, at least 1, and returns the wait.
func (res response) wantRateLimited(t *testing.T) time.Duration {
	t.Helper()
	res.wantProblem(t, http.StatusTooManyRequests, "rate_limited")
	secs, err := strconv.Atoi(res.header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After %q, want whole seconds, at least 1", res.header.Get("Retry-After"))
	}
	return time.Duration(secs) * time.Second
}

func TestRateLimitBurstThenRetry(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, e env, b ratelimit.Backend) {
		c := e.server(t, limited(b, ratelimit.Limits{PerClient: ratelimit.Limit{Rate: 1, Burst: 4, Period: 3 * time.Second}}))
		ch := c.createChannel() // the burst's first request
		for range 3 {
			c.describeFrom(ch.Port1, "").want(t, http.StatusOK)
		}
		wait := c.describeFrom(ch.Port1, "").wantRateLimited(t)
		// Nothing else gets through either, whatever it is.
		c.do(req{method: "POST", path: "/channels"}).wantRateLimited(t)
		c.do(req{method: "GET", path: "/nowhere"}).wantRateLimited(t)
		c.postJSON(ch.Port1, `{"data":1}`).wantRateLimited(t)
		info, err := c.store.Describe(t.Context(), store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token})
		if err != nil || info.Queued != 0 {
			t.Fatalf("after a refused post the peer has %d queued (%v), want none", info.Queued, err)
		}
		time.Sleep(wait)
		c.describeFrom(ch.Port1, "").want(t, http.StatusOK)
		c.describeFrom(ch.Port1, "").wantRateLimited(t)
	})
}

// TestRateLimitCreations checks that with a limit on creations alone,
// each route that creates something is refused once a client's budget is
// spent, with Retry-After, while that client goes on posting, reading and
// acknowledging, and another client may still create.
func TestRateLimitCreations(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, e env, b ratelimit.Backend) {
		c := e.server(t, limited(b, ratelimit.Limits{CreatePerClient: perMinute(len(createRoutes))}, "127.0.0.0/8", "::1/128"))
		ch := c.createChannel()
		queued := c.send(ch.Port1, `"for a message ticket"`)
		creations := []req{
			{method: "POST", path: "/channels"},
			{method: "POST", path: "/collections"},
			{method: "POST", path: "/ports/" + ch.Port1.ID + "/tickets", token: ch.Port1.Token},
			{method: "POST", path: "/ports/" + ch.Port2.ID + "/messages/" + queued + "/tickets", token: ch.Port2.Token},
			{method: "POST", path: "/ports/" + ch.Port1.ID + "/tokens", token: ch.Port1.Token, contentType: "application/json", body: `{"scope":"post"}`},
			{method: "GET", path: "/ports/" + ch.Port2.ID + "/events", token: ch.Port2.Token},
		}
		// The channel above and one of each but the stream spend the
		// budget; a stream is opened last, and stays open.
		for _, r := range creations[1:5] {
			c.do(r).want(t, http.StatusCreated)
		}
		if s := c.open(ch.Port2, streamReq{}); s.status != http.StatusOK {
			t.Fatalf("the first stream: status %d", s.status)
		}
		for _, r := range creations {
			c.do(r).wantRateLimited(t)
		}
		// The service's work goes on for the same client.
		var last string
		for i := range 50 {
			last = c.send(ch.Port1, strconv.Itoa(i))
		}
		if l := c.list(ch.Port2, ""); len(l.Messages) == 0 {
			t.Fatal("the messages cannot be read")
		}
		c.ack(ch.Port2, last).want(t, http.StatusNoContent)
		c.describeFrom(ch.Port1, "").want(t, http.StatusOK)
		// Another client has a budget of its own.
		c.do(req{method: "POST", path: "/channels", header: map[string]string{"X-Forwarded-For": "192.0.2.1"}}).want(t, http.StatusCreated)
	})
}

// TestRateLimitPerToken checks that a token's limit holds whichever
// address it comes from, and leaves other tokens alone.
func TestRateLimitPerToken(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, e env, b ratelimit.Backend) {
		c := e.server(t, limited(b, ratelimit.Limits{PerClient: perMinute(3), PerToken: perMinute(3)}, "127.0.0.0/8", "::1/128"))
		ch := c.createChannel()
		for _, from := range []string{"192.0.2.1", "192.0.2.2", "2001:db8::1"} {
			c.describeFrom(ch.Port1, from).want(t, http.StatusOK)
		}
		c.describeFrom(ch.Port1, "192.0.2.4").wantRateLimited(t)
		// The same token in the URL is the same credential.
		c.do(req{method: "GET", path: "/ports/" + ch.Port1.ID + "/messages?access_token=" + ch.Port1.Token,
			header: map[string]string{"X-Forwarded-For": "192.0.2.5"}}).wantRateLimited(t)
		// The other port's token has its own budget, from an address
		// that has already spent some of its own.
		c.describeFrom(ch.Port2, "192.0.2.1").want(t, http.StatusOK)
	})
}

// TestRateLimitPerClient checks that an address's limit holds whatever
// tokens it presents, and leaves other addresses alone.
func TestRateLimitPerClient(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, e env, b ratelimit.Backend) {
		c := e.server(t, limited(b, ratelimit.Limits{PerClient: perMinute(3), PerToken: perMinute(3)}, "127.0.0.0/8", "::1/128"))
		ch := c.createChannel() // from the TCP peer, not 192.0.2.1
		c.describeFrom(ch.Port1, "192.0.2.1").want(t, http.StatusOK)
		c.describeFrom(ch.Port2, "192.0.2.1").want(t, http.StatusOK)
		c.do(req{method: "GET", path: "/ports/" + ch.Port1.ID, header: map[string]string{"X-Forwarded-For": "192.0.2.1"}}).
			wantProblem(t, http.StatusUnauthorized, "unauthorized")
		c.describeFrom(ch.Port2, "192.0.2.1").wantRateLimited(t)
		// A proxy chain: the right-most untrusted address is the client;
		// what the client wrote further left counts for nothing.
		c.describeFrom(ch.Port1, "198.51.100.7, 192.0.2.1, 127.0.0.2").wantRateLimited(t)
		c.describeFrom(ch.Port1, "192.0.2.1, 192.0.2.2").want(t, http.StatusOK)
	})
}

// TestRateLimitUntrustedForwardedFor checks that a client that is not a
// trusted proxy cannot spread its requests over forged addresses.
func TestRateLimitUntrustedForwardedFor(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, e env, b ratelimit.Backend) {
		// Trusts a network the test's connections do not come from.
		c := e.server(t, limited(b, ratelimit.Limits{PerClient: perMinute(3)}, "10.0.0.0/8"))
		ch := c.createChannel()
		c.describeFrom(ch.Port1, "192.0.2.1").want(t, http.StatusOK)
		c.describeFrom(ch.Port1, "192.0.2.2").want(t, http.StatusOK)
		for _, forged := range []string{"192.0.2.3", "10.0.0.1", "192.0.2.4, 10.0.0.1"} {
			c.describeFrom(ch.Port1, forged).wantRateLimited(t)
		}
	})
}

// TestRateLimitHealthChecks checks that health checks and metrics are
// answered however busy the client is.
func TestRateLimitHealthChecks(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, e env, b ratelimit.Backend) {
		c := e.server(t, limited(b, ratelimit.Limits{PerClient: perMinute(1), PerToken: perMinute(1)}))
		c.do(req{method: "GET", path: "/openapi.yaml"}).want(t, http.StatusOK)
		c.do(req{method: "GET", path: "/openapi.yaml"}).wantRateLimited(t)
		for range 20 {
			c.do(req{method: "GET", path: "/healthz", token: "x"}).want(t, http.StatusOK)
			c.do(req{method: "GET", path: "/readyz", token: "x"}).want(t, http.StatusOK)
			c.do(req{method: "GET", path: "/metrics", token: "x"}).want(t, http.StatusOK)
		}
	})
}

// TestRateLimitScaleOut checks that two API servers sharing a Redis share
// the limits: a client cannot double its rate by spreading its requests.
func TestRateLimitScaleOut(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := srv.Client(t)
	prefix := redistest.Prefix(t)
	limits := ratelimit.Limits{PerClient: perMinute(4)}
	a, b := scaledServer(t, rc, prefix, limits), scaledServer(t, rc, prefix, limits)

	ch := a.createChannel()
	b.describeFrom(ch.Port1, "").want(t, http.StatusOK)
	a.describeFrom(ch.Port1, "").want(t, http.StatusOK)
	b.describeFrom(ch.Port1, "").want(t, http.StatusOK)
	a.describeFrom(ch.Port1, "").wantRateLimited(t)
	b.describeFrom(ch.Port1, "").wantRateLimited(t)
}

// TestRateLimitCreationsScaleOut checks that instances sharing a Redis
// share the creation limit too, and that it stops nothing else.
func TestRateLimitCreationsScaleOut(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := srv.Client(t)
	prefix := redistest.Prefix(t)
	limits := ratelimit.Limits{CreatePerClient: perMinute(3)}
	a, b := scaledServer(t, rc, prefix, limits), scaledServer(t, rc, prefix, limits)

	ch := a.createChannel()
	b.createChannel()
	a.createChannel()
	b.do(req{method: "POST", path: "/channels"}).wantRateLimited(t)
	a.do(req{method: "POST", path: "/collections"}).wantRateLimited(t)
	for range 10 {
		b.send(ch.Port1, `"still served"`)
	}
}

// scaledServer starts an API server over the Redis store and a limiter
// with limits at prefix, as one of several instances of a deployment.
func scaledServer(t *testing.T, rc redis.UniversalClient, prefix string, limits ratelimit.Limits) *client {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(newTestLog(t), &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := redisstore.New(context.Background(), rc, redisstore.Options{Prefix: prefix, Logger: logger})
	if err != nil {
		t.Fatalf("redis store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	limiter := ratelimit.New(ratelimit.NewRedis(rc, prefix, 0), limits, logger)
	s := NewServer(logger, st, Config{KeepAlive: time.Minute, RateLimiter: limiter})
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
	})
	return &client{t: t, url: ts.URL, hc: ts.Client(), srv: s, store: st}
}

// TestRateLimitRedisDown checks that the API keeps serving when the
// limiter's Redis stops: the limits fail open.
func TestRateLimitRedisDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	e := memoryEnv()
	c := e.server(t, func(o *options) {
		o.cfg.RateLimiter = ratelimit.New(ratelimit.NewRedis(srv.Client(t), redistest.Prefix(t), 0),
			ratelimit.Limits{PerClient: perMinute(2), PerToken: perMinute(2)}, slog.New(slog.DiscardHandler))
	})
	ch := c.createChannel()
	c.describeFrom(ch.Port1, "").want(t, http.StatusOK)
	c.describeFrom(ch.Port1, "").wantRateLimited(t)
	srv.Stop()
	for range 10 {
		c.describeFrom(ch.Port1, "").want(t, http.StatusOK)
	}
	c.send(ch.Port1, `"still served"`)
}

// TestStreamsCountForwardedClients checks that behind a trusted proxy the
// streams per client are counted per forwarded address.
func TestStreamsCountForwardedClients(t *testing.T) {
	e := memoryEnv()
	c := e.server(t, func(o *options) {
		o.cfg.MaxStreamsPerClient = 1
		o.cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	open := func(from string) *http.Response {
		ch := c.createChannel()
		hr, _ := http.NewRequest("GET", c.url+"/ports/"+ch.Port1.ID+"/events", nil)
		hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
		hr.Header.Set("X-Forwarded-For", from)
		res, err := c.hc.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	for _, from := range []string{"192.0.2.1", "192.0.2.2"} {
		if res := open(from); res.StatusCode != http.StatusOK {
			t.Fatalf("first stream from %s: status %d", from, res.StatusCode)
		}
	}
	if res := open("192.0.2.1"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second stream from 192.0.2.1: status %d, want 429", res.StatusCode)
	}
}

// TestRateLimitAnswerReadableByPages checks that a page on an allowed
// origin can read a 429 and its Retry-After: the limiter runs after the
// CORS middleware, so its refusals carry the CORS headers too.
func TestRateLimitAnswerReadableByPages(t *testing.T) {
	const origin = "https://app.example"
	st := memory.New(store.Limits{})
	t.Cleanup(func() { _ = st.Close() })
	s := NewServer(slog.New(slog.DiscardHandler), st, Config{
		CORSOrigins: []string{origin},
		RateLimiter: ratelimit.New(ratelimit.NewMemory(), ratelimit.Limits{PerClient: perMinute(1)}, slog.New(slog.DiscardHandler)),
	})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	if res := simple(t, ts, "/openapi.yaml", origin); res.StatusCode != http.StatusOK {
		t.Fatalf("first request: %d, want 200", res.StatusCode)
	}
	res := simple(t, ts, "/openapi.yaml", origin)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second request: %d, want 429", res.StatusCode)
	}
	h := corsHeaders(res.Header)
	if h["Access-Control-Allow-Origin"] != origin || !strings.Contains(h["Access-Control-Expose-Headers"], "Retry-After") {
		t.Errorf("429's CORS headers %v: the page cannot read it or its Retry-After", h)
	}
}

// TestCreateRoutes holds createRoutes to the router: each is one of its
// routes; every route's requests are counted as creations exactly when it
// is listed; and on odd paths creates agrees with the router about which
// route a request reaches.
func TestCreateRoutes(t *testing.T) {
	st := memory.New(store.Limits{})
	t.Cleanup(func() { _ = st.Close() })
	s := NewServer(nil, st, Config{})
	var routes []string
	err := chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes = append(routes, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatalf("walk the router: %v", err)
	}
	for _, route := range createRoutes {
		if !slices.Contains(routes, route) {
			t.Errorf("createRoutes lists %s, which the router does not serve", route)
		}
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	for _, route := range routes {
		method, pattern, _ := strings.Cut(route, " ")
		r := httptest.NewRequest(method, param.ReplaceAllString(pattern, "01M7Z9ZAEYB3WVD1BRTFA6JAW0"), nil)
		if got, want := creates(r), slices.Contains(createRoutes, route); got != want {
			t.Errorf("%s counted as a creation: %v, want %v", route, got, want)
		}
	}
	for _, target := range []string{
		"/channels/", "//channels", "/channels?x=1", "/CHANNELS", "/ports//events", "/ports/a%2Fb/events",
		"/ports/x/events/", "/ports/x/y/events", "/ports/x/tickets", "/ports/x/tokens/y", "/collections/x",
	} {
		for _, method := range []string{"GET", "POST", "HEAD"} {
			r := httptest.NewRequest(method, target, nil)
			path := r.URL.RawPath
			if path == "" {
				path = r.URL.Path
			}
			pattern := s.router.Find(chi.NewRouteContext(), method, path)
			want := pattern != "" && slices.Contains(createRoutes, method+" "+pattern)
			if got := creates(r); got != want {
				t.Errorf("%s %s counted as a creation: %v; the router finds %q", method, target, got, pattern)
			}
		}
	}
	r := httptest.NewRequest("POST", "/ports/01M7Z9ZAEYB3WVD1BRTFA6JAW0/messages", nil)
	if n := testing.AllocsPerRun(100, func() { creates(r) }); n != 0 {
		t.Errorf("creates allocates %v times a request", n)
	}
}
