package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// faultProxy stands between the client package's Node tests and a real
// api process, and does to chosen requests what a network or a busy
// service does: answers a refusal in the service's place, loses an answer
// after the service carried the request out, or cuts the open event
// streams. Everything else passes through untouched, streams included.
//
// Its controls, under /__test/ (no path of the API):
//
//	POST /__test/faults {"method","path","times", and "status" (with
//	     "code", "retry_after") or "lose": true} adds a rule: the next
//	     `times` requests with that method and path get the fault.
//	POST /__test/drop   cuts every open event stream; answers {"dropped": n}.
type faultProxy struct {
	upstream *httputil.ReverseProxy

	mu      sync.Mutex
	rules   []*faultRule
	streams map[*http.Request]context.CancelFunc
}

type faultRule struct {
	Method     string `json:"method"`
	Path       string `json:"path"`
	Times      int    `json:"times"`
	Status     int    `json:"status"`
	Code       string `json:"code"`
	RetryAfter string `json:"retry_after"`
	Lose       bool   `json:"lose"`
}

// startFaultProxy serves a faultProxy in front of base and returns its URL.
func startFaultProxy(t *testing.T, base string) string {
	t.Helper()
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1 // every write of a stream goes on at once
	// A stream cut on purpose is not an error worth a log line.
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
	}
	p := &faultProxy{upstream: rp, streams: map[*http.Request]context.CancelFunc{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/__test/faults":
		var rule faultRule
		if err := json.NewDecoder(r.Body).Decode(&rule); err != nil || rule.Times < 1 || rule.Path == "" {
			http.Error(w, fmt.Sprintf("want a rule with method, path and times >= 1 (%v)", err), http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.rules = append(p.rules, &rule)
		p.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	case "/__test/drop":
		p.mu.Lock()
		n := len(p.streams)
		for _, cancel := range p.streams {
			cancel()
		}
		p.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]int{"dropped": n})
		return
	}

	if rule := p.take(r); rule != nil {
		if rule.Lose {
			// The service carries the request out; its answer never
			// reaches the client, whose connection is cut instead.
			p.upstream.ServeHTTP(httptest.NewRecorder(), r)
			panic(http.ErrAbortHandler)
		}
		if rule.RetryAfter != "" {
			w.Header().Set("Retry-After", rule.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(rule.Status)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"type": "/docs/errors#" + rule.Code, "title": rule.Code, "status": rule.Status,
			"code": rule.Code, "detail": "answered by the test's fault proxy",
		})
		return
	}

	if !strings.HasSuffix(r.URL.Path, "/events") {
		p.upstream.ServeHTTP(w, r)
		return
	}
	client := r.Context()
	ctx, cancel := context.WithCancel(client)
	defer cancel()
	r = r.WithContext(ctx)
	p.mu.Lock()
	p.streams[r] = cancel
	p.mu.Unlock()
	p.upstream.ServeHTTP(w, r)
	p.mu.Lock()
	delete(p.streams, r)
	p.mu.Unlock()
	if ctx.Err() != nil && client.Err() == nil {
		// Cut: the connection goes without the chunked stream's end, as
		// when a network drops it.
		panic(http.ErrAbortHandler)
	}
}

// take answers the first rule that r matches, counting it down, or nil.
func (p *faultProxy) take(r *http.Request) *faultRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, rule := range p.rules {
		if rule.Method == r.Method && rule.Path == r.URL.Path {
			rule.Times--
			if rule.Times == 0 {
				p.rules = append(p.rules[:i], p.rules[i+1:]...)
			}
			return rule
		}
	}
	return nil
}
