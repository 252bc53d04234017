package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// backendKind opens a fresh Backend, whose keys no other test sees.
type backendKind struct {
	name string
	open func(t *testing.T) Backend
}

// runSuite is the specification of a Backend: every backend must pass it,
// with the same answers. It runs on the wall clock (Redis has its own), so
// its limits count per hour: however loaded the machine, a test's own pace
// does not matter. Only testRetryAfter waits, and it checks the pace it
// depends on.
func runSuite(t *testing.T, k backendKind) {
	t.Run("burst then refusal", func(t *testing.T) { t.Parallel(); testBurst(t, k.open(t)) })
	t.Run("retry after", func(t *testing.T) { t.Parallel(); testRetryAfter(t, k.open(t)) })
	t.Run("keys apart", func(t *testing.T) { t.Parallel(); testKeysApart(t, k.open(t)) })
	t.Run("refusals not counted", func(t *testing.T) { t.Parallel(); testRefusalsNotCounted(t, k.open(t)) })
	t.Run("concurrent", func(t *testing.T) { t.Parallel(); testConcurrent(t, k.open(t)) })
}

func allow(t *testing.T, b Backend, key string, l Limit) Result {
	t.Helper()
	res, err := b.Allow(context.Background(), key, l)
	if err != nil {
		t.Fatalf("allow %s: %v", key, err)
	}
	return res
}

// testBurst: Burst requests at once are allowed, with Remaining counting
// down, and the next is refused with the time until one interval has
// passed since the first.
func testBurst(t *testing.T, b Backend) {
	l := Limit{Rate: 1, Burst: 5, Period: time.Hour}
	h := time.Hour
	start := time.Now()
	for i := range 5 {
		res := allow(t, b, "k", l)
		if !res.Allowed || res.Remaining != 4-i || res.RetryAfter != 0 {
			t.Fatalf("request %d: %+v, want allowed with %d remaining", i+1, res, 4-i)
		}
		if res.ResetAfter <= time.Duration(i)*h || res.ResetAfter > time.Duration(i+1)*h {
			t.Errorf("request %d: reset after %v, want in (%dh, %dh]", i+1, res.ResetAfter, i, i+1)
		}
	}
	res := allow(t, b, "k", l)
	elapsed := time.Since(start)
	if res.Allowed || res.Remaining != 0 {
		t.Fatalf("request 6: %+v, want refused", res)
	}
	// The first request's interval ends an hour after it.
	if res.RetryAfter > h || res.RetryAfter < h-elapsed-10*time.Millisecond {
		t.Errorf("request 6: retry after %v, want 1h less the %v the test took", res.RetryAfter, elapsed)
	}
	if res.ResetAfter <= 4*h || res.ResetAfter > 5*h {
		t.Errorf("request 6: reset after %v, want in (4h, 5h]", res.ResetAfter)
	}
}

// testRetryAfter: a refused request is allowed once RetryAfter has passed.
// The second request is refused only if it comes within the 200ms
// interval; on a machine too loaded for that, the pair is tried again on
// another key.
func testRetryAfter(t *testing.T, b Backend) {
	l := Limit{Rate: 5, Burst: 1}
	var key string
	var res Result
	for try := 0; ; try++ {
		key = fmt.Sprintf("k%d", try)
		start := time.Now()
		if res := allow(t, b, key, l); !res.Allowed {
			t.Fatalf("first request refused: %+v", res)
		}
		res = allow(t, b, key, l)
		took := time.Since(start)
		if !res.Allowed {
			break
		}
		if took < l.interval() {
			t.Fatalf("second request %v after the first: %+v, want refused", took, res)
		}
		if try == 100 {
			t.Skipf("no two requests within %v in 100 tries: the machine is too loaded to see a refusal", l.interval())
		}
		t.Logf("the pair took %v, longer than the interval: again", took)
	}
	if res.RetryAfter <= 0 || res.RetryAfter > l.interval() {
		t.Fatalf("second request: %+v, want refused for up to %v", res, l.interval())
	}
	time.Sleep(res.RetryAfter + 5*time.Millisecond)
	if res := allow(t, b, key, l); !res.Allowed || res.Remaining != 0 {
		t.Fatalf("after the wait: %+v, want allowed with none remaining", res)
	}
}

// testKeysApart: one key's use does not touch another's.
func testKeysApart(t *testing.T, b Backend) {
	l := Limit{Rate: 1, Burst: 2, Period: time.Hour}
	for range 2 {
		allow(t, b, "client:192.0.2.1", l)
	}
	if res := allow(t, b, "client:192.0.2.1", l); res.Allowed {
		t.Fatalf("third request of a burst of 2 allowed: %+v", res)
	}
	for _, key := range []string{"client:192.0.2.2", "token:192.0.2.1"} {
		if res := allow(t, b, key, l); !res.Allowed || res.Remaining != 1 {
			t.Errorf("%s after another key's burst: %+v, want a full bucket", key, res)
		}
	}
}

// testRefusalsNotCounted: hammering a refused key does not push its
// recovery further away.
func testRefusalsNotCounted(t *testing.T, b Backend) {
	l := Limit{Rate: 10, Burst: 1, Period: time.Hour}
	allow(t, b, "k", l)
	first := allow(t, b, "k", l)
	for range 20 {
		allow(t, b, "k", l)
	}
	last := allow(t, b, "k", l)
	if last.Allowed || last.RetryAfter > first.RetryAfter || last.ResetAfter > first.ResetAfter {
		t.Errorf("after 20 refusals: %+v; the first refusal said %+v", last, first)
	}
}

// testConcurrent: of many requests at once, exactly Burst go through.
func testConcurrent(t *testing.T, b Backend) {
	l := Limit{Rate: 1, Burst: 10, Period: time.Hour}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for range 30 {
		wg.Go(func() {
			res, err := b.Allow(context.Background(), "k", l)
			if err != nil {
				errs <- err
				return
			}
			if res.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := allowed.Load(); n != 10 {
		t.Errorf("%d of 30 concurrent requests allowed, want the burst of 10", n)
	}
}
