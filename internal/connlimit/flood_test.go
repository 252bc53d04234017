package connlimit

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFlood opens 2,000 connections that send nothing from one address
// (127.0.0.1) against a real http.Server behind the wrapper, with a small
// per-client cap, and checks that another client (127.0.0.2) still gets
// /healthz answered, that the server held no more than the cap of the
// flood, and that everything is released afterwards. It prints the
// process's open descriptors (/proc/self/fd; client and server sides both
// live in this process) and heap before, during and after, and asserts no
// figure of time or memory.
func TestFlood(t *testing.T) {
	const (
		flood     = 2000
		perClient = 64
	)
	needFDs(t, flood+perClient+100)
	l := New(Limits{PerClient: perClient, Global: 4096, Pending: 1024})
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := inner.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Minute, ConnState: l.ConnState}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l.Listen(inner)) }()
	defer func() {
		_ = srv.Close()
		if err := <-served; err != http.ErrServerClosed {
			t.Errorf("serve: %v", err)
		}
	}()

	fdsBefore, heapBefore := openFDs(t), heapInUse()
	start := time.Now()
	conns := make([]net.Conn, 0, flood)
	var readers sync.WaitGroup
	defer readers.Wait()
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, Timeout: wait}
	for range flood {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	dialed := time.Since(start)
	waitFor(t, "every connection admitted or refused", func() bool {
		s := l.Stats()
		return s.Accepted+s.RefusedPerClient == flood
	})
	settled := time.Since(start)
	fdsPeak, heapPeak := openFDs(t), heapInUse()
	s := l.Stats()
	if s.Open != perClient || s.RefusedPerClient != flood-perClient {
		t.Fatalf("stats %+v, want %d open and %d refused", s, perClient, flood-perClient)
	}

	hc := &http.Client{
		Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext},
		Timeout:   wait,
	}
	defer hc.CloseIdleConnections()
	t0 := time.Now()
	res, err := hc.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("/healthz from another client during the flood: %v", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	healthz := time.Since(t0)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz from another client during the flood: %d", res.StatusCode)
	}

	// The flooding client reads what it got, as a client would: each
	// refused connection its 429 and the server's close, after which it
	// closes its socket; the admitted ones get nothing, until the test
	// closes them.
	var answered atomic.Int64
	for _, c := range conns {
		readers.Add(1)
		go func() {
			defer readers.Done()
			if b, _ := io.ReadAll(c); string(b) == answer429 {
				_ = c.Close()
				answered.Add(1)
			}
		}()
	}
	waitFor(t, "every refused connection read its answer", func() bool { return answered.Load() == flood-perClient })
	fdsHeld := openFDs(t)

	for _, c := range conns {
		_ = c.Close()
	}
	conns = nil
	hc.CloseIdleConnections()
	waitFor(t, "every connection counted out", func() bool { return l.Stats().Open == 0 })
	fdsAfter := openFDs(t)

	t.Logf("flood of %d idle connections from 127.0.0.1, per-client cap %d:", flood, perClient)
	t.Logf("  dialed in %v, all admitted or refused after %v; server holds %d, refused %d (each read a 429: %d)",
		dialed.Round(time.Millisecond), settled.Round(time.Millisecond), s.Open, s.RefusedPerClient, answered.Load())
	t.Logf("  /healthz from 127.0.0.2 during the flood: %d in %v", res.StatusCode, healthz.Round(time.Microsecond))
	t.Logf("  open fds: before %d; with all %d client sockets open %d (+%d: the client's %d and the server's %d); "+
		"after the client closed the refused %d; after all closed %d",
		fdsBefore, flood, fdsPeak, fdsPeak-fdsBefore, flood, s.Open, fdsHeld, fdsAfter)
	t.Logf("  heap+stack in use (both sides): before %s, during %s", mib(heapBefore), mib(heapPeak))
}

// needFDs skips the test unless the process may open n descriptors.
func needFDs(t *testing.T, n uint64) {
	t.Helper()
	if soft, _, err := RaiseFileLimit(); err == nil && soft < n {
		t.Skipf("the descriptor limit is %d; the test needs %d", soft, n)
	}
}

// openFDs counts the process's open file descriptors, or skips the test
// where /proc/self/fd does not exist.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// heapInUse is the heap and stacks in use after a collection, in bytes.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// TestHeldConnectionCost measures what a connection the server holds
// costs in heap and stacks, to size Limits.Global and Limits.Pending
// against a memory ceiling: 1,000 connections from one address, first
// pending (nothing sent), then idle between requests (one GET answered).
// Client and server live in this process; the client's side of a
// connection holds no goroutine and no buffer here, so the figure is
// nearly all the server's. It prints the figures and asserts none.
func TestHeldConnectionCost(t *testing.T) {
	const n = 1000
	needFDs(t, 2*n+100)
	l := New(Limits{})
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := inner.Addr().String()
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }),
		ReadHeaderTimeout: time.Minute,
		IdleTimeout:       time.Minute,
		ConnState:         l.ConnState,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l.Listen(inner)) }()
	defer func() {
		_ = srv.Close()
		<-served
	}()

	before := heapInUse()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range n {
		c, err := net.DialTimeout("tcp", addr, wait)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	waitFor(t, "every connection admitted", func() bool { return l.Stats().Accepted == n })
	pending := heapInUse()
	for _, c := range conns {
		if code := get(t, c, "/"); code != http.StatusOK {
			t.Fatalf("GET: %d", code)
		}
	}
	waitFor(t, "every connection past its headers", func() bool { return l.Stats().Pending == 0 })
	idle := heapInUse()
	per := func(b uint64) string {
		if b < before {
			return "n/a"
		}
		return fmt.Sprintf("%.1f KiB", float64(b-before)/n/1024)
	}
	t.Logf("%d held connections: heap+stack before %s; pending %s (%s each); idle after one request %s (%s each)",
		n, mib(before), mib(pending), per(pending), mib(idle), per(idle))
}
