package handlers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/logscan"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// A test that gets no answer within this long fails rather than hangs.
const waitLimit = 10 * time.Second

// parkAll has every test server park its event streams
// (Config.ParkStreams): TestMain runs the package's tests once on each
// stream path.
var parkAll bool

// env opens stores, and servers over them, for one test.
type env struct {
	// newStore opens a fresh, empty store enforcing limits whose clock is
	// now, or the wall clock when now is nil.
	newStore func(t *testing.T, limits store.Limits, now func() time.Time) store.Store
}

// memoryEnv opens embedded stores, the ones the HTTP layer is tested on:
// which store answers is the store suite's concern (store/storetest, on
// memory and every Redis topology). The few HTTP tests that need what only
// Redis does are in redis_test.go.
func memoryEnv() env {
	return env{newStore: func(t *testing.T, limits store.Limits, now func() time.Time) store.Store {
		st := memory.New(limits, memory.WithClock(now))
		t.Cleanup(func() { _ = st.Close() })
		return st
	}}
}

// onMemory runs fn, in parallel with the package's other such tests, over
// embedded stores.
func onMemory(t *testing.T, fn func(t *testing.T, e env)) {
	t.Helper()
	t.Parallel()
	fn(t, memoryEnv())
}

// wrap returns an env whose stores are e's, as wrap makes them up: a test
// double that holds up or changes some calls and passes the rest.
func (e env) wrap(wrap func(store.Store) store.Store) env {
	return env{newStore: func(t *testing.T, limits store.Limits, now func() time.Time) store.Store {
		return wrap(e.newStore(t, limits, now))
	}}
}

// envTest is a named test that runs on the stores of the env it is given.
type envTest struct {
	name string
	run  func(t *testing.T, e env)
}

// open opens a fresh store on the wall clock.
func (e env) open(t *testing.T, limits store.Limits) store.Store {
	t.Helper()
	return e.newStore(t, limits, nil)
}

// options tune a test server.
type options struct {
	limits store.Limits
	cfg    Config
	// now is the store's clock (a storetest.Clock's Now), nil for the
	// wall clock.
	now func() time.Time
}

// server starts an API server over a fresh store and returns a client
// for it.
func (e env) server(t *testing.T, opts ...func(*options)) *client {
	t.Helper()
	o := options{cfg: Config{KeepAlive: time.Minute, ParkStreams: parkAll}}
	for _, f := range opts {
		f(&o)
	}
	st := e.newStore(t, o.limits, o.now)
	logs := newTestLog(t)
	// Debug, so that refusals are logged too, for the scan for secrets in
	// TestMain; testLog passes only warnings and errors on to the test.
	s := NewServer(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), st, o.cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
		// Parked streams are not the test server's to wait for.
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := s.WaitStreams(ctx); err != nil {
			t.Errorf("parked streams still open: %v", err)
		}
	})
	return &client{t: t, url: ts.URL, hc: ts.Client(), srv: s, store: st, logs: logs}
}

// testLog passes the server's warnings and errors to the test's log and
// fails the test on an ERROR entry: no test may provoke an internal error.
// Every entry, whatever its level, goes to the scan for secrets (see
// TestMain).
type testLog struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
	scan *logscan.Log
}

func newTestLog(t *testing.T) *testLog {
	l := &testLog{t: t, scan: logscan.New(t.Name())}
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.done = true
	})
	return l
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.scan.Write(p)
	quiet := bytes.Contains(p, []byte("level=DEBUG")) || bytes.Contains(p, []byte("level=INFO"))
	if !l.done && !quiet {
		l.t.Logf("server: %s", bytes.TrimSpace(p))
		if bytes.Contains(p, []byte("level=ERROR")) {
			l.t.Errorf("the server logged an error")
		}
	}
	return len(p), nil
}

// client talks to one test server.
type client struct {
	t     *testing.T
	url   string
	hc    *http.Client
	srv   *Server
	store store.Store
	logs  *testLog // the server's log
}

// response is a complete non-streaming answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// req is a request to send; zero fields are left out.
type req struct {
	method      string
	path        string
	token       string // sent as a bearer token
	contentType string
	body        string
	header      map[string]string
}

// do sends r and reads the whole answer, checking it against the spec.
func (c *client) do(r req) response {
	c.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, c.url+r.path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.contentType != "" {
		hr.Header.Set("Content-Type", r.contentType)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := c.hc.Do(hr)
	if err != nil {
		c.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", r.method, r.path, err)
	}
	checkSpec(c.t, hr, res, b)
	logscan.SecretsInJSON(b)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// json decodes the answer's body into a fresh T.
func decodeBody[T any](t *testing.T, res response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(res.body, &v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, res.body, err)
	}
	return v
}

// want fails the test unless the answer has the status.
func (res response) want(t *testing.T, status int) response {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d; body %s", res.status, status, res.body)
	}
	return res
}

