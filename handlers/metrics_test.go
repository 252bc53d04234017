package handlers

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads GET /metrics as Prometheus would and parses it.
func (c *client) scrape() scraped {
	c.t.Helper()
	res := c.do(req{method: "GET", path: "/metrics"}).want(c.t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		c.t.Fatalf("metrics Content-Type %q, want text/plain", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(res.body))
	if err != nil {
		c.t.Fatalf("parse the metrics: %v\n%s", err, res.body)
	}
	return scraped{t: c.t, fams: fams, text: string(res.body)}
}

// scraped is one scrape's metric families.
type scraped struct {
	t    *testing.T
	fams map[string]*dto.MetricFamily
	text string
}

// find returns the series of the family name whose labels include every
// pair of labels ("k", "v", ...), or nil.
func (s scraped) find(name string, labels ...string) *dto.Metric {
	s.t.Helper()
	fam, ok := s.fams[name]
	if !ok {
		s.t.Fatalf("no metric %s in\n%s", name, s.text)
	}
next:
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's or gauge's value, 0 for a series not there.
func (s scraped) value(name string, labels ...string) float64 {
	s.t.Helper()
	m := s.find(name, labels...)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	s.t.Fatalf("%s is neither a counter nor a gauge", name)
	return 0
}

// count is a histogram's observation count, 0 for a series not there.
func (s scraped) count(name string, labels ...string) uint64 {
	s.t.Helper()
	if m := s.find(name, labels...); m != nil {
		return m.GetHistogram().GetSampleCount()
	}
	return 0
}

// The metrics count what happened over HTTP: every figure below is caused
// by a request of the test and checked exactly.
func TestMetricsCount(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		a, b := c.createChannel(), c.createChannel()

		// Posted: two plain, one idempotent and its replay (counted
		// once), one carrying b's first port.
		c.send(a.Port1, `"one"`)
		c.send(a.Port1, `"two"`)
		idem := req{method: "POST", path: "/ports/" + a.Port1.ID + "/messages", token: a.Port1.Token,
			contentType: "application/json", body: `{"data":"three"}`, header: map[string]string{"Idempotency-Key": "m-1"}}
		c.do(idem).want(t, http.StatusCreated)
		c.do(idem).want(t, http.StatusCreated)
		c.postJSON(a.Port1, `{"data":"four","transfer":[{"port":"`+b.Port1.ID+`","token":"`+b.Port1.Token+`"}]}`).want(t, http.StatusCreated)

		// Delivered by a read: four; then by a stream: four.
		if got := c.list(a.Port2, ""); len(got.Messages) != 4 {
			t.Fatalf("read %d messages, want 4", len(got.Messages))
		}
		info := c.describe(a.Port2)
		s := c.open(a.Port2, streamReq{})
		var last message
		for range 4 {
			last = s.nextMessage()
		}
		m := c.scrape()
		if got := m.value("tincan_streams_open"); got != 1 {
			t.Errorf("streams open %v, want 1", got)
		}
		s.close()

		c.ack(a.Port2, last.ID).want(t, http.StatusNoContent)
		c.transfer(b.Port2).want(t, http.StatusOK)
		c.closePort(a.Port1).want(t, http.StatusNoContent)
		// Refusals: a wrong token, an unknown route, a wrong method.
		c.do(req{method: "GET", path: "/ports/" + a.Port1.ID, token: "wrong"}).wantProblem(t, http.StatusUnauthorized, "unauthorized")
		c.do(req{method: "GET", path: "/nowhere/" + a.Port1.ID}).wantProblem(t, http.StatusNotFound, "not_found")
		c.do(req{method: "DELETE", path: "/channels"}).wantProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")

		// The stream ends on the server's side after the client's.
		deadline := time.Now().Add(waitLimit)
		for m = c.scrape(); m.value("tincan_streams_open") != 0; m = c.scrape() {
			if time.Now().After(deadline) {
				t.Fatal("the closed stream is still counted as open")
			}
			time.Sleep(10 * time.Millisecond)
		}

		for _, want := range []struct {
			name   string
			labels []string
			value  float64
		}{
			{"tincan_messages_posted_total", nil, 4},
			{"tincan_messages_delivered_total", []string{"via", "read"}, 4},
			{"tincan_messages_delivered_total", []string{"via", "stream"}, 4},
			{"tincan_acknowledgements_total", []string{"via", "request"}, 1},
			{"tincan_acknowledgements_total", []string{"via", "resume"}, 0},
			{"tincan_transfers_total", []string{"via", "request"}, 1},
			{"tincan_transfers_total", []string{"via", "message"}, 1},
			{"tincan_closes_total", nil, 1},
			{"tincan_problems_total", []string{"code", "unauthorized"}, 1},
			{"tincan_problems_total", []string{"code", "not_found"}, 1},
			{"tincan_problems_total", []string{"code", "method_not_allowed"}, 1},
			{"tincan_problems_total", []string{"code", "queue_full"}, 0},
		} {
			if got := m.value(want.name, want.labels...); got != want.value {
				t.Errorf("%s%v = %v, want %v", want.name, want.labels, got, want.value)
			}
		}
		// Every code of the problem table is there from the start.
		for _, code := range problemCodes() {
			if m.find("tincan_problems_total", "code", code) == nil {
				t.Errorf("no tincan_problems_total series for %s", code)
			}
		}
		if info.Queued != 4 {
			t.Fatalf("describe: %d queued, want 4", info.Queued)
		}
		depth := m.find("tincan_port_queue_depth").GetHistogram()
		if depth.GetSampleCount() != 1 || depth.GetSampleSum() != 4 {
			t.Errorf("queue depth: %d observations summing to %v, want one of 4", depth.GetSampleCount(), depth.GetSampleSum())
		}

		// Latency by route pattern, never by raw path; unknown routes
		// under one label; the stream only in its own histogram.
		lat := "tincan_http_request_duration_seconds"
		for _, want := range []struct {
			route, method, status string
			n                     uint64
		}{
			{"/ports/{id}/messages", "POST", "2xx", 5}, // the replay too
			{"/ports/{id}/messages", "GET", "2xx", 1},
			{"/channels", "POST", "2xx", 2},
			{"/ports/{id}", "GET", "4xx", 1},
			{unmatchedRoute, "GET", "4xx", 1},
			{unmatchedRoute, "DELETE", "4xx", 1},
			{eventsRoute, "GET", "2xx", 0},
		} {
			if got := m.count(lat, "route", want.route, "method", want.method, "status", want.status); got != want.n {
				t.Errorf("%s{route=%q,method=%s,status=%s}: %d observations, want %d", lat, want.route, want.method, want.status, got, want.n)
			}
		}
		if strings.Contains(m.text, a.Port1.ID) {
			t.Error("a port id appears in the metrics")
		}
		if got := m.count("tincan_stream_duration_seconds", "kind", "events"); got != 1 {
			t.Errorf("stream durations: %d, want 1", got)
		}
	})
}

