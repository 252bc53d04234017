package handlers

import (
	"bytes"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	pathpkg "path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/ratelimit"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
	"github.com/tincan-dev/tincan/web"
)

// pagesServer is an API server over the memory store with the real pages,
// reached over loopback.
func pagesServer(t *testing.T, cfg Config) *client {
	t.Helper()
	cfg.Pages = web.Static()
	st := memory.New(store.Limits{})
	logs := newTestLog(t)
	s := NewServer(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), st, cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
		_ = st.Close()
	})
	return &client{t: t, url: ts.URL, hc: ts.Client(), srv: s, store: st, logs: logs}
}

// get fetches path as a browser would, without the spec check of
// client.do: a page's files are not API routes.
func (c *client) get(path string, header ...string) response {
	c.t.Helper()
	hr, err := http.NewRequest(http.MethodGet, c.url+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		hr.Header.Set(header[i], header[i+1])
	}
	res, err := c.hc.Do(hr)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("GET %s: read: %v", path, err)
	}
	if pagePaths[path] {
		checkSpec(c.t, hr, res, body)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}
}

// TestPagesServeEveryFile fetches every file of web/static at its path and
// checks it comes back whole, typed, validated by ETag and fenced by a
// Content-Security-Policy.
func TestPagesServeEveryFile(t *testing.T) {
	c := pagesServer(t, Config{})
	files := web.Static()
	n := 0
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		want, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		res := c.get("/" + name)
		if res.status != http.StatusOK {
			t.Errorf("GET /%s: %d", name, res.status)
			return nil
		}
		if !bytes.Equal(res.body, want) {
			t.Errorf("GET /%s: the body is not the file's", name)
		}
		checkPageHeaders(t, "/"+name, res)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d files in web/static", n)
	}
	for path, file := range map[string]string{"/": "index.html", "/docs": "docs.html"} {
		want, _ := fs.ReadFile(files, file)
		res := c.do(req{method: "GET", path: path}).want(t, http.StatusOK)
		if !bytes.Equal(res.body, want) {
			t.Errorf("GET %s is not %s", path, file)
		}
		checkPageHeaders(t, path, res)
	}
	checkPageHeaders(t, "/docs/errors", c.do(req{method: "GET", path: "/docs/errors"}).want(t, http.StatusOK))
}

// checkPageHeaders checks what every page and page file carries.
func checkPageHeaders(t *testing.T, path string, res response) {
	t.Helper()
	h := res.header
	ct, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case err != nil || ct == "" || ct == "application/octet-stream":
		t.Errorf("%s: Content-Type %q", path, h.Get("Content-Type"))
	case (path == "/" || path == "/docs" || strings.HasSuffix(path, ".html") || path == "/docs/errors") && ct != "text/html":
		t.Errorf("%s: Content-Type %q, want text/html", path, ct)
	case strings.HasSuffix(path, ".js") && ct != "text/javascript":
		t.Errorf("%s: Content-Type %q, want text/javascript", path, ct)
	case strings.HasSuffix(path, ".css") && ct != "text/css":
		t.Errorf("%s: Content-Type %q, want text/css", path, ct)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", path, h.Get("X-Content-Type-Options"))
	}
	if h.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(h.Get("ETag"), `"`) {
		t.Errorf("%s: Cache-Control %q, ETag %q", path, h.Get("Cache-Control"), h.Get("ETag"))
	}
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", path, csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") && path != "/docs" && path != "/docs.html" {
		t.Errorf("%s: Content-Security-Policy %q allows inline code or styles", path, csp)
	}
	if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "http") {
		t.Errorf("%s: Content-Security-Policy %q allows eval or another origin", path, csp)
	}
}

