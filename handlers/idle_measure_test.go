package handlers

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// idleClientEnv, when set in a child process, makes
// TestIdleStreamClient the client side of TestIdleStreamCost.
const idleClientEnv = "TINCAN_IDLE_CLIENT_URL"

// TestIdleStreamCost measures what an idle SSE stream costs the server:
// heap and stack in use (runtime.MemStats HeapInuse+StackInuse after
// garbage collection) and goroutines, per stream, with N streams (default
// 2,000; TINCAN_MEASURE_STREAMS) open on distinct ports over loopback, on
// the memory store and on a real Redis store; on Redis also the
// connections the store holds (INFO clients), which must not grow with the
// streams. It runs only with TINCAN_MEASURE=1 and asserts no figure but
// the one the design promises: no goroutine per stream beyond the
// handler's and net/http's own two (the connection's, which runs the
// handler, and its background reader).
//
// The clients run in a child process (this test binary, running
// TestIdleStreamClient), so the parent's figures are the server's alone:
// an in-process client would add its own connection buffers, goroutines
// and response bodies to every stream. The channels are created before
// the baseline, so what is counted is the streams themselves: net/http's
// connection (its bufio reader and writer, the response's chunking
// buffer, two goroutine stacks), the handler's stream, the subscription
// and, on Redis, the listener's bookkeeping for the port.
func TestIdleStreamCost(t *testing.T) {
	if os.Getenv("TINCAN_MEASURE") != "1" {
		t.Skip("a measurement: set TINCAN_MEASURE=1 to run it")
	}
	n := 2000
	if v := os.Getenv("TINCAN_MEASURE_STREAMS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("TINCAN_MEASURE_STREAMS=%q", v)
		}
	}
	if os.Getenv("TINCAN_MEASURE_PROFILE") != "" {
		// Sample finely: a stream's allocations are small.
		runtime.MemProfileRate = 512
	}
	t.Run("memory", func(t *testing.T) {
		st := memory.New(store.Limits{})
		t.Cleanup(func() { _ = st.Close() })
		measureIdleStreams(t, st, n, nil, 0)
	})
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		rc := srv.Client(t)
		st, err := redisstore.New(context.Background(), rc, redisstore.Options{
			Prefix: redistest.Prefix(t),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		clients := func() int {
			info, err := rc.Info(context.Background(), "clients").Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(info, "\r\n") {
				if v, ok := strings.CutPrefix(line, "connected_clients:"); ok {
					c, _ := strconv.Atoi(v)
					return c
				}
			}
			t.Fatalf("no connected_clients in %q", info)
			return 0
		}
		measureIdleStreams(t, st, n, clients, rc.Options().PoolSize)
	})
}

// idleFigures are one measurement of the server process.
type idleFigures struct {
	heap, stack uint64 // HeapInuse, StackInuse
	alloc       uint64 // HeapAlloc: the objects alone, without the spans' slack
	goroutines  int
	redisConns  int
}