// wantProblem fails the test unless the answer is the problem with code
// and status, and returns it.
func (res response) wantProblem(t *testing.T, status int, code string) problem {
	t.Helper()
	res.want(t, status)
	if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	p := decodeBody[problem](t, res)
	if p.Code != code || p.Status != status || p.Type != problemTypeBase+code || p.Title == "" || p.Detail == "" {
		t.Fatalf("problem %+v, want code %s status %d", p, code, status)
	}
	return p
}

// port is one end of a channel as a test holds it.
type port struct {
	ID    string
	Token string
}

// channel is a created channel.
type channel struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Port1     port      `json:"port1"`
	Port2     port      `json:"port2"`
}

func (c *client) createChannel() channel {
	c.t.Helper()
	res := c.do(req{method: "POST", path: "/channels"}).want(c.t, http.StatusCreated)
	return decodeBody[channel](c.t, res)
}

// postJSON posts a JSON body through p.
func (c *client) postJSON(p port, body string) response {
	c.t.Helper()
	return c.do(req{method: "POST", path: "/ports/" + p.ID + "/messages", token: p.Token, contentType: "application/json", body: body})
}

// send posts data (a JSON value) through p and returns the message's id.
func (c *client) send(p port, data string) string {
	c.t.Helper()
	res := c.postJSON(p, `{"data":`+data+`}`).want(c.t, http.StatusCreated)
	return decodeBody[struct{ ID string }](c.t, res).ID
}

// describe returns p's description.
func (c *client) describe(p port) portInfo {
	c.t.Helper()
	res := c.do(req{method: "GET", path: "/ports/" + p.ID, token: p.Token}).want(c.t, http.StatusOK)
	return decodeBody[portInfo](c.t, res)
}

// portInfo is GET /ports/{id}'s answer.
type portInfo struct {
	ID           string     `json:"id"`
	Channel      string     `json:"channel"`
	Peer         string     `json:"peer"`
	State        string     `json:"state"`
	CreatedAt    time.Time  `json:"created_at"`
	ClosedAt     *time.Time `json:"closed_at"`
	Queued       int        `json:"queued"`
	QueuedBytes  int64      `json:"queued_bytes"`
	LastEventID  string     `json:"last_event_id"`
	AckedEventID string     `json:"acked_event_id"`
}

// message is a delivered message as clients see it: Data for a JSON
// message (nil when the member is absent), Binary and ContentType for a
// binary one.
type message struct {
	ID          string          `json:"id"`
	Port        string          `json:"port"`
	Data        json.RawMessage `json:"data"`
	Binary      []byte          `json:"binary"`
	ContentType string          `json:"content_type"`
	Ports       []port          `json:"ports"`
	Source      string          `json:"source"`
	SentAt      time.Time       `json:"sent_at"`
	Origin      string          `json:"origin"`
}

// messageError stands for a message that could not be decoded.
type messageError struct {
	ID    string `json:"id"`
	Port  string `json:"port"`
	Error string `json:"error"`
}

// list is a long poll's answer.
type list struct {
	Messages      []message      `json:"messages"`
	MessageErrors []messageError `json:"message_errors"`
	Next          string         `json:"next"`
	State         string         `json:"state"`
}

// list reads p's queue as JSON with the query (without '?').
func (c *client) list(p port, query string) list {
	c.t.Helper()
	res := c.do(req{method: "GET", path: "/ports/" + p.ID + "/messages?" + query, token: p.Token}).want(c.t, http.StatusOK)
	return decodeBody[list](c.t, res)
}

func (c *client) ack(p port, through string) response {
	c.t.Helper()
	return c.do(req{method: "POST", path: "/ports/" + p.ID + "/ack", token: p.Token, contentType: "application/json", body: `{"through":"` + through + `"}`})
}

func (c *client) closePort(p port) response {
	c.t.Helper()
	return c.do(req{method: "POST", path: "/ports/" + p.ID + "/close", token: p.Token})
}

// transfer transfers p under a fresh Idempotency-Key, as a client that
// does not retry does.
func (c *client) transfer(p port) response {
	c.t.Helper()
	return c.transferWithKey(p, newKey())
}

// transferWithKey transfers p under the Idempotency-Key key.
func (c *client) transferWithKey(p port, key string) response {
	c.t.Helper()
	return c.do(req{method: "POST", path: "/ports/" + p.ID + "/transfer", token: p.Token, header: keyHeader(key)})
}

// newKey returns a fresh Idempotency-Key.
func newKey() string { return rand.Text() }

// keyHeader is the header that sends key as the Idempotency-Key.
func keyHeader(key string) map[string]string {
	return map[string]string{"Idempotency-Key": key}
}

// sseEvent is one dispatched event, or one comment, of a stream, parsed
// here line by line rather than with our own encoder's assumptions.
type sseEvent struct {
	comment string // set for a comment line, and nothing else is
	typ     string
	id      string
	hasID   bool
	data    string
	retry   string
}

// sseStream is an open event stream, as a test client sees it.
type sseStream struct {
	t      *testing.T
	status int
	header http.Header
	events chan sseEvent
	ended  chan struct{}
	body   io.Closer
}

