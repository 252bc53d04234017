package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	runSuite(t, backendKind{name: "memory", open: func(*testing.T) Backend { return NewMemory() }})
}

// clock is a test clock that moves only when told.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

// TestMemoryGCRA checks exact answers on a clock that stands still, worked
// out by hand from the algorithm: rate 2/s (an interval of 500ms), burst 3.
func TestMemoryGCRA(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	m := newMemoryAt(c.Now)
	l := Limit{Rate: 2, Burst: 3}
	ms := time.Millisecond
	steps := []struct {
		wait time.Duration
		want Result
	}{
		{0, Result{Allowed: true, Remaining: 2, ResetAfter: 500 * ms}},
		{0, Result{Allowed: true, Remaining: 1, ResetAfter: 1000 * ms}},
		{0, Result{Allowed: true, Remaining: 0, ResetAfter: 1500 * ms}},
		{0, Result{RetryAfter: 500 * ms, ResetAfter: 1500 * ms}},
		{200 * ms, Result{RetryAfter: 300 * ms, ResetAfter: 1300 * ms}},
		{300 * ms, Result{Allowed: true, Remaining: 0, ResetAfter: 1500 * ms}},
		{1000 * ms, Result{Allowed: true, Remaining: 1, ResetAfter: 1000 * ms}},
		{5 * time.Second, Result{Allowed: true, Remaining: 2, ResetAfter: 500 * ms}},
	}
	for i, s := range steps {
		c.advance(s.wait)
		got, err := m.Allow(t.Context(), "k", l)
		if err != nil {
			t.Fatal(err)
		}
		if got != s.want {
			t.Errorf("step %d (after %v): %+v, want %+v", i+1, s.wait, got, s.want)
		}
	}
}

// TestMemoryForgets checks that memory stays bounded: keys whose bucket is
// full again are dropped.
func TestMemoryForgets(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	m := newMemoryAt(c.Now)
	l := Limit{Rate: 10, Burst: 20}
	for i := range 1000 {
		if _, err := m.Allow(t.Context(), fmt.Sprintf("client:%d", i), l); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.size(); n != 1000 {
		t.Fatalf("%d keys remembered, want 1000", n)
	}
	// One request costs 100ms; a second later every bucket is full again.
	c.advance(sweepEvery)
	if _, err := m.Allow(t.Context(), "client:new", l); err != nil {
		t.Fatal(err)
	}
	if n := m.size(); n != 1 {
		t.Errorf("%d keys remembered after their buckets filled up, want only the new one", n)
	}
}

// TestMemoryPeriod checks a rate counted over a period other than a
// second: 2 a minute is an interval of 30 s.
func TestMemoryPeriod(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	m := newMemoryAt(c.Now)
	l := Limit{Rate: 2, Burst: 1, Period: time.Minute}
	if res, _ := m.Allow(t.Context(), "k", l); !res.Allowed || res.ResetAfter != 30*time.Second {
		t.Fatalf("first request: %+v, want allowed, full again in 30s", res)
	}
	c.advance(10 * time.Second)
	if res, _ := m.Allow(t.Context(), "k", l); res.Allowed || res.RetryAfter != 20*time.Second {
		t.Fatalf("10s later: %+v, want refused for 20s more", res)
	}
	c.advance(20 * time.Second)
	if res, _ := m.Allow(t.Context(), "k", l); !res.Allowed {
		t.Fatalf("30s later: %+v, want allowed", res)
	}
}
