package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tincan-dev/tincan/ratelimit"
)

// HEAD answers as net/http users expect where a GET has no effect and does
// not wait, and stays 405 where it has or does.

// headlessGets are the GET routes that answer no HEAD, each with why: a
// HEAD there would do what the GET does (redeem a ticket, wait) without
// anyone to read the outcome. The routes a deployment needs probed, and
// the ones HEAD was asked for (the pages, the spec, the health checks,
// describing a port), are not here.
var headlessGets = map[string]string{
	"/ports/{id}/events":   "an event stream redeems its ticket and stays open",
	"/ports/{id}/messages": "a long poll waits",
	"/ports/{id}/tokens":   "not asked for: a list of credentials is read, not probed",
	"/collections/{id}":    "not asked for: nobody probes a collection",
}

// TestHeadRoutes holds the router to one rule: every GET route answers
// HEAD too, except the ones headlessGets names, and HEAD is never served
// without a GET beside it. (TestRoutesMatchSpec holds the spec to the
// router, HEAD included, both ways.)
func TestHeadRoutes(t *testing.T) {
	c := pagesServer(t, Config{})
	routes := map[string]bool{}
	err := chi.Walk(c.srv.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatalf("walk the router: %v", err)
	}
	for r := range routes {
		method, path, _ := strings.Cut(r, " ")
		switch method {
		case http.MethodGet:
			why, headless := headlessGets[path]
			if routes["HEAD "+path] == headless {
				t.Errorf("%s: HEAD served %v, want %v (%s)", r, !headless, headless, why)
			}
		case http.MethodHead:
			if !routes["GET "+path] {
				t.Errorf("%s without a GET beside it", r)
			}
		}
	}
	for path := range headlessGets {
		if !routes["GET "+path] {
			t.Errorf("headlessGets names %s, which has no GET route", path)
		}
	}
}

// head sends a HEAD like do, and checks that nothing came with it.
func (c *client) head(r req) response {
	c.t.Helper()
	r.method = http.MethodHead
	res := c.do(r)
	if len(res.body) != 0 {
		c.t.Errorf("HEAD %s: %d bytes of body", r.path, len(res.body))
	}
	return res
}

// wantSameHeaders fails unless head has get's status and headers, Date
// and the request id aside, with Content-Length exactly when get has it.
func wantSameHeaders(t *testing.T, what string, get, head response) {
	t.Helper()
	if head.status != get.status {
		t.Errorf("%s: HEAD %d, GET %d", what, head.status, get.status)
	}
	for _, h := range []http.Header{get.header, head.header} {
		h.Del("Date")
		h.Del(requestIDHeader)
	}
	// A GET of a body larger than net/http's buffer, without a length of
	// its own, is chunked, and a HEAD then has neither; the length is
	// checked on its own below.
	gotLen, wantLen := head.header.Get("Content-Length"), get.header.Get("Content-Length")
	if wantLen != "" && gotLen != wantLen {
		t.Errorf("%s: HEAD Content-Length %q, GET %q", what, gotLen, wantLen)
	}
	if wantLen != "" && wantLen != strconv.Itoa(len(get.body)) {
		t.Errorf("%s: GET Content-Length %q for %d bytes", what, wantLen, len(get.body))
	}
	var diff []string
	for k := range get.header {
		if !slices.Equal(get.header[k], head.header[k]) {
			diff = append(diff, k+": GET "+strings.Join(get.header[k], ",")+", HEAD "+strings.Join(head.header[k], ","))
		}
	}
	for k := range head.header {
		if get.header[k] == nil {
			diff = append(diff, k+": HEAD only "+strings.Join(head.header[k], ","))
		}
	}
	if len(diff) > 0 {
		slices.Sort(diff)
		t.Errorf("%s: headers differ:\n  %s", what, strings.Join(diff, "\n  "))
	}
}

// fetch sends method to path with the header pairs and reads the answer,
// without the spec check of do: a page's files are not API routes.
func (c *client) fetch(method, path string, header ...string) response {
	c.t.Helper()
	hr, err := http.NewRequest(method, c.url+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		hr.Header.Set(header[i], header[i+1])
	}
	res, err := c.hc.Do(hr)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}
}

