package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/internal/syncbuf"
)

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestLimiterPerClient(t *testing.T) {
	l := New(NewMemory(), Limits{PerClient: Limit{Rate: 1, Burst: 2}}, quietLogger())
	for i := range 2 {
		if wait, limited := l.Check(t.Context(), "192.0.2.1", "", false); limited {
			t.Fatalf("request %d limited (retry after %v)", i+1, wait)
		}
	}
	wait, limited := l.Check(t.Context(), "192.0.2.1", "", false)
	if !limited || wait <= 0 || wait > time.Second {
		t.Fatalf("third request: limited %v, retry after %v; want limited for up to 1s", limited, wait)
	}
	if _, limited := l.Check(t.Context(), "192.0.2.2", "", false); limited {
		t.Error("another client was limited")
	}
}

func TestLimiterPerToken(t *testing.T) {
	l := New(NewMemory(), Limits{PerToken: Limit{Rate: 1, Burst: 2}}, quietLogger())
	// The same token from three addresses shares one budget.
	for _, client := range []string{"192.0.2.1", "192.0.2.2"} {
		if _, limited := l.Check(t.Context(), client, "secret-a", false); limited {
			t.Fatalf("request from %s limited", client)
		}
	}
	if _, limited := l.Check(t.Context(), "192.0.2.3", "secret-a", false); !limited {
		t.Error("the token's third request was let through")
	}
	if _, limited := l.Check(t.Context(), "192.0.2.3", "secret-b", false); limited {
		t.Error("another token was limited")
	}
	if _, limited := l.Check(t.Context(), "192.0.2.3", "", false); limited {
		t.Error("a request without a token was limited by the token limit")
	}
}

// TestLimiterCreations checks that the creation limit counts only the
// requests that create something, per client address, and that the other
// requests of a client that may create no more go through.
func TestLimiterCreations(t *testing.T) {
	l := New(NewMemory(), Limits{CreatePerClient: Limit{Rate: 1, Burst: 2, Period: time.Minute}}, quietLogger())
	for i := range 2 {
		if _, limited := l.Check(t.Context(), "192.0.2.1", "", true); limited {
			t.Fatalf("creation %d limited", i+1)
		}
	}
	wait, limited := l.Check(t.Context(), "192.0.2.1", "secret", true)
	if !limited || wait <= 0 || wait > time.Minute {
		t.Fatalf("third creation: limited %v, retry after %v; want limited for up to a minute", limited, wait)
	}
	for range 1000 {
		if _, limited := l.Check(t.Context(), "192.0.2.1", "secret", false); limited {
			t.Fatal("a request that creates nothing was limited by the creation limit")
		}
	}
	if _, limited := l.Check(t.Context(), "192.0.2.2", "", true); limited {
		t.Error("another client's creation was limited")
	}
}

// TestLimiterCreationFirst checks that a creation refused by its own
// limit is not counted against the client's limit for every request.
func TestLimiterCreationFirst(t *testing.T) {
	l := New(NewMemory(), Limits{
		PerClient:       Limit{Rate: 1, Burst: 3, Period: time.Minute},
		CreatePerClient: Limit{Rate: 1, Burst: 1, Period: time.Minute},
	}, quietLogger())
	l.Check(t.Context(), "192.0.2.1", "", true)
	for range 5 {
		if _, limited := l.Check(t.Context(), "192.0.2.1", "", true); !limited {
			t.Fatal("the second creation was let through")
		}
	}
	for i := range 2 {
		if _, limited := l.Check(t.Context(), "192.0.2.1", "", false); limited {
			t.Fatalf("request %d after the refused creations was limited: they were counted against every request's limit", i+2)
		}
	}
	if _, limited := l.Check(t.Context(), "192.0.2.1", "", false); !limited {
		t.Error("the client's fourth request was let through")
	}
}

