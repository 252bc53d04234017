package handlers

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

func TestParseCORSOrigins(t *testing.T) {
	good := map[string][]string{
		"":                        nil,
		"https://app.example.com": {"https://app.example.com"},
		" https://A.example.com , http://localhost:3000 ": {"https://a.example.com", "http://localhost:3000"},
		"*": {"*"},
	}
	for in, want := range good {
		got, err := ParseCORSOrigins(in)
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"null", "NULL", "https://a.example.com,null", "*,https://a.example.com", "https://*.example.com",
		"*.example.com", "example.com", "ftp://example.com", "https://example.com/", "https://example.com/app",
		"https://user@example.com", "https://example.com?x=1", "https://example.com#x", "https://", "https://example.com:",
	} {
		if _, err := ParseCORSOrigins(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// corsServer is a server over the memory store that allows origins.
func corsServer(t *testing.T, origins ...string) (*httptest.Server, *Server) {
	t.Helper()
	st := memory.New(store.Limits{})
	t.Cleanup(func() { st.Close() })
	s := NewServer(slog.New(slog.NewTextHandler(newTestLog(t), &slog.HandlerOptions{Level: slog.LevelWarn})), st, Config{CORSOrigins: origins})
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
	})
	return ts, s
}

// corsHeaders returns the CORS headers of h.
func corsHeaders(h http.Header) map[string]string {
	got := map[string]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			got[k] = strings.Join(v, ",")
		}
	}
	return got
}

func preflight(t *testing.T, ts *httptest.Server, path, origin, method, headers string) *http.Response {
	t.Helper()
	r, _ := http.NewRequest(http.MethodOptions, ts.URL+path, nil)
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", method)
	if headers != "" {
		r.Header.Set("Access-Control-Request-Headers", headers)
	}
	res, err := ts.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func simple(t *testing.T, ts *httptest.Server, path, origin string) *http.Response {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	r.Header.Set("Origin", origin)
	res, err := ts.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// routeList is every route of the API, from the router itself, with a
// port id in place of {id} and a token id in place of {token_id}.
func routeList(t *testing.T, s *Server) [][2]string {
	t.Helper()
	var routes [][2]string
	err := chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.ReplaceAll(route, "{token_id}", "01M7ZA44XY8SS3CPCTSSJNAQ57")
		routes = append(routes, [2]string{method, strings.ReplaceAll(route, "{id}", "01M7Z9ZAEYB3WVD1BRTFA6JAW0")})
		return nil
	})
	if err != nil || len(routes) < 10 {
		t.Fatalf("routes %v: %v", routes, err)
	}
	return routes
}

func TestCORSPreflightEveryRoute(t *testing.T) {
	const origin = "https://app.example.com"
	ts, s := corsServer(t, origin, "http://localhost:3000")
	for _, rt := range routeList(t, s) {
		res := preflight(t, ts, rt[1], origin, rt[0], "authorization,content-type,idempotency-key,last-event-id")
		h := res.Header
		if res.StatusCode/100 != 2 || h.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), rt[0]) ||
			h.Get("Access-Control-Allow-Credentials") != "" || h.Get("Access-Control-Max-Age") != "600" {
			t.Errorf("%s %s: status %d, %v", rt[0], rt[1], res.StatusCode, corsHeaders(h))
		}
		allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
		for _, name := range []string{"authorization", "content-type", "last-event-id", "idempotency-key"} {
			if !strings.Contains(allowed, name) {
				t.Errorf("%s %s: header %s not allowed: %q", rt[0], rt[1], name, allowed)
			}
		}
		// A disallowed origin's preflight gets no CORS header at all.
		if got := corsHeaders(preflight(t, ts, rt[1], "https://evil.test", rt[0], "authorization").Header); len(got) != 0 {
			t.Errorf("%s %s from a disallowed origin: %v", rt[0], rt[1], got)
		}
	}
	// A header nobody sends is not allowed.
	if got := corsHeaders(preflight(t, ts, "/channels", origin, "POST", "x-custom").Header); len(got) != 0 {
		t.Errorf("preflight for x-custom: %v", got)
	}
	if got := corsHeaders(preflight(t, ts, "/channels", origin, "PUT", "").Header); got["Access-Control-Allow-Origin"] != "" {
		t.Errorf("preflight for PUT: %v", got)
	}
}

func TestCORSOrigins(t *testing.T) {
	ts, _ := corsServer(t, "https://example.com", "http://localhost:3000")
	allowed := []string{"https://example.com", "HTTPS://EXAMPLE.COM", "http://localhost:3000"}
	refused := []string{
		"null", "https://example.com.evil.test", "https://evil-example.com", "https://evilexample.com",
		"http://example.com", "https://example.com:8443", "https://example.com:443.evil.test", "https://sub.example.com",
		"http://localhost:3001", "http://localhost", "https://localhost:3000", "https://example.co", "https://example.com/",
		"https://example.com.", "https://example.com/x", "",
	}
	for _, o := range allowed {
		res := simple(t, ts, "/healthz", o)
		if got := res.Header.Get("Access-Control-Allow-Origin"); !strings.EqualFold(got, o) {
			t.Errorf("%q: Allow-Origin %q", o, got)
		}
		exposed := strings.ToLower(res.Header.Get("Access-Control-Expose-Headers"))
		for _, name := range []string{"retry-after", "idempotent-replayed", "www-authenticate"} {
			if !strings.Contains(exposed, name) {
				t.Errorf("%q: %s not exposed: %q", o, name, exposed)
			}
		}
		if res.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("%q: credentials allowed", o)
		}
	}
	for _, o := range refused {
		if got := corsHeaders(simple(t, ts, "/healthz", o).Header); len(got) != 0 {
			t.Errorf("%q got CORS headers %v", o, got)
		}
		if got := corsHeaders(preflight(t, ts, "/channels", o, "POST", "").Header); len(got) != 0 {
			t.Errorf("%q preflight got CORS headers %v", o, got)
		}
	}
	// A problem answer carries them too, so the page can read the code.
	r, _ := http.NewRequest("GET", ts.URL+"/ports/x", nil)
	r.Header.Set("Origin", "https://example.com")
	res, err := ts.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("Access-Control-Allow-Origin") != "https://example.com" {
		t.Errorf("401: status %d, %v", res.StatusCode, corsHeaders(res.Header))
	}
}

func TestCORSOffByDefault(t *testing.T) {
	ts, _ := corsServer(t)
	if got := corsHeaders(simple(t, ts, "/healthz", "https://example.com").Header); len(got) != 0 {
		t.Errorf("CORS headers with no origins set: %v", got)
	}
	res := preflight(t, ts, "/channels", "https://example.com", "POST", "authorization")
	if got := corsHeaders(res.Header); len(got) != 0 {
		t.Errorf("preflight with no origins set: %d %v", res.StatusCode, got)
	}
}

func TestCORSAnyOrigin(t *testing.T) {
	ts, _ := corsServer(t, "*")
	res := simple(t, ts, "/healthz", "https://whoever.test")
	if res.Header.Get("Access-Control-Allow-Origin") != "*" || res.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("any origin: %v", corsHeaders(res.Header))
	}
}
