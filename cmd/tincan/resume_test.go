package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/api/client"
)

// TestListenResumesAfterRestart kills the api process under a listen and
// starts it again on the same address, on Redis, which keeps the
// messages: the listen reconnects by itself and prints every message
// once, in order, then ends with the close.
func TestListenResumesAfterRestart(t *testing.T) {
	t.Parallel()
	api := startAPI(t, redisEnv(t))
	base := api.Base
	p1, p2 := channel(t, base)
	l := start(t, base, "listen", p2)

	var want []string
	postAndSee := func(n int) {
		t.Helper()
		for range n {
			id := posted(t, base, "", p1, "message", "number", "x")
			want = append(want, id)
			if ev, _ := parseEvent(t, l.next(t)); ev.ID != id {
				t.Fatalf("listen printed %+v, want %s", ev, id)
			}
		}
	}
	postAndSee(3)
	api.Kill()
	// Posted while the listen reconnects, or once it has.
	api.Start()
	for range 3 {
		want = append(want, posted(t, base, "", p1, "after", "the", "restart"))
	}
	for _, id := range want[3:] {
		if ev, _ := parseEvent(t, l.next(t)); ev.ID != id {
			t.Fatalf("after the restart, listen printed %+v, want %s (stderr:\n%s)", ev, id, l.stderr)
		}
	}
	postAndSee(2)
	ok(t, base, "", "close", p1)
	if ev, _ := parseEvent(t, l.next(t)); ev.Event != "close" {
		t.Errorf("listen printed %+v, want the close", ev)
	}
	if err := l.wait(t); err != nil {
		t.Errorf("listen ended with %v; stderr:\n%s", err, l.stderr)
	}
	if !strings.Contains(l.stderr.String(), "reconnecting") {
		t.Errorf("listen never said it reconnected:\n%s", l.stderr)
	}
	if d := describe(t, base, p2); d.Queued != 0 || d.Acknowledged != int64(len(want)) {
		t.Errorf("after listen: queued %d, acknowledged %d of %d", d.Queued, d.Acknowledged, len(want))
	}
}

// lossy stands between the CLI and a real tincan: the first request of
// each route it is told of is carried out, but its answer is replaced
// with a 503, as if it were lost on the way back.
type lossy struct {
	proxy *httputil.ReverseProxy
	srv   *httptest.Server
	mu    sync.Mutex
	lose  map[string]bool     // method and path -> the next answer is lost
	keys  map[string][]string // method and path -> the Idempotency-Keys seen
	// gate, when not nil, holds event streams until it is closed.
	gate chan struct{}
}

func newLossy(t *testing.T, base string) (*lossy, string) {
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	l := &lossy{proxy: httputil.NewSingleHostReverseProxy(target), lose: map[string]bool{}, keys: map[string][]string{}}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	l.proxy.Transport = transport
	l.srv = httptest.NewServer(l)
	t.Cleanup(func() {
		l.release()
		l.srv.Close()
		transport.CloseIdleConnections()
	})
	return l, l.srv.URL
}

func (l *lossy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	l.mu.Lock()
	lose := l.lose[route]
	l.lose[route] = false
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		l.keys[route] = append(l.keys[route], k)
	}
	gate := l.gate
	l.mu.Unlock()
	if gate != nil && strings.HasSuffix(r.URL.Path, "/events") {
		<-gate
	}
	if !lose {
		l.proxy.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet {
		// Carry the change out, and throw its answer away.
		l.proxy.ServeHTTP(httptest.NewRecorder(), r)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	if r.Method == http.MethodGet {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, `{"type":"/docs/errors#unavailable","title":"Unavailable","status":503,"code":"unavailable","detail":"lost on the way"}`)
}

// cut drops every connection, streams included, and holds the streams
// opened from now on until release.
func (l *lossy) cut() {
	l.mu.Lock()
	l.gate = make(chan struct{})
	l.mu.Unlock()
	l.srv.CloseClientConnections()
}

// release lets the held streams through.
func (l *lossy) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gate != nil {
		close(l.gate)
		l.gate = nil
	}
}

func (l *lossy) loseNext(method, path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lose[method+" "+path] = true
}

func (l *lossy) keysOf(method, path string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.keys[method+" "+path]...)
}

