package main

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// sample is the value of the first series of the text exposition whose
// line starts with prefix (a metric name and, optionally, labels), and
// whether there is one.
func sample(exposition, prefix string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(prefix) + `[^ ]* ([0-9.e+-]+)$`)
	m := re.FindStringSubmatch(exposition)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// With Redis, GET /metrics has the Redis client's command latencies
// (from the go-redis hook installed in openStore), the runtime's and the
// service's own metrics, on the main listener, with no credential.
func TestMetricsWithRedis(t *testing.T) {
	srv := redistest.Start(t)
	base, _, _ := startRun(t, "http", map[string]string{
		"REDIS_URL":        "redis://" + srv.Addr,
		"REDIS_KEY_PREFIX": redistest.Prefix(t),
		"REDIS_TIMEOUT":    "300ms",
	}, nil)
	ch := createChannel(t, base)
	post(t, base, ch.Port1, "hello")

	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if v, ok := sample(text, "tincan_messages_posted_total"); !ok || v != 1 {
		t.Errorf("posted %v (found %v), want 1", v, ok)
	}
	// The store runs its scripts through FCALL, alone or in pipelines.
	n, ok := sample(text, `tincan_redis_command_duration_seconds_count{command="fcall"}`)
	p, okp := sample(text, `tincan_redis_command_duration_seconds_count{command="pipeline"}`)
	if (!ok || n == 0) && (!okp || p == 0) {
		t.Errorf("no Redis command timed:\n%s", grepLines(text, "tincan_redis"))
	}
	if _, ok := sample(text, "go_goroutines"); !ok {
		t.Error("no go_goroutines: the runtime collector is missing")
	}
	if _, ok := sample(text, "tincan_redis_errors_total"); ok {
		t.Errorf("Redis errors counted on a healthy Redis:\n%s", grepLines(text, "tincan_redis_errors_total"))
	}

	// Redis gone: the post is a 503, and the failure is counted.
	srv.Stop()
	defer srv.Restart()
	req, _ := http.NewRequest("POST", base+"/ports/"+ch.Port1.ID+"/messages", strings.NewReader("lost"))
	req.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
	req.Header.Set("Content-Type", "text/plain")
	down, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	down.Body.Close()
	if down.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("post with Redis down: %d, want 503", down.StatusCode)
	}
	after := get(t, base+"/metrics")
	if v, _ := sample(after, "tincan_redis_errors_total"); v == 0 {
		t.Errorf("no Redis error counted with Redis down:\n%s", grepLines(after, "tincan_redis"))
	}
	if v, _ := sample(after, `tincan_problems_total{code="unavailable"}`); v != 1 {
		t.Errorf("unavailable problems %v, want 1", v)
	}
}

// METRICS=off makes /metrics a 404.
func TestMetricsOff(t *testing.T) {
	base, _, _ := startRun(t, "http", map[string]string{"METRICS": "off"}, nil)
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics with METRICS=off: %d, want 404", res.StatusCode)
	}
}

// grepLines is the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