// streamReq describes how to open a stream.
type streamReq struct {
	lastEventID string // the Last-Event-ID header
	query       string // without '?'
	queryToken  bool   // send the token as access_token instead of a header
}

// open opens p's event stream. It returns as soon as the headers are in;
// a non-200 answer's body is read whole.
func (c *client) open(p port, sr streamReq) *sseStream {
	c.t.Helper()
	q := sr.query
	if sr.queryToken {
		q += "&access_token=" + p.Token
	}
	hr, err := http.NewRequest("GET", c.url+"/ports/"+p.ID+"/events?"+q, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if !sr.queryToken {
		hr.Header.Set("Authorization", "Bearer "+p.Token)
	}
	if sr.lastEventID != "" {
		hr.Header.Set("Last-Event-ID", sr.lastEventID)
	}
	res, err := c.hc.Do(hr)
	if err != nil {
		c.t.Fatalf("open stream: %v", err)
	}
	s := &sseStream{t: c.t, status: res.StatusCode, header: res.Header, events: make(chan sseEvent, 1024), ended: make(chan struct{}), body: res.Body}
	c.t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		checkSpec(c.t, hr, res, b)
		close(s.ended)
		close(s.events)
		s.body = io.NopCloser(bytes.NewReader(b))
		return s
	}
	checkSpec(c.t, hr, res, nil) // the status and headers; frames are read below
	go s.read(res.Body)
	return s
}

// read parses the stream following the HTML standard's rules: lines end at
// CRLF, LF or CR; "field: value" with one optional space; a blank line
// dispatches; data lines join with "\n".
func (s *sseStream) read(body io.Reader) {
	defer close(s.ended)
	defer close(s.events)
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, 1<<20)
	sc.Split(scanLines)
	var ev sseEvent
	var data []string
	var any bool
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if any {
				ev.data = strings.Join(data, "\n")
				s.events <- ev
			}
			ev, data, any = sseEvent{}, nil, false
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "":
			s.events <- sseEvent{comment: value}
			continue
		case "event":
			ev.typ = value
		case "id":
			ev.id, ev.hasID = value, true
		case "data":
			data = append(data, value)
			logscan.SecretsInJSON([]byte(value))
		case "retry":
			ev.retry = value
		}
		any = true
	}
}

func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		switch b {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil // a CRLF may be split across reads
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// next returns the next event, skipping comments and the retry hint.
func (s *sseStream) next() sseEvent {
	s.t.Helper()
	for {
		ev := s.nextAny()
		if ev.comment == "" && ev.typ+ev.data+ev.id != "" {
			return ev
		}
	}
}

// nextAny returns the next event or comment.
func (s *sseStream) nextAny() sseEvent {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			s.t.Fatalf("stream ended, want another event")
		}
		return ev
	case <-time.After(waitLimit):
		s.t.Fatalf("no event within %v", waitLimit)
	}
	panic("unreachable")
}

// nextMessage returns the next event, which must be a message.
func (s *sseStream) nextMessage() message {
	s.t.Helper()
	ev := s.next()
	if ev.typ != "message" || !ev.hasID {
		s.t.Fatalf("got %+v, want a message event with an id", ev)
	}
	var m message
	if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
		s.t.Fatalf("message data %q: %v", ev.data, err)
	}
	if m.ID != ev.id {
		s.t.Fatalf("message id %q in an event with id %q", m.ID, ev.id)
	}
	return m
}

// wantEnd fails the test unless the stream ends (after any comments)
// without another event.
func (s *sseStream) wantEnd() {
	s.t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			}
			if ev.comment == "" {
				s.t.Fatalf("got %+v, want the stream to end", ev)
			}
		case <-timeout:
			s.t.Fatalf("stream still open after %v", waitLimit)
		}
	}
}

// wantQuiet fails the test if an event (not a comment) arrives within d.
func (s *sseStream) wantQuiet(d time.Duration) {
	s.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatalf("stream ended, want it open")
			}
			if ev.comment == "" {
				s.t.Fatalf("got %+v, want nothing", ev)
			}
		case <-timeout:
			return
		}
	}
}

// close hangs up.
func (s *sseStream) close() { s.body.Close() }

// checkSpec validates an answer (not a stream's frames) against
// api/openapi.yaml.
func checkSpec(t *testing.T, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	validateAgainstSpec(t, req, res, body)
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// decodeInto reads a JSON answer into v; it may run on any goroutine.
func decodeInto(t *testing.T, res *http.Response, v any) {
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Errorf("decode %T: %v", v, err)
	}
}

// decodeEvent decodes the data of ev, which must be an event of type typ
// with an id.
func decodeEvent[T any](t *testing.T, ev sseEvent, typ string) T {
	t.Helper()
	if ev.typ != typ || !ev.hasID {
		t.Fatalf("got %+v, want a %s event with an id", ev, typ)
	}
	var v T
	if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
		t.Fatalf("%s data %q: %v", typ, ev.data, err)
	}
	return v
}
