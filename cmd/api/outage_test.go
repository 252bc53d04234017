package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
)

// Redis trouble, end to end: the whole service runs in this process on a
// private redis-server (append-only file, fsync always, so a killed
// server loses nothing acknowledged), which the test pauses (SIGSTOP) and
// kills while clients post, poll and listen.
//
// Promised, and checked: while Redis is gone every post answers 503 with
// Retry-After; /readyz answers 503; long polls answer 503 or wait out; the
// open stream stays open with its keep-alives. Once Redis is back posts
// succeed again, and the stream, never reconnected, delivers every
// acknowledged message exactly once, in order. Goroutines return to their
// number before the trouble.
//
// How long a 503 takes (REDIS_TIMEOUT plus a little; see
// TestRedisTimeoutsBoundTheClient) and how soon posts succeed again are
// logged, not asserted: on a loaded machine they stretch, and an assertion
// on them would fail for the machine's sake. The test allows
// outagePatience for each, which only a hang reaches.
//
// A 503 is an unknown outcome, not a refusal: a post whose command reached
// the paused server before its deadline runs when the server resumes, and
// the stream delivers it. The checker allows that, once.
//
// TINCAN_LONG_TESTS=1 runs five pauses and five kills instead of one each.
func TestRedisOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("pauses and kills a redis-server")
	}
	if os.Getenv("REDIS_URL") != "" {
		t.Skip("pauses and kills its server; not done to the one at REDIS_URL")
	}
	quietRedisLog()
	cycles := 1
	if os.Getenv("TINCAN_LONG_TESTS") == "1" {
		cycles = 5
	}
	const redisTimeout = 500 * time.Millisecond
	srv := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	addr := fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := newSyncBuffer(t)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"api"}, env(map[string]string{
			"ADDR":               addr,
			"REDIS_URL":          srv.URL,
			"REDIS_KEY_PREFIX":   redistest.Prefix(t),
			"REDIS_TIMEOUT":      redisTimeout.String(),
			"KEEPALIVE_INTERVAL": "200ms",
			"LOG_LEVEL":          "warn",
		}), logs)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	waitHealthy(t, nil, base, logs)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	ch := createChannel(t, base)
	st := openRawStream(t, hc, base, ch.Port2)
	defer st.close()
	ck := &checker{}
	for i := range 3 {
		ck.post(hc, base, ch.Port1, fmt.Sprintf("warm-%d", i))
	}
	ck.expect(t, st, outagePatience)
	hc.CloseIdleConnections()
	baseline := settledGoroutines(0)
	t.Logf("goroutines before the trouble: %d", baseline)

	var worst, worstMoving time.Duration
	var recoveries []time.Duration
	for cycle := range cycles {
		for _, fault := range []string{"pause", "kill"} {
			name := fmt.Sprintf("%s-%d", fault, cycle)
			keepAlives := st.keepAlives()
			carried := createChannel(t, base) // its port goes in a message
			switch fault {
			case "pause":
				srv.Pause()
			case "kill":
				srv.Stop()
			}
			w, wm := trouble(t, hc, base, ch, carried.Port1, ck, name)
			worst, worstMoving = max(worst, w), max(worstMoving, wm)
			if st.keepAlives() <= keepAlives {
				t.Errorf("%s: no keep-alive on the open stream while Redis was gone", name)
			}
			back := time.Now()
			switch fault {
			case "pause":
				srv.Resume()
			case "kill":
				srv.Restart()
			}
			recoveries = append(recoveries, recovery(t, hc, base, ch, ck, name, back))
			ck.expect(t, st, outagePatience)
		}
	}
	t.Logf("slowest 503 while Redis was gone: %v (REDIS_TIMEOUT %v), %v for a post carrying a port; first 201 after Redis returned: %v", worst, redisTimeout, worstMoving, recoveries)
	t.Logf("posts: %d acknowledged, %d unknown (503), %d of the unknown delivered", ck.acked(), ck.unknownCount(), ck.unknownDelivered())

	hc.CloseIdleConnections()
	if n := settledGoroutines(baseline); n > baseline {
		t.Errorf("goroutines: %d after the trouble, %d before\n%s", n, baseline, goroutineDump())
	}
	st.close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
}

// outagePatience bounds each wait of TestRedisOutage: an answer while
// Redis is gone, the first 201 after it returns, a delivery. They take
// REDIS_TIMEOUT or moments; this is only how long a hang takes to fail.
const outagePatience = 30 * time.Second