// TestLimiterClientFirst checks that a request refused for its client is
// not counted against its token.
func TestLimiterClientFirst(t *testing.T) {
	l := New(NewMemory(), Limits{PerClient: Limit{Rate: 1, Burst: 1}, PerToken: Limit{Rate: 1, Burst: 2}}, quietLogger())
	l.Check(t.Context(), "192.0.2.1", "secret", false)
	for range 5 {
		if _, limited := l.Check(t.Context(), "192.0.2.1", "secret", false); !limited {
			t.Fatal("the client's second request was let through")
		}
	}
	if _, limited := l.Check(t.Context(), "192.0.2.2", "secret", false); limited {
		t.Error("the token's second request was limited: the client's refusals were counted against it")
	}
}

// TestLimiterKeepsNoSecret checks that a credential is known only by its
// SHA-256 hex.
func TestLimiterKeepsNoSecret(t *testing.T) {
	m := NewMemory()
	l := New(m, Limits{PerClient: Limit{Rate: 1, Burst: 1}, PerToken: Limit{Rate: 1, Burst: 1}, CreatePerClient: Limit{Rate: 1, Burst: 1}}, quietLogger())
	const secret = "0voxnM0Y3nhDl52Cxhozk_TeftiHmGA7tQCYu2ol4rs"
	l.Check(t.Context(), "192.0.2.1", secret, true)
	sum := sha256.Sum256([]byte(secret))
	m.mu.Lock()
	keys := slices.Sorted(maps.Keys(m.tat))
	m.mu.Unlock()
	want := []string{"client:192.0.2.1", "create:client:192.0.2.1", "token:" + hex.EncodeToString(sum[:])}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}
}

// TestLimiterFailsOpen checks that requests go through while the backend
// fails, and that the failure is logged once, not once per request.
func TestLimiterFailsOpen(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	// A client that gives up on a stopped server at once: go-redis's
	// defaults retry the command and each dial, over most of 2 s a check.
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = client.Close() })
	logs := &syncbuf.Buffer{}
	backend := &countingBackend{Backend: NewRedis(client, redistest.Prefix(t), 0)}
	l := New(backend, Limits{PerClient: Limit{Rate: 1, Burst: 1}, PerToken: Limit{Rate: 1, Burst: 1}},
		slog.New(slog.NewTextHandler(logs, nil)))
	// The test's two failures are seconds apart, or more on a loaded
	// machine: an hour keeps them within one warning period.
	l.warnEvery = time.Hour
	l.Check(t.Context(), "192.0.2.1", "secret", false)
	if _, limited := l.Check(t.Context(), "192.0.2.1", "secret", false); !limited {
		t.Fatal("the second request was let through while Redis was up")
	}
	srv.Stop()
	if wait, limited := l.Check(t.Context(), "192.0.2.1", "secret", false); limited {
		t.Fatalf("the first request with Redis stopped: limited (retry after %v), want let through", wait)
	}
	// Only that check asked Redis: for backendPause after its failure the
	// next go through without asking. (A check that starts later, on a
	// loaded machine, may ask again.)
	_, failedAt := backend.state()
	for i := range 10 {
		asked, _ := backend.state()
		start := time.Now()
		if wait, limited := l.Check(t.Context(), "192.0.2.1", "secret", false); limited {
			t.Fatalf("request %d with Redis stopped: limited (retry after %v), want let through", i+1, wait)
		}
		if n, _ := backend.state(); n != asked && start.Before(failedAt.Add(backendPause)) {
			t.Errorf("request %d, %v after the failure, asked the backend", i+1, start.Sub(failedAt))
		}
	}
	time.Sleep(backendPause)
	if _, limited := l.Check(t.Context(), "192.0.2.1", "secret", false); limited {
		t.Fatal("limited after the pause with Redis still stopped")
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings for two failures within %v, want 1:\n%s", n, l.warnEvery, logs)
	}
	if !strings.Contains(logs.String(), "rate limits not applied") {
		t.Errorf("the warning does not say what happens:\n%s", logs)
	}
}

// countingBackend counts the checks that reach its Backend, and notes
// when the last one to fail returned.
type countingBackend struct {
	Backend
	mu       sync.Mutex
	calls    int
	failedAt time.Time
}

func (c *countingBackend) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	res, err := c.Backend.Allow(ctx, key, limit)
	if err != nil {
		c.mu.Lock()
		c.failedAt = time.Now()
		c.mu.Unlock()
	}
	return res, err
}

func (c *countingBackend) state() (calls int, failedAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls, c.failedAt
}