// A resumed stream acknowledges through its resume point, and a long
// poll is timed apart from the other requests.
func TestMetricsResumeAndLongPoll(t *testing.T) {
	t.Parallel()
	c := memoryEnv().server(t)
	ch := c.createChannel()
	id := c.send(ch.Port1, `"x"`)
	s := c.open(ch.Port2, streamReq{lastEventID: id})
	s.close()
	if got := c.list(ch.Port2, "wait=1"); len(got.Messages) != 0 {
		t.Fatalf("long poll after the ack: %d messages", len(got.Messages))
	}
	// A refused long poll never waited: it is timed as a request.
	c.do(req{method: "GET", path: "/ports/" + ch.Port2.ID + "/messages?wait=5", token: "wrong"}).wantProblem(t, http.StatusUnauthorized, "unauthorized")
	m := c.scrape()
	if got := m.value("tincan_acknowledgements_total", "via", "resume"); got != 1 {
		t.Errorf("acknowledgements by resume %v, want 1", got)
	}
	if got := m.count("tincan_stream_duration_seconds", "kind", "long_poll"); got != 1 {
		t.Errorf("long polls timed: %d, want 1", got)
	}
	if got := m.count("tincan_http_request_duration_seconds", "route", messagesRoute, "method", "GET", "status", "2xx"); got != 0 {
		t.Errorf("the long poll is in the request latency histogram (%d)", got)
	}
	if got := m.count("tincan_http_request_duration_seconds", "route", messagesRoute, "method", "GET", "status", "4xx"); got != 1 {
		t.Errorf("refused long polls in the request latency histogram: %d, want 1", got)
	}
}

// Two servers in one process count apart, and DisableMetrics hides the
// route.
func TestMetricsPerServer(t *testing.T) {
	e := memoryEnv()
	one, two := e.server(t), e.server(t)
	one.send(one.createChannel().Port1, `"only on one"`)
	if got := one.scrape().value("tincan_messages_posted_total"); got != 1 {
		t.Errorf("server one: %v posted, want 1", got)
	}
	if got := two.scrape().value("tincan_messages_posted_total"); got != 0 {
		t.Errorf("server two: %v posted, want 0", got)
	}
	// A scraper that prefers protobuf (Prometheus with native histograms
	// on) gets the text format all the same, as the spec says.
	res := one.do(req{method: "GET", path: "/metrics", header: map[string]string{
		"Accept": "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=1,text/plain;version=0.0.4;q=0.5",
	}}).want(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("metrics for a protobuf scraper: Content-Type %q", ct)
	}
	off := e.server(t, func(o *options) { o.cfg.DisableMetrics = true })
	off.do(req{method: "GET", path: "/metrics"}).wantProblem(t, http.StatusNotFound, "not_found")
}

// A method no standard names is counted, and its span named, as "other":
// any token is a method to net/http, so a client making up a method per
// request would otherwise grow a latency series per request.
func TestMetricsMethodLabelIsBounded(t *testing.T) {
	c := memoryEnv().server(t)
	made := []string{"BREW", "FOO1", "FOO2"}
	for _, m := range made {
		c.do(req{method: m, path: "/channels"}).wantProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")
		c.do(req{method: m, path: "/nowhere"}).wantProblem(t, http.StatusNotFound, "not_found")
	}
	m := c.scrape()
	lat := "tincan_http_request_duration_seconds"
	for _, mm := range made {
		if strings.Contains(m.text, `"`+mm+`"`) {
			t.Errorf("method %s is a label value:\n%s", mm, m.text)
		}
	}
	if got := m.count(lat, "route", unmatchedRoute, "method", otherMethod, "status", "4xx"); got != uint64(2*len(made)) {
		t.Errorf("%s{route=%q,method=%q}: %d observations, want %d", lat, unmatchedRoute, otherMethod, got, 2*len(made))
	}
	for _, known := range []string{"GET", "PATCH", "OPTIONS"} {
		if methodLabel(known) != known {
			t.Errorf("methodLabel(%q) = %q", known, methodLabel(known))
		}
	}
}
