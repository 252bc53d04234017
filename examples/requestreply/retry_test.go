package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/apitest"
)

// loser stands between the clients and tincan and loses the answer to
// the first request post (to the worker's front port) and to the first
// answer post (to any other port): tincan carries each out, and the
// poster gets, in its place, what lose makes of the exchange. It records
// the Idempotency-Key of every post it sees.
type loser struct {
	lose func(w http.ResponseWriter)

	mu    sync.Mutex
	front string
	lost  map[bool]bool       // by "to the front port": one answer lost yet
	keys  map[string][]string // by port: the keys of its posts, in order
	codes map[string][]int    // by port: what tincan answered each post
}

func (l *loser) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/ports/"), "/messages")
		if r.Method != http.MethodPost || !ok {
			h.ServeHTTP(w, r)
			return
		}
		l.mu.Lock()
		toFront := id == l.front
		loseIt := l.front != "" && !l.lost[toFront]
		if loseIt {
			l.lost[toFront] = true
		}
		l.keys[id] = append(l.keys[id], r.Header.Get("Idempotency-Key"))
		l.mu.Unlock()
		if !loseIt {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		l.mu.Lock()
		l.codes[id] = append(l.codes[id], rec.Code)
		l.mu.Unlock()
		l.lose(w)
	})
}

// TestLostAnswers loses the answer to a client's request post and to the
// worker's answer post, after tincan stored each, in the two ways a
// store fault or the network loses one: 503 unavailable (whose outcome
// is unknown), and no answer at all. Each poster sends the same post
// again under the same Idempotency-Key, gets the first answer, and the
// request and its answer are each stored once.
func TestLostAnswers(t *testing.T) {
	for _, how := range []struct {
		name string
		lose func(w http.ResponseWriter)
	}{
		{"unavailable", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"type":"/docs/errors#unavailable","title":"Service unavailable","status":503,"code":"unavailable","detail":"lost by the test"}`))
		}},
		{"no answer", func(w http.ResponseWriter) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}},
	} {
		t.Run(how.name, func(t *testing.T) {
			l := &loser{lose: how.lose, lost: map[bool]bool{}, keys: map[string][]string{}, codes: map[string][]int{}}
			_, api := apitest.Start(t, apitest.Stores[0].Open(t), l.wrap)
			w, answered := startWorker(t, api)
			l.mu.Lock()
			l.front = w.front.Id
			l.mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			endpoint, err := w.Endpoint(ctx, "lost answers")
			if err != nil {
				t.Fatal(err)
			}
			reply, mine, err := NewClient(api, endpoint, SSE).send(ctx, json.RawMessage(`{"op":"*","a":6,"b":7}`))
			if err != nil || string(reply) != `{"result":42}` {
				t.Fatalf("Send: %s, %v; want {\"result\":42}", reply, err)
			}
			waitHandled(t, api, w, 1)

			l.mu.Lock()
			defer l.mu.Unlock()
			if !l.lost[true] || !l.lost[false] {
				t.Fatalf("lost the answer to a request post: %v, to an answer post: %v; want both", l.lost[true], l.lost[false])
			}
			for id, keys := range l.keys {
				if len(keys) < 2 || keys[0] == "" {
					t.Errorf("posts to %s under keys %q; want the lost one and a retry", id, keys)
				}
				for _, k := range keys {
					if k != keys[0] {
						t.Errorf("posts to %s under keys %q; want the same key on every retry", id, keys)
					}
				}
				if c := l.codes[id]; len(c) != 1 || c[0] != http.StatusCreated {
					t.Errorf("tincan answered the lost post to %s with %v; want it stored (201)", id, c)
				}
			}
			if p := describe(t, api, w.own); p.Posted != 1 || p.Acknowledged != 1 {
				t.Errorf("the worker's port afterwards: %+v; want the request stored once", p)
			}
			if p := describe(t, api, mine); p.Posted != 1 || p.Queued != 0 {
				t.Errorf("the client's reply port afterwards: %+v; want the answer stored once", p)
			}
			if got := answered(); len(got) != 1 {
				t.Errorf("the worker was told of %d answers, want 1", len(got))
			}
		})
	}
}