// TestHeadAnswersAsGet asks every route that answers HEAD, and a file of
// the pages, with GET and with HEAD: the same status and headers, a
// length wherever the GET states one, and no body.
func TestHeadAnswersAsGet(t *testing.T) {
	c := pagesServer(t, Config{})
	ch := c.createChannel()
	p := ch.Port1
	for _, r := range []req{
		{path: "/healthz"},
		{path: "/readyz"},
		{path: "/openapi.yaml"},
		{path: "/metrics"},
		{path: "/"},
		{path: "/docs"},
		{path: "/docs/errors"},
		{path: "/ports/" + p.ID, token: p.Token},
		{path: "/ports/" + p.ID + "?access_token=" + p.Token},
	} {
		r.method = http.MethodGet
		get := c.do(r)
		if get.status != http.StatusOK {
			t.Fatalf("GET %s: %d", r.path, get.status)
		}
		head := c.head(r)
		wantSameHeaders(t, r.path, get, head)
		// Where tincan knows the length it says so, also where net/http
		// would not (a body larger than its buffer).
		switch r.path {
		case "/openapi.yaml", "/", "/docs", "/docs/errors":
			if head.header.Get("Content-Length") == "" {
				t.Errorf("HEAD %s: no Content-Length", r.path)
			}
		}
	}

	// The pages' files, served where no route is.
	for _, path := range []string{"/demo.js", "/style.css", "/vendor/redoc/redoc.standalone.js"} {
		get := c.fetch(http.MethodGet, path)
		head := c.fetch(http.MethodHead, path)
		if get.status != http.StatusOK || len(head.body) != 0 {
			t.Fatalf("%s: GET %d, HEAD with %d bytes of body", path, get.status, len(head.body))
		}
		wantSameHeaders(t, path, get, head)
		// Revalidated like a GET.
		again := c.fetch(http.MethodHead, path, "If-None-Match", get.header.Get("ETag"))
		if again.status != http.StatusNotModified {
			t.Errorf("HEAD %s with its ETag: %d, want 304", path, again.status)
		}
	}
	// A page revalidated by HEAD, through the spec check.
	etag := c.do(req{method: "GET", path: "/docs"}).header.Get("ETag")
	c.head(req{path: "/docs", header: map[string]string{"If-None-Match": etag}}).want(t, http.StatusNotModified)

	// With METRICS=off the GET is 404, and so is the HEAD.
	off := pagesServer(t, Config{DisableMetrics: true})
	wantSameHeaders(t, "/metrics off", off.do(req{method: "GET", path: "/metrics"}).want(t, http.StatusNotFound),
		off.head(req{path: "/metrics"}))
}

// TestHeadPortDescribe: HEAD on a port takes exactly the credentials GET
// does, answers every refusal with the GET's status and headers, and
// changes nothing (not even the acknowledgements of a queue).
func TestHeadPortDescribe(t *testing.T) {
	c := pagesServer(t, Config{})
	ch := c.createChannel()
	p := ch.Port1
	c.send(ch.Port2, `"waiting"`)
	listen := c.mint(p, "listen", "head").Token
	post := c.mint(p, "post", "head").Token
	moved := c.createChannel().Port1
	c.transfer(moved).want(t, http.StatusOK)
	before := c.describe(p)

	for _, tc := range []struct {
		name   string
		r      req
		status int
	}{
		{"own token", req{path: "/ports/" + p.ID, token: p.Token}, http.StatusOK},
		{"listen scope", req{path: "/ports/" + p.ID, token: listen}, http.StatusOK},
		{"post scope", req{path: "/ports/" + p.ID, token: post}, http.StatusOK},
		{"access_token", req{path: "/ports/" + p.ID + "?access_token=" + p.Token}, http.StatusOK},
		{"none", req{path: "/ports/" + p.ID}, http.StatusUnauthorized},
		{"peer's token", req{path: "/ports/" + p.ID, token: ch.Port2.Token}, http.StatusUnauthorized},
		{"malformed id", req{path: "/ports/nonsense", token: p.Token}, http.StatusUnauthorized},
		{"transferred-away token", req{path: "/ports/" + moved.ID, token: moved.Token}, http.StatusForbidden},
	} {
		tc.r.method = http.MethodGet
		get := c.do(tc.r).want(t, tc.status)
		head := c.head(tc.r)
		wantSameHeaders(t, tc.name, get, head)
		if tc.status == http.StatusUnauthorized && head.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: HEAD 401 without WWW-Authenticate", tc.name)
		}
		if tc.status >= 400 && head.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: HEAD %d of type %q", tc.name, head.status, head.header.Get("Content-Type"))
		}
	}
	if after := c.describe(p); after != before {
		t.Errorf("HEADs changed the port:\nbefore %+v\nafter  %+v", before, after)
	}

	// A deployment that keeps tokens out of URLs refuses them on HEAD too.
	strict := pagesServer(t, Config{RefuseQueryTokens: true})
	sp := strict.createChannel().Port1
	r := req{method: "GET", path: "/ports/" + sp.ID + "?access_token=" + sp.Token}
	wantSameHeaders(t, "query token refused", strict.do(r).want(t, http.StatusUnauthorized), strict.head(r))
}

