package connlimit

import (
	"bufio"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// wait bounds every wait of these tests for something that happens on
// loopback at once; it is a bound against hanging, never a measurement.
const wait = 10 * time.Second

// Refusal answers, as a client reads them.
const (
	answer429 = "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"
	answer503 = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"
)

// acceptor accepts on a Listen of l in a goroutine and hands each
// admitted connection to the test, which owns it. Its listener and every
// connection it handed on are closed, and its goroutine joined, when the
// test ends.
type acceptor struct {
	addr  string
	conns chan net.Conn
}

func startAcceptor(t *testing.T, l *Limiter) *acceptor {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := l.Listen(inner)
	a := &acceptor{addr: inner.Addr().String(), conns: make(chan net.Conn, 64)}
	var (
		mu     sync.Mutex
		served []net.Conn
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			served = append(served, c)
			mu.Unlock()
			a.conns <- c
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range served {
			_ = c.Close()
		}
	})
	return a
}

// admitted returns the next connection the acceptor admitted.
func (a *acceptor) admitted(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c := <-a.conns:
		return c
	case <-time.After(wait):
		t.Fatal("no connection admitted")
		return nil
	}
}

// dialFrom connects to addr from the loopback address src (127.0.0.x),
// and closes the connection when the test ends.
func dialFrom(t testing.TB, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: wait}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// readAll reads c until the server closes it.
func readAll(t *testing.T, c net.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(wait))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read a refused connection: %v (after %q)", err, b)
	}
	return string(b)
}

// waitStats waits until l's Stats satisfy want. A refusal is counted
// just after the refused connection is closed, so its client may see the
// close first.
func waitStats(t *testing.T, l *Limiter, what string, want func(Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for s := l.Stats(); !want(s); s = l.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want %s", s, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitFor polls cond until it holds, failing the test after wait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(wait); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// The (N+1)th connection of a client is answered 429 and closed at
// accept, never reaching the server; other clients are not affected; a
// connection closed on the server's side frees its slot.
func TestPerClientCap(t *testing.T) {
	l := New(Limits{PerClient: 2})
	a := startAcceptor(t, l)
	dialFrom(t, "127.0.0.1", a.addr)
	first := a.admitted(t)
	dialFrom(t, "127.0.0.1", a.addr)
	a.admitted(t)

	if got := readAll(t, dialFrom(t, "127.0.0.1", a.addr)); got != answer429 {
		t.Fatalf("the third connection of a client read %q, want %q", got, answer429)
	}
	dialFrom(t, "127.0.0.2", a.addr)
	a.admitted(t)

	_ = first.Close()
	_ = first.Close() // counts out once
	dialFrom(t, "127.0.0.1", a.addr)
	a.admitted(t)
	waitStats(t, l, "3 open and pending from 2 clients, 4 accepted, 1 refused per client", func(s Stats) bool {
		return s.Open == 3 && s.Pending == 3 && s.Clients == 2 && s.Accepted == 4 && s.RefusedPerClient == 1
	})
}

// Past the global cap every client is refused with 503, until a
// connection closes.
func TestGlobalCap(t *testing.T) {
	l := New(Limits{PerClient: 10, Global: 3})
	a := startAcceptor(t, l)
	var held []net.Conn
	for _, src := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		dialFrom(t, src, a.addr)
		held = append(held, a.admitted(t))
	}
	if got := readAll(t, dialFrom(t, "127.0.0.4", a.addr)); got != answer503 {
		t.Fatalf("a connection past the global cap read %q, want %q", got, answer503)
	}
	_ = held[0].Close()
	dialFrom(t, "127.0.0.4", a.addr)
	a.admitted(t)
	waitStats(t, l, "3 open, 1 refused globally", func(s Stats) bool {
		return s.Open == 3 && s.RefusedGlobal == 1 && s.RefusedPerClient == 0
	})
}

// limitedServer serves h with an http.Server on a Listen of l, as
// cmd/api does, and stops it when the test ends.
func limitedServer(t *testing.T, l *Limiter, h http.Handler, tls bool) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	// Connections the tests leave quiet end in logged handshake errors.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.Listener = l.Listen(ts.Listener)
	ts.Config.ConnState = l.ConnState
	if tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })

// get sends a GET on c and reads the answer's status.
func get(t *testing.T, c net.Conn, path string) int {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: tincan\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

// Connections that send nothing fill the pending cap, whoever holds them;
// one more is refused with 503. Once a connection's request headers are
// read (ConnState), it is no longer pending, and it stays out of the count
// while it idles between requests.
func TestPendingCap(t *testing.T) {
	l := New(Limits{Pending: 2})
	ts := limitedServer(t, l, okHandler, false)
	addr := ts.Listener.Addr().String()
	quiet := dialFrom(t, "127.0.0.1", addr)
	dialFrom(t, "127.0.0.2", addr)
	waitFor(t, "two connections admitted", func() bool { return l.Stats().Accepted == 2 })

	if got := readAll(t, dialFrom(t, "127.0.0.3", addr)); got != answer503 {
		t.Fatalf("a connection past the pending cap read %q, want %q", got, answer503)
	}
	if code := get(t, quiet, "/"); code != http.StatusOK {
		t.Fatalf("GET on a pending connection: %d", code)
	}
	// The answer came after ConnState(StateActive): one slot is free.
	next := dialFrom(t, "127.0.0.3", addr)
	if code := get(t, next, "/"); code != http.StatusOK {
		t.Fatalf("GET on a connection after one left pending: %d", code)
	}
	waitStats(t, l, "3 open, 1 pending, 1 refused as pending", func(s Stats) bool {
		return s.Open == 3 && s.Pending == 1 && s.RefusedPending == 1
	})
}

// A proxy in TrustedProxies is not bounded per client at accept; others
// still are, and share their count with forwarded clients of the same
// address (Acquire).
func TestTrustedProxyExempt(t *testing.T) {
	l := New(Limits{PerClient: 1, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	a := startAcceptor(t, l)
	for range 3 {
		dialFrom(t, "127.0.0.1", a.addr)
		a.admitted(t)
	}
	dialFrom(t, "127.0.0.2", a.addr)
	a.admitted(t)
	if got := readAll(t, dialFrom(t, "127.0.0.2", a.addr)); got != answer429 {
		t.Fatalf("a second connection of an untrusted client read %q, want %q", got, answer429)
	}
	if _, ok := l.Acquire(netip.MustParseAddr("127.0.0.2")); ok {
		t.Error("a client forwarded by the proxy was counted beside its own full connections")
	}
	waitStats(t, l, "4 open from 1 counted client, 1 refused", func(s Stats) bool {
		return s.Open == 4 && s.Clients == 1 && s.RefusedPerClient == 1
	})
}

// A connection a handler hijacks still counts, until whoever holds it
// closes it.
func TestHijackedConnectionCounts(t *testing.T) {
	l := New(Limits{PerClient: 1})
	hijacked := make(chan net.Conn, 1)
	ts := limitedServer(t, l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hijack" {
			okHandler(w, r)
			return
		}
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		hijacked <- c
	}), false)
	addr := ts.Listener.Addr().String()
	c := dialFrom(t, "127.0.0.1", addr)
	if _, err := io.WriteString(c, "GET /hijack HTTP/1.1\r\nHost: tincan\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	var held net.Conn
	select {
	case held = <-hijacked:
	case <-time.After(wait):
		t.Fatal("not hijacked")
	}
	if got := readAll(t, dialFrom(t, "127.0.0.1", addr)); got != answer429 {
		t.Fatalf("beside a hijacked connection, a client's second read %q, want %q", got, answer429)
	}
	waitStats(t, l, "the hijacked connection open and not pending", func(s Stats) bool { return s.Open == 1 && s.Pending == 0 })
	_ = held.Close()
	if code := get(t, dialFrom(t, "127.0.0.1", addr), "/"); code != http.StatusOK {
		t.Errorf("after the hijacked connection closed, GET on another: %d", code)
	}
}

// Under TLS, ConnState sees a *tls.Conn and looks through it; a refused
// connection is closed without a (plain, unreadable) answer.
func TestTLS(t *testing.T) {
	l := New(Limits{Pending: 1, TLS: true})
	ts := limitedServer(t, l, okHandler, true)
	res, err := ts.Client().Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	// Read to the end, so the client keeps the connection.
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	waitStats(t, l, "one open connection, past its headers", func(s Stats) bool { return s.Open == 1 && s.Pending == 0 })
	addr := ts.Listener.Addr().String()
	dialFrom(t, "127.0.0.2", addr)
	waitFor(t, "a quiet connection admitted", func() bool { return l.Stats().Pending == 1 })
	if got := readAll(t, dialFrom(t, "127.0.0.3", addr)); got != "" {
		t.Errorf("a refused TLS connection read %q, want nothing", got)
	}
	waitStats(t, l, "1 refused as pending", func(s Stats) bool { return s.RefusedPending == 1 })
}

// ConnState ignores connections another listener accepted.
func TestConnStateOtherConnections(t *testing.T) {
	l := New(Limits{})
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	l.ConnState(c1, http.StateActive)
	other := New(Limits{})
	oc, _, _ := other.admit(c1)
	l.ConnState(oc, http.StateActive)
	if s := other.Stats(); s.Pending != 1 {
		t.Errorf("another limiter's hook took a connection out of pending: %+v", s)
	}
}