// TestRetriesUnderOneKey loses the answers of a create, a post and a
// transfer: each is sent again under the same Idempotency-Key, and each
// change is made once. A stream refused with 503 and Retry-After is
// opened again after it.
func TestRetriesUnderOneKey(t *testing.T) {
	t.Parallel()
	base := startAPI(t, nil).Base
	proxy, via := newLossy(t, base)

	proxy.loseNext("POST", "/channels")
	r := tincan(t, via, "", "create")
	var ch client.Channel
	if r.err != nil || json.Unmarshal([]byte(r.stdout), &ch) != nil {
		t.Fatalf("create through a lost answer: %+v", r)
	}
	onceUnderOneKey(t, proxy, "POST", "/channels", r.stderr)
	p1 := ch.Port1.Id + ":" + ch.Port1.Token
	p2 := ch.Port2.Id + ":" + ch.Port2.Token

	path := "/ports/" + ch.Port1.Id + "/messages"
	proxy.loseNext("POST", path)
	r = tincan(t, via, "", "post", p1, "only", "once")
	var m client.MessageCreated
	if r.err != nil || json.Unmarshal([]byte(r.stdout), &m) != nil {
		t.Fatalf("post through a lost answer: %+v", r)
	}
	onceUnderOneKey(t, proxy, "POST", path, r.stderr)
	if d := describe(t, base, p2); d.Posted != 1 || d.LastEventId != m.Id {
		t.Errorf("after a post retried: posted %d, last %s; want 1, %s", d.Posted, d.LastEventId, m.Id)
	}

	path = "/ports/" + ch.Port2.Id + "/transfer"
	proxy.loseNext("POST", path)
	r = tincan(t, via, "", "transfer", p2)
	var moved client.PortCredentials
	if r.err != nil || json.Unmarshal([]byte(r.stdout), &moved) != nil {
		t.Fatalf("transfer through a lost answer: %+v", r)
	}
	onceUnderOneKey(t, proxy, "POST", path, r.stderr)
	p2 = moved.Id + ":" + moved.Token

	// The answer the retry got is the first transfer's: its token works.
	proxy.loseNext("GET", "/ports/"+ch.Port2.Id+"/events")
	r = tincan(t, via, "", "listen", "-n", "1", p2)
	if r.err != nil || !strings.Contains(r.stdout, m.Id) {
		t.Fatalf("listen with the retried transfer's token: %+v", r)
	}
	if !strings.Contains(r.stderr, "unavailable: lost on the way; reconnecting in 1s") {
		t.Errorf("listen did not wait out Retry-After: %s", r.stderr)
	}
}

// onceUnderOneKey checks that the route got two requests under one
// Idempotency-Key, and that the CLI said it tried again.
func onceUnderOneKey(t *testing.T, proxy *lossy, method, path, stderr string) {
	t.Helper()
	keys := proxy.keysOf(method, path)
	if len(keys) != 2 || keys[0] != keys[1] {
		t.Errorf("%s %s: Idempotency-Keys %q, want one key twice", method, path, keys)
	}
	if !strings.Contains(stderr, "trying again") {
		t.Errorf("%s %s: stderr %q", method, path, stderr)
	}
}

// TestListenReportsReset: while a listen reconnects, another reader
// prints and acknowledges the messages after the last one it printed;
// the listen resumes from its own last message, is told they are gone
// (event: reset), says so, and goes on.
func TestListenReportsReset(t *testing.T) {
	t.Parallel()
	base := startAPI(t, nil).Base
	proxy, via := newLossy(t, base)
	p1, p2 := channel(t, base)
	l := start(t, via, "listen", p2)
	first := posted(t, base, "", p1, "first")
	if ev, _ := parseEvent(t, l.next(t)); ev.ID != first {
		t.Fatalf("listen printed %+v, want %s", ev, first)
	}

	// The listen acknowledges what it printed right after printing it.
	deadline := time.Now().Add(callLimit)
	for d := describe(t, base, p2); d.AckedEventId != first; d = describe(t, base, p2) {
		if time.Now().After(deadline) {
			t.Fatalf("listen never acknowledged %s: %+v", first, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	proxy.cut()
	posted(t, base, "", p1, "second")
	third := posted(t, base, "", p1, "third")
	// The other reader: it starts after the acknowledged first.
	if out := ok(t, base, "", "listen", "-n", "2", p2); !strings.Contains(out, third) {
		t.Fatalf("the other listen printed %q", out)
	}
	proxy.release()

	ev, _ := parseEvent(t, l.next(t))
	var r client.ResetEvent
	if ev.Event != "reset" || json.Unmarshal(ev.Data, &r) != nil || r.LastEventId != first || r.AckedThrough != third {
		t.Fatalf("listen printed %+v after the other reader; want a reset from %s through %s", ev, first, third)
	}
	fourth := posted(t, base, "", p1, "fourth")
	if ev, _ := parseEvent(t, l.next(t)); ev.ID != fourth {
		t.Errorf("listen printed %+v, want %s", ev, fourth)
	}
	ok(t, base, "", "close", p1)
	if ev, _ := parseEvent(t, l.next(t)); ev.Event != "close" {
		t.Errorf("listen printed %+v, want the close", ev)
	}
	if err := l.wait(t); err != nil {
		t.Errorf("listen: %v", err)
	}
	if s := l.stderr.String(); !strings.Contains(s, "the messages after "+first+" through "+third+" were acknowledged elsewhere") {
		t.Errorf("listen did not say what the reset means:\n%s", s)
	}
}