// TestHeadStreamAndLongPoll: HEAD on the event stream and on the long poll
// is 405 with the route's Allow, answered at once; the stream's ticket is
// not used up and the queue is untouched.
func TestHeadStreamAndLongPoll(t *testing.T) {
	c := pagesServer(t, Config{})
	ch := c.createChannel()
	p := ch.Port2
	id := c.send(ch.Port1, `"for the stream"`)
	before := c.describe(p)

	tk := c.ticket(p)
	for _, tc := range []struct {
		r     req
		allow []string
	}{
		{req{path: tk.EventsURL}, []string{"GET"}},
		{req{path: "/ports/" + p.ID + "/events", token: p.Token, header: map[string]string{"Last-Event-ID": id}}, []string{"GET"}},
		{req{path: "/ports/" + p.ID + "/messages?wait=30", token: p.Token}, []string{"GET", "POST"}},
		{req{path: "/ports/" + p.ID + "/tokens", token: p.Token}, []string{"GET", "POST"}},
		{req{path: "/channels"}, []string{"POST"}},
	} {
		res := c.head(tc.r).want(t, http.StatusMethodNotAllowed)
		allow := res.header.Values("Allow")
		slices.Sort(allow)
		if !slices.Equal(allow, tc.allow) {
			t.Errorf("HEAD %s: Allow %v, want %v", tc.r.path, allow, tc.allow)
		}
		if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("HEAD %s: Content-Type %q", tc.r.path, ct)
		}
	}
	if after := c.describe(p); after != before {
		t.Errorf("HEADs changed the port:\nbefore %+v\nafter  %+v", before, after)
	}
	// The ticket still opens the stream, once.
	s := c.openURL(tk.EventsURL, "", nil)
	if s.status != http.StatusOK {
		t.Fatalf("the ticket after a HEAD: %d %s", s.status, s.body)
	}
	if m := s.nextMessage(); m.ID != id {
		t.Errorf("streamed %s, want %s", m.ID, id)
	}
	s.close()
}

// TestHeadPagesNotRateLimited: a HEAD of a page is as free as its GET.
func TestHeadPagesNotRateLimited(t *testing.T) {
	limiter := ratelimit.New(ratelimit.NewMemory(), ratelimit.Limits{PerClient: ratelimit.Limit{Rate: 1, Burst: 1, Period: time.Minute}}, slog.New(slog.DiscardHandler))
	c := pagesServer(t, Config{RateLimiter: limiter})
	c.do(req{method: "POST", path: "/channels"}).want(t, http.StatusCreated)
	for range 3 {
		c.head(req{path: "/"}).want(t, http.StatusOK)
		if res := c.fetch(http.MethodHead, "/demo.js"); res.status != http.StatusOK {
			t.Errorf("HEAD /demo.js: %d", res.status)
		}
	}
	c.head(req{path: "/ports/01M7Z9ZAEYB3WVD1BRTFA6JAW0"}).want(t, http.StatusTooManyRequests)
}

// TestHeadCORS: a page of an allowed origin may send HEAD where it may
// send GET, and reads the answer's headers.
func TestHeadCORS(t *testing.T) {
	const origin = "https://app.example.com"
	ts, _ := corsServer(t, origin)
	pre := preflight(t, ts, "/ports/01M7Z9ZAEYB3WVD1BRTFA6JAW0", origin, "HEAD", "authorization")
	if !strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "HEAD") {
		t.Errorf("preflight for HEAD: %v", corsHeaders(pre.Header))
	}
	hr, err := http.NewRequest(http.MethodHead, ts.URL+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Origin", origin)
	res, err := ts.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("HEAD /healthz from %s: %d %v", origin, res.StatusCode, corsHeaders(res.Header))
	}
}