// TestPagesRevalidate checks that a stored copy is answered 304 while it
// is current, and in full once it is not.
func TestPagesRevalidate(t *testing.T) {
	c := pagesServer(t, Config{})
	for _, path := range []string{"/", "/docs", "/docs/errors", "/demo.js", "/vendor/redoc/redoc.standalone.js"} {
		first := c.get(path).want(t, http.StatusOK)
		etag := first.header.Get("ETag")
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
			res := c.get(path, "If-None-Match", inm)
			if res.status != http.StatusNotModified || len(res.body) != 0 || res.header.Get("ETag") != etag {
				t.Errorf("%s with If-None-Match %s: %d, %d bytes, ETag %q; want 304, none, %q", path, inm, res.status, len(res.body), res.header.Get("ETag"), etag)
			}
		}
		if res := c.get(path, "If-None-Match", `"stale"`); res.status != http.StatusOK || !bytes.Equal(res.body, first.body) {
			t.Errorf("%s with a stale ETag: %d", path, res.status)
		}
	}
	if a, b := c.get("/").header.Get("ETag"), c.get("/docs").header.Get("ETag"); a == b {
		t.Errorf("two pages share the ETag %s", a)
	}
}

// TestPagesLeaveTheAPIAlone checks that what is neither a route nor a file
// is answered as before the pages: 404 not_found, or 405 with Allow.
func TestPagesLeaveTheAPIAlone(t *testing.T) {
	c := pagesServer(t, Config{})
	for _, path := range []string{"/nowhere", "/demo.js/", "/vendor", "/vendor/redoc", "/../index.html", "/index.html/x", "/docs/errors/x", "/static/index.html"} {
		c.do(req{method: "GET", path: path}).wantProblem(t, http.StatusNotFound, "not_found")
	}
	// A file is read, never written or deleted.
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		c.do(req{method: m, path: "/demo.js"}).wantProblem(t, http.StatusNotFound, "not_found")
	}
	res := c.do(req{method: "POST", path: "/docs"})
	res.wantProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")
	if res.header.Get("Allow") != "GET" {
		t.Errorf("POST /docs: Allow %q, want GET", res.header.Get("Allow"))
	}
}

// TestPagesWithoutFiles checks a server given no pages: they are 404, and
// the error catalogue, made from the problem table, is served all the same.
// (The spec describes tincan as built, with its pages: it has no 404 for
// them, so these answers are not checked against it.)
func TestPagesWithoutFiles(t *testing.T) {
	c := newTestServerWithoutPages(t)
	for _, path := range []string{"/", "/docs"} {
		res, err := c.hc.Get(c.url + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s without pages: %d %s, want a 404 problem", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	c.do(req{method: "GET", path: "/demo.js"}).wantProblem(t, http.StatusNotFound, "not_found")
	c.do(req{method: "GET", path: "/docs/errors"}).want(t, http.StatusOK)
}

func newTestServerWithoutPages(t *testing.T) *client {
	t.Helper()
	st := memory.New(store.Limits{})
	s := NewServer(slog.New(slog.NewTextHandler(newTestLog(t), nil)), st, Config{})
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		_ = st.Close()
	})
	return &client{t: t, url: ts.URL, hc: ts.Client(), srv: s, store: st}
}

// TestPagesNotRateLimited loads the pages many times over a limit that
// lets one API request through per minute: the pages are all served, and
// the API is still limited.
func TestPagesNotRateLimited(t *testing.T) {
	limiter := ratelimit.New(ratelimit.NewMemory(), ratelimit.Limits{PerClient: ratelimit.Limit{Rate: 1, Burst: 1, Period: time.Minute}}, slog.New(slog.DiscardHandler))
	c := pagesServer(t, Config{RateLimiter: limiter})
	c.do(req{method: "POST", path: "/channels"}).want(t, http.StatusCreated)
	for range 5 {
		for _, path := range []string{"/", "/docs", "/docs/errors", "/demo.js", "/style.css", "/vendor/redoc/redoc.standalone.js"} {
			c.get(path).want(t, http.StatusOK)
		}
	}
	c.do(req{method: "POST", path: "/channels"}).wantRateLimited(t)
	// A path that is no file is counted like any request.
	c.do(req{method: "GET", path: "/nowhere"}).wantRateLimited(t)
}

