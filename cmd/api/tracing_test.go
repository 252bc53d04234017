package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it takes POST /v1/traces
// in protobuf, as a collector does, and keeps the spans.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	raw   bytes.Buffer // every request body, decompressed
	posts int
}

func (rc *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces in protobuf", http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.posts++
	rc.raw.Write(b)
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			rc.spans = append(rc.spans, ss.GetSpans()...)
		}
	}
	rc.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func attr(s *tracepb.Span, key string) (string, bool) {
	for _, kv := range s.GetAttributes() {
		if kv.GetKey() == key {
			return kv.GetValue().GetStringValue(), true
		}
	}
	return "", false
}

// With OTEL_EXPORTER_OTLP_ENDPOINT set, requests and Redis commands are
// exported as spans to a real OTLP/HTTP receiver: request spans named by
// route pattern and continuing the caller's trace, Redis spans without
// their arguments, the last ones flushed when the service stops. An event
// stream works through the tracing middleware.
func TestTracingExportsSpans(t *testing.T) {
	rc := &otlpReceiver{}
	collector := httptest.NewServer(rc)
	defer collector.Close()
	srv := redistest.Start(t)

	base, logs, stop := startRun(t, "http", map[string]string{
		"REDIS_URL":                   "redis://" + srv.Addr,
		"REDIS_KEY_PREFIX":            redistest.Prefix(t),
		"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL,
	}, nil)

	ch := createChannel(t, base)
	// A caller's trace: the post's span must join it.
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("POST", base+"/ports/"+ch.Port1.ID+"/messages", strings.NewReader("traced"))
	req.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("post: %d", res.StatusCode)
	}

	// The stream, through otelhttp's response writer, still flushes and
	// sets its write deadlines.
	sctx, scancel := context.WithTimeout(t.Context(), 10*time.Second)
	sreq, _ := http.NewRequestWithContext(sctx, "GET", base+"/ports/"+ch.Port2.ID+"/events", nil)
	sreq.Header.Set("Authorization", "Bearer "+ch.Port2.Token)
	sres, err := http.DefaultClient.Do(sreq)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(sres.Body)
	var got string
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			got = data
			break
		}
	}
	scancel()
	sres.Body.Close()
	if !strings.Contains(got, `"traced"`) {
		t.Fatalf("stream: %d, first data %q", sres.StatusCode, got)
	}

	// A token in the query (ACCESS_TOKEN_IN_QUERY allows it here) must
	// not reach a span either: the URL's query is not exported.
	qres, err := http.Get(base + "/ports/" + ch.Port2.ID + "?access_token=" + ch.Port2.Token)
	if err != nil {
		t.Fatal(err)
	}
	qres.Body.Close()
	if qres.StatusCode != http.StatusOK {
		t.Fatalf("describe with ?access_token=: %d", qres.StatusCode)
	}

	// Nor one put in the path by mistake: the span's url.path is the
	// path as the log has it, with the token REDACTED.
	pres, err := http.Get(base + "/ports/" + ch.Port1.Token + "/messages")
	if err != nil {
		t.Fatal(err)
	}
	pres.Body.Close()

	// Stopping flushes the last spans to the receiver.
	stop()

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.posts == 0 {
		t.Fatalf("no export reached the receiver; logs:\n%s", logs)
	}
	names := map[string]*tracepb.Span{}
	redisSpans := 0
	for _, s := range rc.spans {
		names[s.GetName()] = s
		if _, ok := attr(s, "db.system"); ok || strings.Contains(s.GetName(), "fcall") || s.GetName() == "pipeline" {
			redisSpans++
			if stmt, ok := attr(s, "db.statement"); ok {
				t.Errorf("Redis span %q carries its statement %q", s.GetName(), stmt)
			}
		}
	}
	for _, want := range []string{"POST /channels", "POST /ports/{id}/messages", "GET /ports/{id}/events", "GET /ports/{id}", "GET /healthz"} {
		s, ok := names[want]
		if !ok {
			t.Errorf("no span %q among %d spans", want, len(rc.spans))
			continue
		}
		if route, _ := attr(s, "http.route"); route != strings.SplitN(want, " ", 2)[1] {
			t.Errorf("span %q: http.route %q", want, route)
		}
	}
	if post := names["POST /ports/{id}/messages"]; post != nil && hex.EncodeToString(post.GetTraceId()) != traceID {
		t.Errorf("the post's span is in trace %x, not the caller's %s", post.GetTraceId(), traceID)
	}
	var all []string
	for n := range names {
		all = append(all, n)
	}
	t.Logf("%d exports, %d spans (%d of Redis), named %v", rc.posts, len(rc.spans), redisSpans, all)
	if redisSpans == 0 {
		t.Error("no Redis span")
	}
	for _, secret := range []string{ch.Port1.Token, ch.Port2.Token} {
		if bytes.Contains(rc.raw.Bytes(), []byte(secret)) {
			t.Error("a port token was exported in a span")
		}
	}
}

// Without an OTLP endpoint nothing is traced, and the endpoint variables
// are read as the specification says.
func TestTracesURL(t *testing.T) {
	for _, tc := range []struct {
		base, traces, want string
	}{
		{"", "", ""},
		{"http://c:4318", "", "http://c:4318/v1/traces"},
		{"http://c:4318/", "", "http://c:4318/v1/traces"},
		{"http://c:4318", "https://t.example/custom", "https://t.example/custom"},
	} {
		if got := tracesURL(Config{OTLPEndpoint: tc.base, OTLPTracesEndpoint: tc.traces}); got != tc.want {
			t.Errorf("tracesURL(%q, %q) = %q, want %q", tc.base, tc.traces, got, tc.want)
		}
	}
	tr, err := startTracing(t.Context(), Config{}, nil)
	if err != nil || tr.tp != nil {
		t.Errorf("tracing without an endpoint: %v, %v", tr.tp, err)
	}
	for _, tc := range []struct{ raw, want string }{
		{"https://user:secret@collector.example:4318/v1/traces?key=x", "https://collector.example:4318/v1/traces"},
		{"http://collector:4318/v1/traces", "http://collector:4318/v1/traces"},
		// Passwords pasted raw: a parser ends the host at the "/", "?"
		// or "#", and none of it may show.
		{"https://tincan:ab/cd+ef==@otel.example/v1/traces", "https://otel.example/v1/traces"},
		{"https://tincan:12/34@otel.example", "https://otel.example"},
		{"https://tincan:pa?ss@otel.example", "https://otel.example"},
		{"https://tincan:pa#ss@otel.example", "https://otel.example"},
		{"tincan:secret@otel.example:4318", "otel.example:4318"},
	} {
		got := redactURL(tc.raw)
		if got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.raw, got, tc.want)
		}
		for _, secret := range []string{"secret", "ab/cd", "12/34", "pa?ss", "pa#ss"} {
			if strings.Contains(tc.raw, secret) && strings.Contains(got, secret) {
				t.Errorf("redactURL(%q) = %q keeps %q", tc.raw, got, secret)
			}
		}
	}
	// A start-up error names the bad URL without its password.
	_, err = loadConfig(env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://tincan:ab/cd@otel.example"}))
	if err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_ENDPOINT=") || strings.Contains(err.Error(), "ab/cd") {
		t.Errorf("a URL with a raw password: %v", err)
	}
}