func measureIdle(redisConns func() int) idleFigures {
	// Several cycles: the second frees what the first's finalizers
	// released, and each halves the goroutine stacks that use less than a
	// quarter of theirs, as a long-running server's collections would.
	for range 6 {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f := idleFigures{heap: ms.HeapInuse, stack: ms.StackInuse, alloc: ms.HeapAlloc, goroutines: runtime.NumGoroutine()}
	if redisConns != nil {
		f.redisConns = redisConns()
	}
	return f
}

// writeHeapProfile writes the live heap's profile to path, for
// `go tool pprof -sample_index=inuse_space`.
func writeHeapProfile(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
	t.Logf("heap profile: %s", path)
}

func measureIdleStreams(t *testing.T, st store.Store, n int, redisConns func() int, poolSize int) {
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), st, Config{
		KeepAlive:           time.Hour, // idle means idle: no keep-alive during the measurement
		MaxStreamsPerClient: n + 1,
		ParkStreams:         parkAll, // measured on both paths: see TestMain
	})
	// TINCAN_MEASURE_TLS=h1 or h2 measures streams over TLS served by the
	// server itself, HTTP/1.1 or HTTP/2, which always take the standard
	// path; its cost is reported, not bounded.
	ts := httptest.NewUnstartedServer(s)
	switch tlsMode := os.Getenv("TINCAN_MEASURE_TLS"); tlsMode {
	case "":
		ts.Start()
	case "h1", "h2":
		ts.EnableHTTP2 = tlsMode == "h2"
		ts.StartTLS()
	default:
		t.Fatalf("TINCAN_MEASURE_TLS=%q: h1 or h2", tlsMode)
	}
	defer ts.Close()
	defer s.CloseStreams()

	var creds strings.Builder
	for range n {
		ch, err := st.CreateChannel(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&creds, "%s %s\n", ch.Port1.ID, ch.Port1.Token)
	}
	before := measureIdle(redisConns)

	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleStreamClient$", "-test.count=1")
	cmd.Env = append(os.Environ(), idleClientEnv+"="+ts.URL, "TINCAN_TEST_PARK=0")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if _, err := io.WriteString(stdin, creds.String()+"\n"); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "ready" {
	}
	if lines.Text() != "ready" {
		t.Fatal("the client process ended before its streams were open")
	}
	after := measureIdle(redisConns)
	if dir := os.Getenv("TINCAN_MEASURE_PROFILE"); dir != "" {
		writeHeapProfile(t, filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "-")+".heap"))
		if f, err := os.Create(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "-")+".goroutines")); err == nil {
			_ = pprof.Lookup("goroutine").WriteTo(f, 1)
			f.Close()
		}
	}

	per := func(a, b uint64) float64 { return (float64(b) - float64(a)) / float64(n) }
	t.Logf("%d idle streams: heap %.0f B/stream (objects %.0f), stack %.0f B/stream, heap+stack %.0f B/stream (%.2f KiB); goroutines %.2f/stream",
		n, per(before.heap, after.heap), per(before.alloc, after.alloc), per(before.stack, after.stack),
		per(before.heap+before.stack, after.heap+after.stack), per(before.heap+before.stack, after.heap+after.stack)/1024,
		float64(after.goroutines-before.goroutines)/float64(n))
	if redisConns != nil {
		// Opening the streams reads concurrently, which may fill the
		// client's pool; the listener adds one pub/sub connection.
		t.Logf("redis connected_clients: %d before the streams, %d with them (pool size %d)", before.redisConns, after.redisConns, poolSize)
		if after.redisConns > poolSize+1 {
			t.Errorf("Redis connections grew with the streams: %d -> %d, pool size %d", before.redisConns, after.redisConns, poolSize)
		}
	}
	// Beyond net/http's two per connection: at most the Redis listener's
	// reader, started with the first subscription; parked, none per
	// stream: the poller and that reader.
	if g := after.goroutines - before.goroutines; parkAll && os.Getenv("TINCAN_MEASURE_TLS") == "" && g > 2 {
		t.Errorf("%d goroutines for %d parked streams", g, n)
	}
	if g := after.goroutines - before.goroutines; g > 2*n+1 {
		t.Errorf("%d goroutines for %d streams: more than net/http's two per connection", g, n)
	}

	// The client hangs up; every stream must end and leave nothing.
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("client process: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for s.parker.parkedStreams() > 0 && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	deadline := time.Now().Add(waitLimit)
	for runtime.NumGoroutine() > before.goroutines+1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before.goroutines+1 {
		t.Errorf("%d goroutines after the streams ended, %d before", g, before.goroutines)
	}
}

// TestIdleStreamClient is the client side of TestIdleStreamCost, run in a
// child process: it reads "port token" lines from stdin up to an empty
// line, opens a stream on each port, prints "ready" once every stream has
// its first bytes, and holds them until stdin ends.
func TestIdleStreamClient(t *testing.T) {
	base := os.Getenv(idleClientEnv)
	if base == "" {
		t.Skip("the client side of TestIdleStreamCost")
	}
	in := bufio.NewReader(os.Stdin)
	var ports [][2]string
	for {
		line, err := in.ReadString('\n')
		line = strings.TrimSpace(line)
		if err != nil || line == "" {
			break
		}
		id, token, _ := strings.Cut(line, " ")
		ports = append(ports, [2]string{id, token})
	}
	tr := &http.Transport{
		DialContext:     (&net.Dialer{}).DialContext,
		MaxConnsPerHost: 0, // unlimited: one connection per stream
	}
	if strings.HasPrefix(base, "https:") {
		// The test server's own certificate, on loopback.
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		// HTTP/2 multiplexes every stream on one connection, as browsers
		// do; HTTP/1.1 has one connection per stream.
		tr.ForceAttemptHTTP2 = os.Getenv("TINCAN_MEASURE_TLS") == "h2"
	}
	hc := &http.Client{Transport: tr}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		bodies []io.Closer
		sem    = make(chan struct{}, 64)
	)
	for _, p := range ports {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			req, _ := http.NewRequest(http.MethodGet, base+"/ports/"+p[0]+"/events", nil)
			req.Header.Set("Authorization", "Bearer "+p[1])
			res, err := hc.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			if res.StatusCode != http.StatusOK {
				t.Errorf("stream %s: status %d", p[0], res.StatusCode)
				res.Body.Close()
				return
			}
			// The server flushes its retry hint when the stream starts.
			if _, err := bufio.NewReader(res.Body).ReadString('\n'); err != nil {
				t.Error(err)
			}
			mu.Lock()
			bodies = append(bodies, res.Body)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, in)
	for _, b := range bodies {
		_ = b.Close()
	}
}
