package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// flakyStore is a memory store whose reads and posts fail as unavailable
// while down is set, as a store whose Redis is gone does.
type flakyStore struct {
	store.Store
	down  atomic.Bool
	reads atomic.Int64 // reads attempted while down
}

func (f *flakyStore) Read(ctx context.Context, c store.Credentials, after store.EventID, limit store.ReadLimit) (store.Batch, error) {
	if f.down.Load() {
		f.reads.Add(1)
		return store.Batch{}, fmt.Errorf("read: %w", store.ErrUnavailable)
	}
	return f.Store.Read(ctx, c, after, limit)
}

func (f *flakyStore) Post(ctx context.Context, from store.Credentials, msg store.Outgoing) (store.EventID, error) {
	if f.down.Load() {
		return store.EventID{}, fmt.Errorf("post: %w", store.ErrUnavailable)
	}
	return f.Store.Post(ctx, from, msg)
}

func flakyServer(t *testing.T, cfg Config) (*client, *flakyStore) {
	t.Helper()
	mem := memory.New(store.Limits{})
	t.Cleanup(func() { _ = mem.Close() })
	st := &flakyStore{Store: mem}
	s := NewServer(slog.New(slog.NewTextHandler(newTestLog(t), &slog.HandlerOptions{Level: slog.LevelWarn})), st, cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
	})
	return &client{t: t, url: ts.URL, hc: ts.Client(), srv: s, store: st}, st
}

// While the store is unavailable an open stream stays open, keeps sending
// keep-alives and retries with a capped backoff; posts and long polls
// answer 503 with Retry-After. When the store answers again the stream
// delivers what is new, each message once, in order.
func TestStreamOutlivesUnavailableStore(t *testing.T) {
	t.Parallel()
	c, st := flakyServer(t, Config{KeepAlive: 100 * time.Millisecond})
	ch := c.createChannel()
	s := c.open(ch.Port2, streamReq{})
	c.send(ch.Port1, `"before"`)
	if m := s.nextMessage(); string(m.Data) != `"before"` {
		t.Fatalf("first message %s", m.Data)
	}

	st.down.Store(true)
	res := c.postJSON(ch.Port1, `{"data":"refused"}`)
	p := res.wantProblem(t, http.StatusServiceUnavailable, "unavailable")
	if res.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	// The post may have been stored: the client is told so, and how to
	// retry without storing it twice.
	if !strings.Contains(p.Detail, "unknown") || !strings.Contains(p.Detail, "same Idempotency-Key") {
		t.Errorf("503 detail %q does not say the outcome is unknown and to retry with the same Idempotency-Key", p.Detail)
	}
	c.do(req{method: "GET", path: "/ports/" + ch.Port2.ID + "/messages?wait=1", token: ch.Port2.Token}).
		wantProblem(t, http.StatusServiceUnavailable, "unavailable")

	// Messages stored by other means (another instance, before the
	// outage) while this one cannot read: the doorbell rings, reads fail.
	const n = 5
	for i := range n {
		if _, err := st.Store.Post(t.Context(), store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token},
			store.Outgoing{Data: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	// The stream stays open through several keep-alive intervals (at
	// least a second, longer if the machine is slow to send three), and
	// reads again meanwhile, at least three times.
	comments, down := 0, time.Now()
	for comments < 3 || st.reads.Load() < 3 || time.Since(down) < time.Second {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("the stream ended while the store was unavailable")
			}
			if ev.comment == "" {
				t.Fatalf("got %+v while the store was unavailable", ev)
			}
			comments++
		case <-time.After(waitLimit):
			t.Fatalf("%d keep-alives of a 100ms interval and %d reads in %v while unavailable", comments, st.reads.Load(), time.Since(down))
		}
	}
	// Backoff: a handful of reads a second, not a busy loop. A loaded
	// machine only makes fewer.
	if r, d := st.reads.Load(), time.Since(down); float64(r) > 40*d.Seconds() {
		t.Errorf("%d reads in %v while unavailable", r, d)
	}

	// The store's return rings no doorbell here: the stream notices at
	// its next read, at most maxUnavailableRetry later (logged; a loaded
	// machine stretches it).
	st.down.Store(false)
	back := time.Now()
	for i := range n {
		if m := s.nextMessage(); string(m.Data) != strconv.Itoa(i) {
			t.Fatalf("after the outage, message %d has data %s", i, m.Data)
		}
	}
	t.Logf("the stream resumed %v after the store returned (backoff capped at %v)", time.Since(back).Round(time.Millisecond), maxUnavailableRetry)
	c.send(ch.Port1, `"after"`)
	if m := s.nextMessage(); string(m.Data) != `"after"` {
		t.Fatalf("then %s", m.Data)
	}
	s.wantQuiet(100 * time.Millisecond)
}