// trouble runs clients against the service for a second while Redis is
// gone: posts must answer 503 with Retry-After, /readyz 503, long polls
// 503 or 200. A post carrying the port carried (several round trips) must
// answer 503 too. It returns the slowest post, and the time the post
// carrying a port took.
func trouble(t *testing.T, hc *http.Client, base string, ch channelCreds, carried portCreds, ck *checker, name string) (time.Duration, time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var worst, moving time.Duration
	wg.Go(func() {
		start := time.Now()
		body := fmt.Sprintf(`{"data":%q,"transfer":[{"port":%q,"token":%q}]}`, name+"-carrying", carried.ID, carried.Token)
		status, retryAfter := ck.postJSON(hc, base, ch.Port1, name+"-carrying", body)
		moving = time.Since(start)
		if status != http.StatusServiceUnavailable || retryAfter == "" {
			t.Errorf("%s: a post carrying a port answered %d (Retry-After %q) while Redis was gone", name, status, retryAfter)
		}
		if moving > outagePatience {
			t.Errorf("%s: a post carrying a port took %v while Redis was gone", name, moving)
		}
	})
	stop := time.Now().Add(time.Second)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				start := time.Now()
				status, retryAfter := ck.post(hc, base, ch.Port1, fmt.Sprintf("%s-w%d-%d", name, w, i))
				d := time.Since(start)
				mu.Lock()
				worst = max(worst, d)
				mu.Unlock()
				if status != http.StatusServiceUnavailable || retryAfter == "" {
					t.Errorf("%s: post answered %d (Retry-After %q) while Redis was gone, want 503 with Retry-After", name, status, retryAfter)
				}
				if d > outagePatience {
					t.Errorf("%s: a post took %v while Redis was gone", name, d)
				}
			}
		})
	}
	wg.Go(func() {
		res, err := hc.Get(base + "/readyz")
		if err != nil {
			t.Errorf("%s: readyz: %v", name, err)
			return
		}
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: readyz answered %d while Redis was gone", name, res.StatusCode)
		}
	})
	wg.Go(func() {
		res, err := hc.Get(base + "/ports/" + ch.Port1.ID + "/messages?wait=1&access_token=" + ch.Port1.Token)
		if err != nil {
			t.Errorf("%s: long poll: %v", name, err)
			return
		}
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable && res.StatusCode != http.StatusOK {
			t.Errorf("%s: long poll answered %d while Redis was gone", name, res.StatusCode)
		}
	})
	wg.Wait()
	return worst, moving
}

