package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/api/client"
	"github.com/tincan-dev/tincan/internal/apitest"
)

// cutAfterReset ends its stream's request once the stream has written an
// `event: reset`, as a connection dropped at that moment would.
type cutAfterReset struct {
	http.ResponseWriter
	cancel context.CancelFunc
}

func (c cutAfterReset) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	if bytes.Contains(p, []byte("event: reset\n")) {
		c.cancel()
	}
	return n, err
}

// Unwrap lets the stream's http.ResponseController reach the connection.
func (c cutAfterReset) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// TestWorkerGoesOnAfterRewind resumes the worker's stream from a point
// the service does not know (as after a failover that took back the
// requests the worker had seen), and drops that stream right after its
// reset. The worker must resume from the reset's rewound_to: resuming
// from its old point would meet another reset, now past the request
// queued meanwhile, which would be acknowledged unanswered and its
// client left waiting.
func TestWorkerGoesOnAfterRewind(t *testing.T) {
	var worker atomic.Value // the worker's stream path, once known
	worker.Store("")
	var cuts atomic.Int32
	cut := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == worker.Load().(string) && cuts.Add(1) == 1 {
				ctx, cancel := context.WithCancel(r.Context())
				defer cancel()
				r = r.WithContext(ctx)
				w = cutAfterReset{w, cancel}
			}
			h.ServeHTTP(w, r)
		})
	}
	for _, s := range apitest.Stores {
		t.Run(s.Name, func(t *testing.T) {
			_, api := apitest.Start(t, s.Open(t), cut)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// A worker that is never served: the test runs its streams.
			w, err := NewWorker(ctx, api, Calculate, apitest.Logger(t))
			if err != nil {
				t.Fatal(err)
			}
			endpoint, err := w.Endpoint(ctx, "rewind")
			if err != nil {
				t.Fatal(err)
			}
			// A first request, answered by hand: the newest id the
			// service knows at the worker's port.
			posted, err := api.PostMessageWithResponse(ctx, endpoint.Id, &client.PostMessageParams{IdempotencyKey: ptr(client.NewIdempotencyKey())},
				client.PostMessageRequest{Data: json.RawMessage(`"first"`)}, client.Bearer(endpoint.Token))
			if err != nil || posted.JSON201 == nil {
				t.Fatalf("post: %v %v", err, posted)
			}
			known := posted.JSON201.Id
			if err := w.ack(ctx, known); err != nil {
				t.Fatal(err)
			}

			worker.Store("/ports/" + w.own.Id + "/events")
			cuts.Store(0)
			last := fmt.Sprintf("%d-0", time.Now().Add(time.Hour).UnixMilli()) // seen before the failover
			if opened, done, err := w.stream(ctx, &last); !opened || done {
				t.Fatalf("the first stream: opened %v, done %v, %v; want one cut after its reset", opened, done, err)
			}
			if last != known {
				t.Fatalf("after the reset the worker resumes after %s, want rewound_to %s", last, known)
			}

			// A request queued while the worker is away, under an id
			// before its old resume point.
			sent := make(chan error, 1)
			go func() {
				reply, err := NewClient(api, endpoint, SSE).Send(ctx, json.RawMessage(`{"op":"+","a":40,"b":2}`))
				if err == nil && string(reply) != `{"result":42}` {
					err = fmt.Errorf("reply %s, want {\"result\":42}", reply)
				}
				sent <- err
			}()
			for describe(t, api, w.own).Queued == 0 {
				time.Sleep(10 * time.Millisecond)
			}
			serveCtx, stop := context.WithCancel(ctx)
			streamed := make(chan error, 1)
			go func() {
				_, _, err := w.stream(serveCtx, &last)
				streamed <- err
			}()
			if err := <-sent; err != nil {
				t.Errorf("the request queued while the worker was away: %v", err)
			}
			// The worker acknowledges a request after it answers it: the
			// client can have its answer a moment before the port shows
			// the acknowledgement.
			p := describe(t, api, w.own)
			for wait := time.Now().Add(10 * time.Second); p.Queued != 0 && time.Now().Before(wait); p = describe(t, api, w.own) {
				time.Sleep(10 * time.Millisecond)
			}
			stop()
			<-streamed
			if p.Posted != 2 || p.Acknowledged != 2 || p.Queued != 0 {
				t.Errorf("the worker's port afterwards: %+v; want both requests handled", p)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
