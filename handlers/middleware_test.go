package handlers

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/logscan"
	"github.com/tincan-dev/tincan/internal/syncbuf"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// jsonLogServer starts a server over a memory store that logs JSON, at
// debug level, to the returned buffer (and to the scan for secrets).
func jsonLogServer(t *testing.T) (*client, *syncbuf.Buffer) {
	t.Helper()
	st := memory.New(store.Limits{})
	t.Cleanup(func() { _ = st.Close() })
	var buf syncbuf.Buffer
	scan := logscan.New(t.Name())
	logger := slog.New(slog.NewJSONHandler(io.MultiWriter(&buf, scan), &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := NewServer(logger, st, Config{KeepAlive: time.Minute})
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
	})
	return &client{t: t, url: ts.URL, hc: ts.Client(), srv: s, store: st, logs: newTestLog(t)}, &buf
}

// logEntries parses a JSON log.
func logEntries(t *testing.T, text string) []map[string]any {
	t.Helper()
	var entries []map[string]any
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		entries = append(entries, e)
	}
	return entries
}

// entriesOf are the entries with message msg and request id id.
func entriesOf(entries []map[string]any, msg, id string) []map[string]any {
	var out []map[string]any
	for _, e := range entries {
		if e["msg"] == msg && e["request_id"] == id {
			out = append(out, e)
		}
	}
	return out
}

// A sane X-Request-ID is kept and echoed; a missing or unfit one is
// replaced by a fresh id, different each time.
func TestRequestID(t *testing.T) {
	c, _ := jsonLogServer(t)
	cases := []struct {
		sent string
		keep bool
	}{
		{"", false},
		{"abc-123_4.5:6/7+8=", true},
		{strings.Repeat("x", maxRequestIDLen), true},
		{strings.Repeat("x", maxRequestIDLen+1), false},
		{"has space", false},
		{`quote"d`, false},
		{"caf\u00e9", false},
		{"a\tb", false},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		r := req{method: "GET", path: "/healthz"}
		if tc.sent != "" {
			r.header = map[string]string{requestIDHeader: tc.sent}
		}
		got := c.do(r).want(t, http.StatusOK).header.Get(requestIDHeader)
		switch {
		case tc.keep && got != tc.sent:
			t.Errorf("sent %q, echoed %q", tc.sent, got)
		case !tc.keep && (got == tc.sent || sanitizeRequestID(got) == "" || len(got) < 16):
			t.Errorf("sent %q, echoed %q: want a fresh id", tc.sent, got)
		}
		if !tc.keep {
			if seen[got] {
				t.Errorf("id %q made twice", got)
			}
			seen[got] = true
		}
	}
}

// The request line has the route pattern, status, duration and request
// id; a refusal's log entry has the request id too; streams log their
// opening and their end with the messages written; no token appears.
func TestRequestLog(t *testing.T) {
	c, logs := jsonLogServer(t)
	ch := c.createChannel()
	c.send(ch.Port1, `"one"`)
	c.send(ch.Port1, `"two"`)

	res := c.do(req{method: "GET", path: "/ports/" + ch.Port2.ID, token: ch.Port2.Token, header: map[string]string{requestIDHeader: "describe-1"}}).want(t, http.StatusOK)
	if res.header.Get(requestIDHeader) != "describe-1" {
		t.Fatalf("echoed %q", res.header.Get(requestIDHeader))
	}
	c.do(req{method: "GET", path: "/ports/" + ch.Port2.ID, token: "wrong", header: map[string]string{requestIDHeader: "refused-1"}}).wantProblem(t, http.StatusUnauthorized, "unauthorized")

	s := c.open(ch.Port2, streamReq{})
	streamID := s.header.Get(requestIDHeader)
	s.nextMessage()
	s.nextMessage()
	s.close()

	deadline := time.Now().Add(waitLimit)
	var entries []map[string]any
	for {
		entries = logEntries(t, logs.String())
		// The stream's request line comes last, once its handler is done.
		if len(entriesOf(entries, "request", streamID)) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	lines := entriesOf(entries, "request", "describe-1")
	if len(lines) != 1 {
		t.Fatalf("%d request lines for describe-1 in\n%s", len(lines), logs)
	}
	line := lines[0]
	if line["route"] != "/ports/{id}" || line["method"] != "GET" || line["path"] != "/ports/"+ch.Port2.ID || line["status"] != float64(200) {
		t.Errorf("request line %v", line)
	}
	if d, ok := line["duration"].(float64); !ok || d <= 0 {
		t.Errorf("request line duration %v", line["duration"])
	}
	if len(entriesOf(entries, "request refused", "refused-1")) != 1 {
		t.Errorf("the refusal's entry lacks its request id:\n%s", logs)
	}
	if refused := entriesOf(entries, "request", "refused-1"); len(refused) != 1 || refused[0]["status"] != float64(401) {
		t.Errorf("refused request line %v", refused)
	}

	if len(entriesOf(entries, "stream open", streamID)) != 1 {
		t.Errorf("no stream open entry for %s:\n%s", streamID, logs)
	}
	closed := entriesOf(entries, "stream closed", streamID)
	if len(closed) != 1 {
		t.Fatalf("no stream closed entry for %s:\n%s", streamID, logs)
	}
	if closed[0]["messages"] != float64(2) || closed[0]["events"] != float64(2) || closed[0]["duration"] == nil {
		t.Errorf("stream closed entry %v, want 2 messages and 2 events with a duration", closed[0])
	}
	if streamLine := entriesOf(entries, "request", streamID); len(streamLine) != 1 || streamLine[0]["route"] != eventsRoute {
		t.Errorf("the stream's request line %v", streamLine)
	}

	for _, secret := range []string{ch.Port1.Token, ch.Port2.Token} {
		if strings.Contains(logs.String(), secret) {
			t.Error("a token was logged")
		}
	}
}