// recovery posts until a post is acknowledged, and fails the test unless
// that happens within outagePatience of back; /readyz must follow. It
// returns how long the first 201 took.
func recovery(t *testing.T, hc *http.Client, base string, ch channelCreds, ck *checker, name string, back time.Time) time.Duration {
	t.Helper()
	for i := 0; ; i++ {
		status, _ := ck.post(hc, base, ch.Port1, fmt.Sprintf("%s-back-%d", name, i))
		if status == http.StatusCreated {
			break
		}
		if status != http.StatusServiceUnavailable {
			t.Fatalf("%s: post answered %d while Redis came back", name, status)
		}
		if time.Since(back) > outagePatience {
			t.Fatalf("%s: no post acknowledged within %v of Redis's return", name, outagePatience)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(back)
	for {
		res, err := hc.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(back) > outagePatience {
			t.Fatalf("%s: /readyz not ready within %v of Redis's return", name, outagePatience)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 3 {
		if status, _ := ck.post(hc, base, ch.Port1, fmt.Sprintf("%s-after-%d", name, i)); status != http.StatusCreated {
			t.Errorf("%s: post after recovery: %d", name, status)
		}
	}
	return took
}

// checker records every post's outcome and compares what a stream
// delivered with it.
type checker struct {
	mu        sync.Mutex
	order     []string        // acknowledged texts, in the order acknowledged
	unknown   map[string]bool // texts answered 503
	delivered map[string]int  // every text the stream delivered, counted
}

// post sends text and records the outcome: 201 acknowledged, 503 unknown.
func (c *checker) post(hc *http.Client, base string, p portCreds, text string) (status int, retryAfter string) {
	req, _ := http.NewRequest("POST", base+"/ports/"+p.ID+"/messages", strings.NewReader(text))
	req.Header.Set("Content-Type", "text/plain")
	return c.send(hc, req, p, text)
}

// postJSON posts a JSON body whose data is text.
func (c *checker) postJSON(hc *http.Client, base string, p portCreds, text, body string) (status int, retryAfter string) {
	req, _ := http.NewRequest("POST", base+"/ports/"+p.ID+"/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return c.send(hc, req, p, text)
}

func (c *checker) send(hc *http.Client, req *http.Request, p portCreds, text string) (status int, retryAfter string) {
	req.Header.Set("Authorization", "Bearer "+p.Token)
	res, err := hc.Do(req)
	if err != nil {
		return 0, ""
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch res.StatusCode {
	case http.StatusCreated:
		c.order = append(c.order, text)
	case http.StatusServiceUnavailable:
		if c.unknown == nil {
			c.unknown = map[string]bool{}
		}
		c.unknown[text] = true
	}
	return res.StatusCode, res.Header.Get("Retry-After")
}

// expect reads st until every acknowledged text has arrived, then checks
// that each arrived once, acknowledged ones in order, and nothing arrived
// that was not posted.
func (c *checker) expect(t *testing.T, st *rawStream, limit time.Duration) {
	t.Helper()
	c.mu.Lock()
	want := append([]string(nil), c.order...)
	c.mu.Unlock()
	if c.delivered == nil {
		c.delivered = map[string]int{}
	}
	timeout := time.After(limit)
	var got []string
	for {
		missing := 0
		for _, w := range want {
			if c.delivered[w] == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		select {
		case text, ok := <-st.messages:
			if !ok {
				t.Fatalf("the stream ended; %d acknowledged messages missing", missing)
			}
			c.delivered[text]++
			got = append(got, text)
		case <-timeout:
			t.Fatalf("%d acknowledged messages not delivered within %v", missing, limit)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for text, n := range c.delivered {
		if n > 1 {
			t.Errorf("%q delivered %d times", text, n)
		}
		if !c.unknown[text] && !contains(c.order, text) {
			t.Errorf("%q delivered but never acknowledged nor answered 503", text)
		}
	}
	// Acknowledged messages arrive in the order they were acknowledged.
	last := -1
	for _, text := range got {
		for i, w := range c.order {
			if w == text {
				if i < last {
					t.Errorf("%q delivered out of order", text)
				}
				last = i
			}
		}
	}
}

func (c *checker) acked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.order)
}

func (c *checker) unknownCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.unknown)
}

func (c *checker) unknownDelivered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for text := range c.unknown {
		n += c.delivered[text]
	}
	return n
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// rawStream is an open event stream read line by line: its messages'
// data texts, and a count of its keep-alive comments.
type rawStream struct {
	messages chan string
	body     io.Closer
	mu       sync.Mutex
	comments int
}

func openRawStream(t *testing.T, hc *http.Client, base string, p portCreds) *rawStream {
	t.Helper()
	res, err := hc.Get(base + "/ports/" + p.ID + "/events?access_token=" + p.Token)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	st := &rawStream{messages: make(chan string, 10000), body: res.Body}
	go func() {
		defer close(st.messages)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			line := sc.Text()
			if line == ": keep-alive" {
				st.mu.Lock()
				st.comments++
				st.mu.Unlock()
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var m struct{ Data string }
				if json.Unmarshal([]byte(data), &m) == nil && m.Data != "" {
					st.messages <- m.Data
				}
			}
		}
	}()
	return st
}

func (st *rawStream) keepAlives() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.comments
}

func (st *rawStream) close() { _ = st.body.Close() }

// settledGoroutines waits up to outagePatience for the goroutine count to
// fall to target (0: until it stops changing) and returns it.
func settledGoroutines(target int) int {
	deadline := time.Now().Add(outagePatience)
	prev := -1
	for {
		runtime.GC()
		n := runtime.NumGoroutine()
		if (target > 0 && n <= target) || (target == 0 && n == prev) || time.Now().After(deadline) {
			return n
		}
		prev = n
		time.Sleep(100 * time.Millisecond)
	}
}

// quietRedisLog silences go-redis's own log of every failed dial, of
// which these tests make many on purpose.
func quietRedisLog() { goredis.SetLogger(quietLogger{}) }

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func goroutineDump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// Started while its Redis is down, the service waits for it (saying so)
// and serves once it is up; with Redis down for longer than
// REDIS_STARTUP_TIMEOUT it gives up with an error naming the setting.
func TestStartWhileRedisDown(t *testing.T) {
	if testing.Short() {
		t.Skip("stops a redis-server")
	}
	if os.Getenv("REDIS_URL") != "" {
		t.Skip("stops its server; not done to the one at REDIS_URL")
	}
	quietRedisLog()
	srv := redistest.Start(t, "--appendonly", "no")
	srv.Stop()

	addr := fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
	logs := newSyncBuffer(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"api"}, env(map[string]string{
			"ADDR": addr, "REDIS_URL": srv.URL, "REDIS_KEY_PREFIX": redistest.Prefix(t),
			"REDIS_TIMEOUT": "200ms", "REDIS_STARTUP_TIMEOUT": "20s",
		}), logs)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "waiting for redis before serving") {
		if time.Now().After(deadline) {
			t.Fatalf("no word of waiting for redis:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.Restart()
	waitHealthy(t, nil, "http://"+addr, logs)
	createChannel(t, "http://"+addr)
	if !strings.Contains(logs.String(), "what a crash of redis would lose: everything") {
		t.Errorf("no word of what a crash would lose:\n%s", logs.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}

	// Given up on after REDIS_STARTUP_TIMEOUT.
	srv.Stop()
	start := time.Now()
	err := run(t.Context(), []string{"api"}, env(map[string]string{
		"ADDR": fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t)), "REDIS_URL": srv.URL,
		"REDIS_TIMEOUT": "100ms", "REDIS_STARTUP_TIMEOUT": "500ms",
	}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "REDIS_STARTUP_TIMEOUT") {
		t.Errorf("run with redis down: %v", err)
	}
	// About 500ms: TestStartupAttemptEndsAtTheLimit checks why, without a
	// clock that a loaded machine stretches.
	t.Logf("gave up after %v (REDIS_STARTUP_TIMEOUT 500ms)", time.Since(start).Round(time.Millisecond))
}

// TestStartupAttemptEndsAtTheLimit: the last attempt to reach Redis ends
// at REDIS_STARTUP_TIMEOUT too, so that the client's own retries of a
// refused connection cannot outlast it (they did, by 1.2 s). An attempt
// that runs on until its context ends shows where that is.
func TestStartupAttemptEndsAtTheLimit(t *testing.T) {
	const limit = 300 * time.Millisecond
	start := time.Now()
	attempts := 0
	_, err := untilReachable(t.Context(), slog.New(slog.DiscardHandler), limit, "127.0.0.1:1", func(ctx context.Context) (struct{}, error) {
		attempts++
		called := time.Now()
		deadline, ok := ctx.Deadline()
		if !ok {
			t.Errorf("attempt %d has no deadline", attempts)
			return struct{}{}, fmt.Errorf("dial: %w", store.ErrUnavailable)
		}
		// The limit is counted from before the first attempt.
		if deadline.Before(start.Add(limit)) || deadline.After(called.Add(limit)) {
			t.Errorf("attempt %d ends %v after the start, want the limit %v", attempts, deadline.Sub(start), limit)
		}
		<-ctx.Done() // as the client's retries would go on
		return struct{}{}, fmt.Errorf("dial: %w", store.ErrUnavailable)
	})
	if err == nil || !strings.Contains(err.Error(), "REDIS_STARTUP_TIMEOUT") {
		t.Errorf("untilReachable: %v, want the error naming REDIS_STARTUP_TIMEOUT", err)
	}
	if attempts != 1 {
		t.Errorf("%d attempts, want the one that ran to the limit", attempts)
	}
}

// TestRedisTimeoutsBoundTheClient: REDIS_TIMEOUT bounds every dial, read,
// write and wait for a pooled connection of the client, in each mode, and
// a request's deadline reaches the socket; with REDIS_WAIT_REPLICAS a read
// may wait REDIS_WAIT_TIMEOUT more. This is what makes a post answer 503
// within about REDIS_TIMEOUT while Redis is gone (TestRedisOutage logs how
// long it took).
func TestRedisTimeoutsBoundTheClient(t *testing.T) {
	const timeout, wait = 700 * time.Millisecond, 300 * time.Millisecond
	for _, tc := range []struct{ mode, url string }{
		{redisSingle, "redis://127.0.0.1:1"},
		{redisCluster, "redis://127.0.0.1:1?addr=127.0.0.1:2"},
		{redisSentinel, "redis://127.0.0.1:1?master_name=m"},
	} {
		for _, replicas := range []int{0, 1} {
			target, err := parseRedisTarget(tc.mode, tc.url)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{RedisTimeout: timeout, RedisWaitReplicas: replicas, RedisWaitTimeout: wait}
			c := target.newClient(func(o *goredis.Options) { applyRedisTimeouts(o, cfg) })
			var dial, read, write, pool time.Duration
			var withContext bool
			switch c := c.(type) {
			case *goredis.Client:
				o := c.Options()
				dial, read, write, pool, withContext = o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.ContextTimeoutEnabled
			case *goredis.ClusterClient:
				o := c.Options()
				dial, read, write, pool, withContext = o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.ContextTimeoutEnabled
			default:
				t.Fatalf("%s: a %T", tc.mode, c)
			}
			_ = c.Close()
			wantRead := timeout
			if replicas > 0 {
				wantRead += wait
			}
			if dial != timeout || read != wantRead || write != timeout || pool != timeout || !withContext {
				t.Errorf("%s, %d replicas to wait for: dial %v read %v write %v pool %v, deadlines from the context %v; want %v (read %v) and true",
					tc.mode, replicas, dial, read, write, pool, withContext, timeout, wantRead)
			}
		}
	}
}