// TestErrorCatalogueAnchors checks that /docs/errors has an entry, with the
// code as its anchor, for every code of the problem table and of the
// spec's ProblemCode, with the table's status.
func TestErrorCatalogueAnchors(t *testing.T) {
	c := pagesServer(t, Config{})
	page := string(c.do(req{method: "GET", path: "/docs/errors"}).want(t, http.StatusOK).body)

	rows := regexp.MustCompile(`<tr id="([^"]+)"[^>]*>\s*<td>(\d+)</td>`).FindAllStringSubmatch(page, -1)
	statusOf := map[string]string{}
	for _, r := range rows {
		if _, dup := statusOf[r[1]]; dup {
			t.Errorf("the catalogue has two entries for %s", r[1])
		}
		statusOf[r[1]] = r[2]
	}
	codes := map[string]int{internalError.code: internalError.status}
	for _, k := range problemKinds {
		codes[k.code] = k.status
	}
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for code, status := range problemStatuses(t, doc) {
		if codes[code] != 0 && codes[code] != status {
			t.Errorf("%s: status %d in the table, %d in the spec", code, codes[code], status)
		}
		codes[code] = status
	}
	for code, status := range codes {
		got, ok := statusOf[code]
		switch {
		case !ok:
			t.Errorf("/docs/errors has no entry with the anchor #%s", code)
		case got != strconv.Itoa(status):
			t.Errorf("/docs/errors#%s: status %s, want %d", code, got, status)
		}
		if !strings.Contains(page, `href="#`+code+`"`) {
			t.Errorf("/docs/errors#%s links not to itself", code)
		}
	}
	for code := range statusOf {
		if _, ok := codes[code]; !ok {
			t.Errorf("/docs/errors has an entry for %s, which no problem has", code)
		}
	}
	// Every meaning of a code is shown, as the client reads it.
	for _, k := range problemKinds {
		if !strings.Contains(page, templateEscape(k.detail)) {
			t.Errorf("/docs/errors#%s lacks the meaning %q", k.code, k.detail)
		}
	}
}

// templateEscape is s as html/template writes it in an element.
func templateEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\'':
			b.WriteString("&#39;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestPagesLoadOnlyTincan checks that the pages' HTML, CSS and scripts
// name no resource of another origin, and that every resource they name is
// served.
func TestPagesLoadOnlyTincan(t *testing.T) {
	c := pagesServer(t, Config{})
	refs := regexp.MustCompile(`(?:src|href)="([^"#]*)"|url\(([^)]*)\)|import [^'"]*['"]([^'"]+)['"]`)
	seen := 0
	for _, path := range []string{"/", "/docs", "/docs/errors", "/demo.js", "/docs.js", "/style.css",
		"/request-reply.js"} {
		body := string(c.get(path).want(t, http.StatusOK).body)
		for _, m := range refs.FindAllStringSubmatch(body, -1) {
			seen++
			ref := m[1] + m[2] + m[3]
			if ref == "" || strings.HasPrefix(ref, "data:") {
				continue
			}
			if strings.Contains(ref, "://") {
				// Links out are fine (the catalogue cites RFC 9457);
				// resources are not.
				if !strings.HasPrefix(m[0], `href="https://www.rfc-editor.org/`) {
					t.Errorf("%s names a resource elsewhere: %s", path, m[0])
				}
				continue
			}
			if m[3] != "" && strings.HasPrefix(ref, "./") {
				// A module's import is resolved against the module's own
				// URL, whatever page loads it: relative is as sure as
				// rooted there (and is what tsc leaves of a page's import
				// of the client package it compiles beside it).
				ref = pathpkg.Join(pathpkg.Dir(path), ref)
			} else if !strings.HasPrefix(ref, "/") {
				t.Errorf("%s names %q relative to itself; name it from the root", path, ref)
				continue
			}
			if c.get(ref).status != http.StatusOK {
				t.Errorf("%s names %s, which is not served", path, ref)
			}
		}
	}
	if seen < 10 {
		t.Errorf("found only %d references in the pages: is the pattern still right?", seen)
	}
}
